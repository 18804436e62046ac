/**
 * The Funnel panel: WeChat's own funnel over the last 7 days (UTC+8), as the
 * oracle counts it: per template, asked → accepted → delivered as bars with
 * their values and the sends WeChat refused; and day by day as a chart
 * (chart.ts: dates in UTC+8, where WeChat's day turns, and a count axis), for
 * every template or one.
 */
import './funnel.css'
import { chart } from './chart'
import { api, h, type Json, type Panel } from './dom'

const DAYS = 7
const STAGES = [
  { key: 'asked', label: '弹窗 asked', color: '#9aa5b1' },
  { key: 'accepted', label: '接受 accepted', color: '#10aeff' },
  { key: 'delivered', label: '送达 delivered', color: '#07c160' },
] as const
type Stage = (typeof STAGES)[number]['key']
type Totals = Record<Stage, number> & { refused: Record<string, number> }

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

/** The days as bars side by side (one per stage), dates in UTC+8 along the bottom; its container carries the dates as data-dates. */
function byDay() {
  let dates: string[] = []
  const days = chart({
    id: 'funnel-chart',
    x: { label: '日期 date (UTC+8)', step: 1, time: false, tick: (i) => dates[i]?.slice(5) ?? '', legend: (i) => `${dates[i] ?? ''} (UTC+8)` },
    y: { label: '次数 count' },
    series: STAGES.map(({ key, label, color }) => ({ key, label, color })),
    height: 280,
    counts: true,
  })
  return {
    element: days.element,
    show(shown: Array<{ date: string; totals: Totals }>) {
      dates = shown.map((d) => d.date)
      days.element.dataset.dates = JSON.stringify(dates)
      days.show(
        dates.map((_d, i) => i),
        STAGES.map(({ key }) => shown.map((d) => d.totals[key])),
      )
    },
  }
}

export const funnel: Panel = {
  title: '统计 Funnel',
  mount(root, { titles }) {
    const templates = h('div', { id: 'funnel-templates' })
    const pick = h('select', { id: 'funnel-template' }, h('option', { value: '' }, '全部模板 all templates')) as HTMLSelectElement
    const graph = byDay()
    root.append(
      h('section', { class: 'funnels' }, h('h2', {}, `微信侧漏斗 WeChat's funnel · 近 ${DAYS} 天 last ${DAYS} days`), templates),
      h('section', { class: 'funnel-days' }, h('h2', {}, '每日 By day'), h('label', {}, '模板 template ', pick), graph.element, h('p', { class: 'muted' }, '弹窗为用户的每个回答（接受、拒绝、拒收、过滤）；送达含之后报告失败的。Asked: every popup answer; delivered: every message WeChat took.')),
    )
    return async () => {
      const rows: Json[] = (await api('GET', `/_emulator/wechat/funnel?days=${DAYS}`)).data
      const ids = [...new Set(rows.map((r) => r.templateId as string))]
      if (pick.options.length !== ids.length + 1) pick.append(...ids.filter((id) => !pick.querySelector(`option[value="${id}"]`)).map((id) => h('option', { value: id }, titles.get(id) ?? id)))
      templates.replaceChildren(...ids.map((id) => templateFunnel(id, titles.get(id) ?? id, rows.filter((r) => r.templateId === id).reduce(add, empty()))))
      const dates = [...new Set(rows.map((r) => r.date as string))]
      const shown = rows.filter((r) => !pick.value || r.templateId === pick.value)
      graph.show(dates.map((date) => ({ date, totals: shown.filter((r) => r.date === date).reduce(add, empty()) })))
    }
  },
}
