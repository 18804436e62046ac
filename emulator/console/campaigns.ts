/**
 * The Queue panel's campaigns: each document of the project's campaigns
 * collection, with what the project's own `campaign` call says it has come to
 * (emulator.config.json → console.campaign) drawn as one stacked bar (sent,
 * failed, skipped, unknown, cancelled, still to go), its state and template,
 * and a cancel while there is something left to stop (console.cancelCampaign).
 * Without the call, the documents' own fields, as rows.
 */
import './campaigns.css'
import { callFor } from './calls'
import { cell, h, page, pager, redraw, table, type Cloud, type Json } from './dom'
import { showReply } from './json-view'
import { when } from './time'

/** The parts of a campaign's bar, in the order drawn, as the report counts them. */
const PARTS = [
  { key: 'sent', label: '已发 sent', color: '#07c160' },
  { key: 'failed', label: '失败 failed', color: '#d93025' },
  { key: 'skipped', label: '跳过 skipped', color: '#f0a020' },
  { key: 'unknown', label: '未知 unknown', color: '#8e6fd8' },
  { key: 'cancelled', label: '已取消 cancelled', color: '#9aa5b1' },
  { key: 'remaining', label: '待发 remaining', color: '#a9d6f5' },
] as const

/** Reports are calls of the project's function, each an invocation in its log: asked again at most this often. */
const REPORT_EVERY_MS = 3000

/** A report that can no longer change: nothing left to send, nor anything still being queued. */
const settled = (report: Json) =>
  report?.ok !== false && report?.remaining === 0 && (report.queued ?? 0) === 0 && !['scheduled', 'queuing'].includes(report.status)
const PAGE = 10

/** Whether a campaign still has something to stop: not started, still queuing, or messages yet to go. */
const stoppable = (status: string, remaining?: number) => status === 'scheduled' || status === 'queuing' || (status !== 'cancelled' && (remaining ?? 0) > 0)

/** An audience as stored (JSON text of a filter, as the product keeps it) in words: `tags = aimed`. */
function audience(value: unknown): string {
  if (value === null || value === undefined) return '全部 all holders'
  try {
    const filter = typeof value === 'string' ? JSON.parse(value) : value
    return Object.entries(filter as Record<string, unknown>).map(([key, v]) => `${key} = ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ')
  } catch {
    return String(value)
  }
}

function progress(report: Json): HTMLElement {
  const total = Math.max(1, Number(report.total) || 0)
  return h(
    'div',
    { class: 'progress' },
    h(
      'div',
      { class: 'stack', 'data-total': report.total, role: 'img', 'aria-label': PARTS.map((p) => `${p.label} ${report[p.key] ?? 0}`).join(', ') },
      Number(report.total) > 0 ? '' : h('span', { class: 'empty muted' }, '尚无消息 no messages yet'),
      ...PARTS.filter((p) => Number(report[p.key]) > 0).map((p) =>
        h('span', { class: 'part', 'data-part': p.key, title: `${p.label} ${report[p.key]}`, style: `width: ${(Number(report[p.key]) / total) * 100}%; background: ${p.color}` }),
      ),
    ),
    h(
      'div',
      { class: 'legend' },
      ...PARTS.map((p) => h('span', { 'data-count': p.key }, h('i', { style: `background: ${p.color}` }), `${p.label} `, h('b', {}, String(report[p.key] ?? 0)))),
      h('span', { 'data-count': 'total' }, '共 total ', h('b', {}, String(report.total ?? 0))),
    ),
  )
}

/** The Queue panel's campaigns section: its element, and what refreshes it. */
export function campaignsSection({ config, titles }: Cloud): { element: HTMLElement; refresh(): Promise<void> } {
  const collection = config.campaigns!
  const list = h('div', { id: 'campaigns' })
  const reply = h('pre', { id: 'campaign-reply', class: 'wrap' })
  const more = pager('campaigns-next')
  const reports = new Map<string, Json>()
  let askedAt = 0
  const cancel = (id: string) =>
    showReply(reply, async () => {
      const answer = await callFor(config.cancelCampaign!, id)
      askedAt = 0
      return answer
    })
  const cancelButton = (id: string, status: string, remaining?: number) =>
    config.cancelCampaign && stoppable(status, remaining) ? h('button', { class: 'quiet', 'data-cancel-campaign': id, onclick: () => cancel(id) }, '取消 Cancel') : ''

  /** A campaign as its report tells it. */
  const reported = (doc: Json, report: Json | undefined) => {
    const status = String(report?.status ?? doc.status)
    const failed = report && report.ok === false
    return h(
      'div',
      { class: 'campaign', 'data-campaign': doc._id, 'data-status': status },
      h(
        'div',
        { class: 'head' },
        h('b', {}, titles.get(doc.templateId) ?? doc.templateId ?? '—'),
        h('span', { class: `badge ${status}` }, status),
        h('span', { class: 'muted' }, '定时 sendAt ', report?.sendAt ?? doc.sendAt ? when(report?.sendAt ?? doc.sendAt) : '立即 at once'),
        h('small', { class: 'muted mono' }, doc._id),
        cancelButton(doc._id, status, report?.remaining),
      ),
      !report ? h('p', { class: 'muted' }, '…') : failed ? h('p', { class: 'error' }, `${report.code ?? ''} ${report.message ?? JSON.stringify(report)}`) : progress(report),
    )
  }

  /** A campaign as its document tells it, when the project declares no report. */
  const rows = (docs: Json[]) =>
    table(
      'campaigns-rows',
      ['_id', '模板 template', 'status', '定时 sendAt', '创建 createdAt', '排除 excluded', '受众 audience', ''],
      docs.map((doc) =>
        h(
          'tr',
          { 'data-campaign': doc._id, 'data-status': doc.status },
          cell(doc._id),
          cell(titles.get(doc.templateId) ?? doc.templateId),
          cell(doc.status),
          h('td', {}, doc.sendAt ? when(doc.sendAt) : '立即 at once'),
          h('td', {}, when(doc.createdAt)),
          cell(doc.excluded),
          cell(audience(doc.audience)),
          h('td', {}, cancelButton(doc._id, String(doc.status))),
        ),
      ),
    )

  const element = h(
    'section',
    { class: 'campaigns' },
    h('h2', {}, `群发 Campaigns · ${collection}`),
    config.campaign ? '' : h('p', { class: 'muted' }, 'Declare "console": { "campaign": { "function", "data" } } in emulator.config.json to see each campaign\'s progress.'),
    list,
    more.button,
    reply,
  )
  return {
    element,
    async refresh() {
      const docs = await page(collection, undefined, PAGE, more.from())
      more.shown(docs.next)
      const shown = docs.data as Json[]
      if (!config.campaign) {
        redraw(list, shown, () => [shown.length ? rows(shown) : h('p', { class: 'muted' }, '（无）none')])
        return
      }
      // Each report is an invocation of the project's function: asked again only while the campaign can still change.
      const open = shown.filter((doc) => !settled(reports.get(doc._id)))
      if (Date.now() - askedAt >= REPORT_EVERY_MS || open.some((doc) => !reports.has(doc._id))) {
        askedAt = Date.now()
        const answers = await Promise.all(open.map((doc) => callFor(config.campaign!, doc._id).then((r) => r.result, (error: Error) => ({ ok: false, message: error.message }))))
        open.forEach((doc, i) => reports.set(doc._id, answers[i]))
      }
      const drawn = shown.map((doc) => reports.get(doc._id))
      redraw(list, [shown, drawn], () => (shown.length ? shown.map((doc) => reported(doc, reports.get(doc._id))) : [h('p', { class: 'muted' }, '（无）none')]))
    },
  }
}
