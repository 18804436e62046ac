/**
 * The Overview panel (概览): the local cloud at a glance. Its services and how
 * they run; every function with its timer, the cron in words and when it
 * fires next; each collection's count; what WeChat saw today (its day is
 * UTC+8); the faults switched on. Each line links to the panel that shows more.
 */
import './overview.css'
import { api, h, panelHash, redraw, table, type Json, type Panel } from './dom'
import { cronInWords } from './cron-words'
import { platformWhen, relativeText, toDate } from './time'

/** A link to another panel (and what it should open there, e.g. a collection). */
const link = (panel: string, text: string, focus?: string) => h('a', { href: panelHash(panel, focus), class: 'go' }, text)
const row = (attributes: Record<string, unknown>, ...cells: Array<Node | string>) => h('tr', attributes, ...cells.map((c) => h('td', {}, c)))

/** The services' names in Chinese, before the control API's own. */
const SERVICE_NAMES: Record<string, string> = {
  database: '数据库',
  functions: '云函数',
  timers: '定时器',
  wechat: '微信',
  openapi: '云调用',
  access: 'HTTP 访问',
  management: '管理接口',
  console: '控制台',
}

function services(health: Json): HTMLElement[] {
  return (health.services as Array<{ name: string; state: string }>).map((s) =>
    row({ 'data-service': s.name }, h('b', {}, `${SERVICE_NAMES[s.name] ?? ''} ${s.name}`.trim()), s.state, s.name === 'functions' || s.name === 'timers' ? link('functions', '云函数 Functions →') : s.name === 'database' ? link('data', '数据库 Data →') : ''),
  )
}

function timerCells(timer: Json, timersOn: boolean): Array<Node | string> {
  if (!timer) return [h('span', { class: 'muted' }, '无定时器 no timer'), '', '']
  const code = h('span', {}, `${timer.name} `, h('code', {}, timer.cron))
  if (timer.error) return [code, h('span', { class: 'error' }, `已拒绝 refused: ${timer.error}`), '—']
  const words = cronInWords(timer.cron)
  const next = toDate(timer.next)
  const soon = next && relativeText(next)
  return [
    code,
    words ? h('span', {}, words.zh, h('small', { class: 'muted' }, ` · ${words.en} (UTC+8)`)) : '',
    h('span', { class: 'next' }, platformWhen(timer.next), soon ? h('small', { class: 'ago' }, ` ${soon}`) : '', timersOn ? '' : h('small', { class: 'muted' }, ' · 定时器未运行 timers off')),
  ]
}

function functions(list: Json): HTMLElement[] {
  return (list.data as Json[]).map((f) => row({ 'data-function': f.name }, h('b', {}, f.name), ...timerCells(f.timer, list.timers), link('functions', '调用 Call →', f.name), link('logs', '日志 Logs →', f.name)))
}

/** Each collection and its count. */
async function collectionCounts(): Promise<Array<[string, number]>> {
  const names: string[] = (await api('GET', '/_emulator/db')).data
  const counts = await Promise.all(names.map((name) => api('GET', `/_emulator/db/${encodeURIComponent(name)}/count`)))
  return names.map((name, i) => [name, counts[i].total])
}

const collections = (counts: Array<[string, number]>) =>
  counts.map(([name, total]) => row({ 'data-collection': name }, h('b', {}, name), h('span', { class: 'num count' }, String(total)), link('data', '打开 Open →', name)))

/** Today's WeChat figures: popups answered, deliveries, refusals by code, summed over templates. */
function wechatToday(rows: Json[]): HTMLElement {
  const sum = (key: string) => rows.reduce((n, r) => n + r[key], 0)
  const refused: Record<string, number> = {}
  for (const r of rows) for (const [code, n] of Object.entries(r.refused as Record<string, number>)) refused[code] = (refused[code] ?? 0) + n
  const stat = (key: string, label: string, value: number) => h('div', { class: 'stat', 'data-stat': key }, h('span', { class: 'value num' }, String(value)), h('span', { class: 'muted' }, label))
  const codes = Object.entries(refused)
  return h(
    'div',
    {},
    h('div', { class: 'stats' }, stat('asked', '弹窗回答 popups answered', sum('asked')), stat('accepted', '接受 accepted', sum('accepted')), stat('delivered', '送达 deliveries', sum('delivered'))),
    h('p', { id: 'overview-refused' }, '拒发 refused: ', codes.length ? codes.map(([code, n]) => `${code} × ${n}`).join(', ') : '0', ' ', link('funnel', '统计 Funnel →')),
  )
}

/** A fault setting in one line: what is on, or 无 none. */
function faultLine(kind: string, settings: Json): HTMLElement {
  const on = Object.entries(settings ?? {}).filter(([, value]) => value !== 0 && value !== false && value !== undefined)
  return h(
    'p',
    { 'data-faults': kind, class: on.length ? 'error' : undefined },
    h('b', {}, kind === 'wechat' ? '微信 WeChat: ' : '数据库 Database: '),
    on.length ? on.map(([key, value]) => `${key} ${JSON.stringify(value)}`).join(', ') : '无 none',
    ' ',
    link('faults', '故障 Faults →'),
  )
}

export const overview: Panel = {
  title: '概览 Overview',
  mount(root) {
    const [serviceBox, functionBox, collectionBox, wechatBox, faultBox] = ['services', 'functions', 'collections', 'wechat', 'faults'].map((id) => h('div', { id: `overview-${id}-box` }))
    const today = h('small', { class: 'muted', id: 'overview-day' })
    root.append(
      h('section', { style: 'flex: 1 1 560px' }, h('h2', {}, '云函数与定时器 Functions and timers'), functionBox, h('h2', {}, '服务 Services'), serviceBox),
      h('section', { style: 'flex: 0 1 360px' }, h('h2', {}, '微信今天 WeChat today ', today), wechatBox, h('h2', {}, '故障 Faults on'), faultBox, h('h2', {}, '集合 Collections'), collectionBox),
    )
    return async () => {
      const [health, list, funnel, wechatFaults, databaseFaults, counts] = await Promise.all([
        api('GET', '/_emulator/health'),
        api('GET', '/_emulator/functions'),
        api('GET', '/_emulator/wechat/funnel?days=1'),
        api('GET', '/_emulator/wechat/faults'),
        api('GET', '/_emulator/database/faults'),
        collectionCounts(),
      ])
      redraw(serviceBox, health, () => [table('overview-services', ['服务 service', '状态 state', ''], services(health))])
      redraw(functionBox, list, () => [table('overview-functions', ['函数 function', '定时器 timer', '规则 schedule', '下次触发 next fire', '', ''], functions(list))])
      redraw(collectionBox, counts, () => [table('overview-collections', ['集合 collection', '文档 documents', ''], collections(counts))])
      today.textContent = `${funnel.data[0]?.date ?? ''} (UTC+8)`
      redraw(wechatBox, funnel.data, () => [wechatToday(funnel.data)])
      redraw(faultBox, [wechatFaults, databaseFaults], () => [faultLine('wechat', wechatFaults), faultLine('database', databaseFaults)])
    }
  },
}
