/**
 * The Funnel panel: WeChat's own funnel over the last 7 days (UTC+8), as the
 * oracle counts it: per template, asked → accepted → delivered as bars with
 * their values and the sends WeChat refused; and day by day as a chart with
 * a time axis and a count axis, for every template or one.
 */
import { api, h, type Json, type Panel } from './dom'

const DAYS = 7
const STAGES = [
  { key: 'asked', label: '弹窗 asked', color: '#9aa5b1' },
  { key: 'accepted', label: '接受 accepted', color: '#10aeff' },
  { key: 'delivered', label: '送达 delivered', color: '#07c160' },
] as const
type Stage = (typeof STAGES)[number]['key']
type Totals = Record<Stage, number> & { refused: Record<string, number> }

const NS = 'http://www.w3.org/2000/svg'
function svg(tag: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const element = document.createElementNS(NS, tag)
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value))
  if (text !== undefined) element.textContent = text
  return element
}

const empty = (): Totals => ({ asked: 0, accepted: 0, delivered: 0, refused: {} })
function add(into: Totals, row: Json): Totals {
  for (const { key } of STAGES) into[key] += row[key]
  for (const [code, n] of Object.entries(row.refused as Record<string, number>)) into.refused[code] = (into.refused[code] ?? 0) + n
  return into
}

/** One template's funnel: a bar per stage, as wide as its share of the popups asked (or of the widest stage). */
function templateFunnel(templateId: string, title: string, totals: Totals): HTMLElement {
  const widest = Math.max(1, ...STAGES.map((s) => totals[s.key]))
  const refused = Object.entries(totals.refused).map(([code, n]) => `${code} × ${n}`)
  return h(
    'div',
    { class: 'funnel', 'data-template': templateId },
    h('div', { class: 'name' }, title, ' ', h('small', { class: 'muted' }, templateId)),
    ...STAGES.map(({ key, label, color }) =>
      h(
        'div',
        { class: 'stage', 'data-stage': key },
        h('span', { class: 'label' }, label),
        h('span', { class: 'track' }, h('span', { class: 'bar', style: `width: ${(totals[key] / widest) * 100}%; background: ${color}` })),
        h('span', { class: 'value' }, String(totals[key])),
      ),
    ),
    h('div', { class: 'muted refused' }, `拒发 refused: ${refused.length ? refused.join(', ') : '0'}`),
  )
}

/** A count axis that ends on a round number: steps of 1, 2 or 5 times a power of ten. */
function axis(max: number): { top: number; step: number } {
  const rough = max / 4
  // Counts are whole: up to 4, one a step (and an empty week still has an axis).
  if (rough <= 1) return { top: 4, step: 1 }
  const power = 10 ** Math.floor(Math.log10(rough))
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!
  return { top: Math.ceil(max / step) * step, step }
}

/** The days as grouped bars (one per stage), a value above each, dates along the bottom and counts up the side. */
function chart(days: Array<{ date: string; totals: Totals }>): SVGElement {
  const [width, height, left, right, top, bottom] = [640, 260, 52, 12, 28, 44]
  const plotW = width - left - right
  const plotH = height - top - bottom
  const { top: most, step } = axis(Math.max(...days.flatMap((d) => STAGES.map((s) => d.totals[s.key]))))
  const y = (value: number) => top + plotH - (value / most) * plotH
  const root = svg('svg', { id: 'funnel-chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': '近 7 天漏斗 funnel of the last 7 days' })
  for (let value = 0; value <= most; value += step) {
    root.append(svg('line', { x1: left, x2: width - right, y1: y(value), y2: y(value), stroke: value === 0 ? '#76767f' : '#e4e4ea' }))
    root.append(svg('text', { x: left - 6, y: y(value) + 4, 'text-anchor': 'end', class: 'tick' }, String(value)))
  }
  root.append(svg('text', { x: 14, y: top + plotH / 2, transform: `rotate(-90 14 ${top + plotH / 2})`, 'text-anchor': 'middle', class: 'axis' }, '次数 count'))
  root.append(svg('text', { x: left + plotW / 2, y: height - 6, 'text-anchor': 'middle', class: 'axis' }, '日期 date (UTC+8)'))
  const slot = plotW / days.length
  const bar = Math.min(18, (slot - 12) / STAGES.length)
  days.forEach(({ date, totals }, i) => {
    const x0 = left + i * slot + (slot - bar * STAGES.length) / 2
    root.append(svg('text', { x: left + i * slot + slot / 2, y: top + plotH + 16, 'text-anchor': 'middle', class: 'tick', 'data-date': date }, date.slice(5)))
    STAGES.forEach(({ key, color }, j) => {
      const value = totals[key]
      const x = x0 + j * bar
      root.append(svg('rect', { x: x + 1, y: y(value), width: bar - 2, height: Math.max(0, top + plotH - y(value)), fill: color, 'data-date': date, 'data-stage': key, 'data-count': value }))
      if (value > 0) root.append(svg('text', { x: x + bar / 2, y: y(value) - 4, 'text-anchor': 'middle', class: 'value' }, String(value)))
    })
  })
  STAGES.forEach(({ label, color }, j) => {
    const x = left + j * 130
    root.append(svg('rect', { x, y: 6, width: 10, height: 10, fill: color }))
    root.append(svg('text', { x: x + 14, y: 15, class: 'tick' }, label))
  })
  return root
}

export const funnel: Panel = {
  title: '统计 Funnel',
  mount(root, { titles }) {
    const templates = h('div', { id: 'funnel-templates' })
    const pick = h('select', { id: 'funnel-template' }, h('option', { value: '' }, '全部模板 all templates')) as HTMLSelectElement
    const graph = h('div', { id: 'funnel-graph' })
    root.append(
      h('section', { class: 'funnels' }, h('h2', {}, `微信侧漏斗 WeChat's funnel · 近 ${DAYS} 天 last ${DAYS} days`), templates),
      h('section', { style: 'flex: 1' }, h('h2', {}, '每日 By day'), h('label', {}, '模板 template ', pick), graph, h('p', { class: 'muted' }, '弹窗为用户的每个回答（接受、拒绝、拒收、过滤）；送达含之后报告失败的。Asked: every popup answer; delivered: every message WeChat took.')),
    )
    return async () => {
      const rows: Json[] = (await api('GET', `/_emulator/wechat/funnel?days=${DAYS}`)).data
      const ids = [...new Set(rows.map((r) => r.templateId as string))]
      if (pick.options.length !== ids.length + 1) pick.append(...ids.filter((id) => !pick.querySelector(`option[value="${id}"]`)).map((id) => h('option', { value: id }, titles.get(id) ?? id)))
      templates.replaceChildren(...ids.map((id) => templateFunnel(id, titles.get(id) ?? id, rows.filter((r) => r.templateId === id).reduce(add, empty()))))
      const dates = [...new Set(rows.map((r) => r.date as string))]
      const shown = rows.filter((r) => !pick.value || r.templateId === pick.value)
      graph.replaceChildren(chart(dates.map((date) => ({ date, totals: shown.filter((r) => r.date === date).reduce(add, empty()) }))))
    }
  },
}
