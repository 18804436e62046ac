/** The Functions panel: call a function as a user or a server, run its timer, and every recent invocation with its output. */
import { api, cell, h, showReply, table, type Json, type Panel } from './dom'


export const functionsPanel: Panel = {
  title: '云函数 Functions',
  mount(root) {
    const name = h('select', { id: 'fn-name' }) as HTMLSelectElement
    const openid = h('input', { id: 'fn-openid', placeholder: '空则为服务端调用 (server)' }) as HTMLInputElement
    const data = h('textarea', { id: 'fn-data' }, '{}') as HTMLTextAreaElement
    const reply = h('pre', { id: 'fn-reply' })
    const logs = h('pre', { id: 'fn-logs' })
    const calls = table('fn-invocations', ['time', '函数 function', '调用方 caller', 'duration', '回复 reply', 'request id'])
    const run = (work: () => Promise<Json>) => showReply(reply, work)
    root.append(
      h(
        'section',
        {},
        h('h2', {}, '调用 Call'),
        h('label', {}, '函数 ', name),
        h('label', {}, '用户 openid ', openid),
        h('label', {}, 'data (JSON)', data),
        h('button', { class: 'action', id: 'fn-call', onclick: () => run(() => api('POST', `/_emulator/functions/${name.value}/call`, { data: JSON.parse(data.value || '{}'), ...(openid.value.trim() ? { user: { openid: openid.value.trim() } } : {}) })) }, '调用 Call'),
        ' ',
        h('button', { class: 'quiet', id: 'fn-trigger', onclick: () => run(() => api('POST', `/_emulator/functions/${name.value}/trigger`, {})) }, '立即运行定时器 Run timer now'),
        reply,
      ),
      h('section', { style: 'flex: 1' }, h('h2', {}, '调用记录 Invocations'), calls, h('h2', {}, '日志 Logs'), logs),
    )
    return async () => {
      if (name.options.length === 0) {
        const { data: list } = await api('GET', '/_emulator/functions')
        name.replaceChildren(...(list as Array<{ name: string }>).map((f) => h('option', { value: f.name }, f.name)))
      }
      const { data: invocations } = await api('GET', '/_emulator/invocations')
      calls.querySelector('tbody')!.replaceChildren(
        ...(invocations as Json[]).slice(-30).reverse().map((call) =>
          h(
            'tr',
            { class: call.ok ? undefined : 'differs', 'data-request': call.requestId },
            cell(call.startedAt.slice(11, 23)),
            cell(call.function),
            cell(call.caller.openid ? `${call.caller.openid} (${call.caller.source})` : call.caller.source ?? 'server'),
            cell(`${call.durationMs} ms`),
            cell(call.reply.length > 120 ? `${call.reply.slice(0, 120)}…` : call.reply),
            cell(call.requestId),
          ),
        ),
      )
      const { data: entries } = await api('GET', '/_emulator/logs')
      logs.textContent = (entries as Json[]).slice(-40).map((e) => `${e.time} ${e.function} ${e.level} ${e.message}`).join('\n')
    }
  },
}
