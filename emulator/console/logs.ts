/**
 * The Logs panel (日志): the functions' recent invocations, newest first, and
 * their console output, from `GET /_emulator/invocations` and
 * `GET /_emulator/logs`. Filtered by function, level, request id and text
 * (a line's message, an invocation's reply); an invocation opens to its
 * caller, duration, reply and its own lines. A failure, an error line and a
 * warning (such as "frozen after return") stand out in red or amber.
 */
import './logs.css'
import { api, h, redraw, table, type Json, type Panel } from './dom'
import { callerText, logsFocus, outcome } from './invocations'
import { jsonNodes } from './json-view'
import { when } from './time'

/** The levels a function's console writes at (the emulator's LogLevel), the gravest first. */
const LEVELS = [
  { key: 'error', label: '错误 error' },
  { key: 'warn', label: '警告 warn' },
  { key: 'info', label: '信息 info' },
  { key: 'log', label: '输出 log' },
  { key: 'debug', label: '调试 debug' },
]
const SHOWN_CALLS = 100
const SHOWN_LINES = 200

interface Filter {
  function: string
  level: string
  requestId: string
  text: string
}

interface Line {
  time: string
  function: string
  requestId: string
  level: string
  message: string
}

const badge = (level: string) => h('span', { class: `level ${level}` }, level)
/** A reply as it came, pretty (its instants in local time) when it is JSON; a failure's reply is its error's text. */
const pretty = (reply: string): Array<Node | string> => {
  try {
    return jsonNodes(JSON.parse(reply))
  } catch {
    return [reply]
  }
}
/** How an invocation stands out: red when it failed or wrote an error, amber when it warned. */
function mark(call: Json, lines: Line[]): string | undefined {
  if (!call.ok || lines.some((l) => l.level === 'error')) return 'bad'
  return lines.some((l) => l.level === 'warn') ? 'warned' : undefined
}

function lineRow(line: Line, pick: (requestId: string) => void, withCall = true): HTMLElement {
  return h(
    'tr',
    { class: `line ${line.level}`, 'data-level': line.level, 'data-request': line.requestId },
    h('td', { class: 'time' }, when(line.time)),
    h('td', {}, badge(line.level)),
    withCall ? h('td', { class: 'fn' }, line.function) : false,
    withCall ? h('td', { class: 'mono' }, h('a', { href: '#logs', onclick: (event: Event) => (event.preventDefault(), pick(line.requestId)) }, line.requestId.slice(0, 8))) : false,
    h('td', { class: 'message' }, line.message),
  )
}

/** A table of invocations or lines, in the panel's style. */
function grid(id: string, heads: string[]): HTMLElement {
  const made = table(id, heads)
  made.classList.add('logs')
  return made
}

export const logs: Panel = {
  title: '日志 Logs',
  mount(root, _cloud, focus) {
    const start: Filter = { function: '', level: '', requestId: '', text: '', ...logsFocus(focus) }
    const fn = h('select', { id: 'logs-function' }, h('option', { value: '' }, '全部函数 all functions')) as HTMLSelectElement
    const level = h('select', { id: 'logs-level' }, h('option', { value: '' }, '全部级别 all levels'), ...LEVELS.map((l) => h('option', { value: l.key }, l.label))) as HTMLSelectElement
    const request = h('input', { id: 'logs-request', placeholder: 'request id', size: 38, value: start.requestId }) as HTMLInputElement
    const text = h('input', { id: 'logs-text', placeholder: '消息或回复中的文字 text in a message or reply', size: 30, value: start.text }) as HTMLInputElement
    level.value = start.level
    const calls = grid('logs-invocations', ['时间 time', '函数 function', '调用方 caller', '耗时 duration', '结果 result', '日志 lines'])
    const lines = grid('logs-lines', ['时间 time', '级别 level', '函数 function', 'request', '消息 message'])
    const detail = h('div', { id: 'logs-detail' }, h('p', { class: 'muted' }, '点击一次调用查看详情 Click an invocation to see it.'))
    const counts = h('span', { id: 'logs-counts', class: 'muted' })
    let selected: string | undefined
    let shownDetail = ''
    // Refreshes overlap (the tick, a filter typed): only the last one begun draws.
    let latest = 0

    const filter = (): Filter => ({ function: fn.value, level: level.value, requestId: request.value.trim(), text: text.value.trim().toLowerCase() })
    const pick = (requestId: string) => {
      selected = requestId
      void refresh()
    }

    /** The invocation picked: who called, how long it took, its reply, its own lines. */
    async function showDetail(call: Json | undefined, mine: number): Promise<void> {
      const own: Line[] = selected ? (await api('GET', `/_emulator/logs?requestId=${encodeURIComponent(selected)}`)).data : []
      if (mine !== latest) return
      // Drawn again only when it changed, so a reply being read or selected stays put; its time's "… ago" moves on.
      const key = JSON.stringify([selected, call?.durationMs, own.length])
      if (key === shownDetail) return void (call && detail.querySelector('#logs-detail-started')?.replaceChildren(when(call.startedAt)))
      shownDetail = key
      if (!selected || !call) return void detail.replaceChildren(h('p', { class: 'muted' }, '点击一次调用查看详情 Click an invocation to see it.'))
      const body = grid('logs-detail-lines', ['时间 time', '级别 level', '消息 message'])
      body.querySelector('tbody')!.append(...own.map((line) => lineRow(line, pick, false)))
      detail.replaceChildren(
        h(
          'dl',
          { class: `facts ${mark(call, own) ?? ''}`, 'data-request': selected },
          h('dt', {}, '函数 function'),
          h('dd', {}, call.function),
          h('dt', {}, 'request id'),
          h('dd', { class: 'mono' }, selected),
          h('dt', {}, '调用方 caller'),
          h('dd', { id: 'logs-detail-caller' }, callerText(call)),
          h('dt', {}, '开始 started'),
          h('dd', { id: 'logs-detail-started' }, when(call.startedAt)),
          h('dt', {}, '耗时 duration'),
          h('dd', { id: 'logs-detail-duration' }, `${call.durationMs} ms`),
          h('dt', {}, '结果 result'),
          h('dd', {}, outcome(call)),
        ),
        h('h3', {}, call.ok ? '回复 Reply' : '错误 Error'),
        h('pre', { id: 'logs-reply', class: `wrap ${call.ok ? '' : 'error'}` }, ...pretty(call.reply)),
        h('h3', {}, `日志 Lines (${own.length})`),
        own.length ? body : h('p', { class: 'muted' }, '（无输出）no output'),
      )
    }

    async function refresh(): Promise<void> {
      const mine = ++latest
      const wanted = filter()
      if (fn.options.length === 1) {
        const { data: list } = await api('GET', '/_emulator/functions')
        fn.append(...(list as Array<{ name: string }>).map((f) => h('option', { value: f.name }, f.name)))
        fn.value = start.function
      }
      const query = new URLSearchParams({ ...(wanted.function ? { function: wanted.function } : {}), ...(wanted.requestId ? { requestId: wanted.requestId } : {}) })
      const [{ data: invocations }, { data: entries }] = await Promise.all([api('GET', '/_emulator/invocations'), api('GET', `/_emulator/logs?${query}`)])
      if (mine !== latest) return
      const byRequest = new Map<string, Line[]>()
      for (const line of entries as Line[]) byRequest.set(line.requestId, [...(byRequest.get(line.requestId) ?? []), line])
      const says = (words: string) => !wanted.text || words.toLowerCase().includes(wanted.text)
      const shownLines = (entries as Line[]).filter((line) => (!wanted.level || line.level === wanted.level) && says(line.message))
      const shownCalls = (invocations as Json[]).filter((call) => {
        const own = byRequest.get(call.requestId) ?? []
        if (wanted.function && call.function !== wanted.function) return false
        if (wanted.requestId && call.requestId !== wanted.requestId) return false
        // A level asks for the invocations that wrote at it; a failure counts as an error.
        if (wanted.level && !own.some((l) => l.level === wanted.level) && !(wanted.level === 'error' && !call.ok)) return false
        return says(call.reply) || own.some((l) => says(l.message))
      })
      counts.textContent = `${shownCalls.length} 次调用 invocations · ${shownLines.length} 行 lines`
      const listed = shownCalls.slice(-SHOWN_CALLS).reverse()
      redraw(calls.querySelector('tbody')!, [listed, selected, listed.map((call) => byRequest.get(call.requestId)?.length)], () =>
        listed.map((call) => {
            const own = byRequest.get(call.requestId) ?? []
            const worst = LEVELS.find((l) => own.some((line) => line.level === l.key))
            return h(
              'tr',
              {
                class: [mark(call, own), call.requestId === selected ? 'selected' : undefined].filter(Boolean).join(' ') || undefined,
                'data-request': call.requestId ?? undefined,
                'data-function': call.function,
                'data-ok': String(call.ok),
                onclick: () => call.requestId && pick(call.requestId),
              },
              h('td', { class: 'time' }, when(call.startedAt)),
              h('td', { class: 'fn' }, call.function),
              h('td', {}, callerText(call)),
              h('td', { class: 'num' }, `${call.durationMs} ms`),
              h('td', {}, outcome(call)),
              h('td', {}, own.length ? h('span', {}, worst ? badge(worst.key) : '', ` ${own.length}`) : ''),
            )
          }),
      )
      const tail = shownLines.slice(-SHOWN_LINES).reverse()
      redraw(lines.querySelector('tbody')!, tail, () => tail.map((line) => lineRow(line, pick)))
      await showDetail((invocations as Json[]).find((call) => call.requestId === selected), mine)
    }

    for (const input of [fn, level]) input.addEventListener('change', () => void refresh())
    for (const input of [request, text]) input.addEventListener('input', () => void refresh())
    root.append(
      h('section', { class: 'logs-filters' }, h('label', {}, '函数 ', fn), h('label', {}, '级别 ', level), h('label', {}, 'request id ', request), h('label', {}, '搜索 ', text), counts),
      h('section', { class: 'logs-calls' }, h('h2', {}, '调用 Invocations'), calls),
      h('section', { class: 'logs-detail' }, h('h2', {}, '调用详情 Invocation'), detail),
      h('section', { class: 'logs-all' }, h('h2', {}, '日志行 Log lines'), lines),
    )
    return refresh
  },
}
