/**
 * The Functions panel: call a function as a user or a server, or run its
 * timer; its last few invocations, each opening in the Logs panel, where all
 * of them and their output are.
 */
import './functions.css'
import { api, h, redraw, type Json, type Panel } from './dom'
import { showReply } from './json-view'
import { callerText, logsHash, outcome } from './invocations'
import { when } from './time'

const RECENT = 5

export const functionsPanel: Panel = {
  title: '云函数 Functions',
  mount(root, _cloud, focus) {
    const name = h('select', { id: 'fn-name' }) as HTMLSelectElement
    const openid = h('input', { id: 'fn-openid', placeholder: '空则为服务端调用 (server)' }) as HTMLInputElement
    const data = h('textarea', { id: 'fn-data' }, '{}') as HTMLTextAreaElement
    const reply = h('pre', { id: 'fn-reply' })
    const recent = h('ul', { id: 'fn-recent' })
    // The last call's own lines, one click away in the Logs panel.
    const ownLogs = h('button', { class: 'quiet', id: 'fn-call-logs', hidden: true }, '该次调用的日志 This call in Logs →') as HTMLButtonElement
    let requestId: string | undefined
    ownLogs.addEventListener('click', () => requestId && (location.hash = logsHash({ requestId })))
    const run = (work: () => Promise<Json>) => {
      ownLogs.hidden = true
      return showReply(reply, async () => {
        const answer = await work()
        requestId = answer?.requestID
        ownLogs.hidden = !requestId
        return answer
      })
    }
    root.append(
      h(
        'section',
        { style: 'flex: 1 1 560px' },
        h('h2', {}, '调用 Call'),
        h('label', {}, '函数 ', name),
        h('label', {}, '用户 openid ', openid),
        h('label', {}, 'data (JSON)', data),
        h('button', { class: 'action', id: 'fn-call', onclick: () => run(() => api('POST', `/_emulator/functions/${name.value}/call`, { data: JSON.parse(data.value || '{}'), ...(openid.value.trim() ? { user: { openid: openid.value.trim() } } : {}) })) }, '调用 Call'),
        ' ',
        h('button', { class: 'quiet', id: 'fn-trigger', onclick: () => run(() => api('POST', `/_emulator/functions/${name.value}/trigger`, {})) }, '立即运行定时器 Run timer now'),
        ' ',
        ownLogs,
        reply,
      ),
      h(
        'section',
        { style: 'flex: 1 1 420px' },
        h('h2', {}, '最近调用 Recent invocations'),
        recent,
        h('p', { class: 'muted' }, '每次调用（调用方、耗时、回复）及其输出都在日志面板。Every invocation (caller, duration, reply) and its output is in the Logs panel.'),
        h('button', { class: 'quiet', id: 'fn-logs', onclick: () => (location.hash = logsHash({ function: name.value })) }, '此函数的日志 This function in Logs →'),
      ),
    )
    return async () => {
      if (name.options.length === 0) {
        const { data: list } = await api('GET', '/_emulator/functions')
        name.replaceChildren(...(list as Array<{ name: string }>).map((f) => h('option', { value: f.name }, f.name)))
        // Opened from a link that names a function (#functions/send).
        if (focus && (list as Array<{ name: string }>).some((f) => f.name === focus)) name.value = focus
      }
      const { data: invocations } = await api('GET', '/_emulator/invocations')
      const own = (invocations as Json[]).filter((call) => call.function === name.value).slice(-RECENT).reverse()
      redraw(recent, own, () =>
        own.length === 0
          ? [h('li', { class: 'muted' }, '（无）none')]
          : own.map((call) =>
          h(
            'li',
            { 'data-request': call.requestId ?? undefined, class: call.ok ? undefined : 'error' },
            h('a', { href: logsHash({ requestId: call.requestId ?? '' }) }, when(call.startedAt)),
            ` · ${callerText(call)} · ${call.durationMs} ms · `,
            outcome(call),
          ),
        ),
      )
    }
  },
}
