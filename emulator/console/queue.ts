/** The Queue panel: the project's messages by status, a cancel, WeChat's deliveries per minute, the campaigns. */
import './queue.css'
import { callFor } from './calls'
import { campaignsSection } from './campaigns'
import { chart } from './chart'
import { api, cell, h, page, pager, redraw, table, undeclared, type Json, type Panel } from './dom'
import { showReply } from './json-view'
import { localText, when, zoneLabel } from './time'

const STATUSES = ['scheduled', 'sending', 'sent', 'failed', 'unknown', 'cancelled']
const MINUTE = 60_000
const MINUTES = 30

/** The last 30 minutes, this one last, each with its deliveries: a minute WeChat delivered nothing in is 0, not a gap. */
function lastMinutes(points: Array<[number, number]>, now = Date.now()): [number[], number[]] {
  const counts = new Map(points)
  const last = Math.floor(now / MINUTE) * MINUTE
  const minutes = Array.from({ length: MINUTES }, (_x, i) => last - (MINUTES - 1 - i) * MINUTE)
  return [minutes, minutes.map((minute) => counts.get(minute) ?? 0)]
}

const deliveriesChart = () =>
  chart({
    id: 'queue-chart',
    x: {
      label: `时间 time (本地 local, ${zoneLabel()})`,
      step: MINUTE,
      time: true,
      tick: (minute) => localText(new Date(minute), false).slice(11),
      legend: (minute) => localText(new Date(minute), false),
    },
    y: { label: '条数 count' },
    series: [{ key: 'delivered', label: '投递 deliveries', color: '#07c160' }],
  })

export const queue: Panel = {
  title: '队列 Queue',
  mount(root, cloud) {
    const { config, titles } = cloud
    if (!config.queue) return undeclared(root, 'queue')
    const counts = h('div', { id: 'queue-counts' })
    const status = h('select', { id: 'queue-status' }, ...STATUSES.map((s) => h('option', { value: s }, s))) as HTMLSelectElement
    // A rare status may end a page short, and 下一页 reads on from there.
    const more = pager('queue-next')
    status.addEventListener('change', more.reset)
    const rows = table('queue', ['_id', 'touser', '模板 template', 'status', 'sendAt', 'tries', 'code', ''])
    const reply = h('pre', { id: 'queue-reply', class: 'wrap' })
    const deliveries = deliveriesChart()
    const campaigns = config.campaigns ? campaignsSection(cloud) : undefined
    const cancel = (id: string) => showReply(reply, () => callFor(config.cancel!, id))
    root.append(
      h('section', { class: 'queue-overview' }, h('h2', {}, '按状态 By status'), counts, h('h2', {}, '每分钟投递 Deliveries per minute · 近 30 分钟 last 30 minutes'), deliveries.element),
      h('section', { class: 'queue-messages' }, h('h2', {}, `${config.queue}`), status, ' ', more.button, rows, reply),
      campaigns?.element ?? h('section', { class: 'campaigns' }, h('p', { class: 'muted' }, 'Declare "console": { "campaigns": "<collection>" } in emulator.config.json to see the campaigns.')),
    )
    return async () => {
      const totals = await Promise.all(STATUSES.map((s) => api('GET', `/_emulator/db/${config.queue}/count?filter=${encodeURIComponent(JSON.stringify({ status: s }))}`)))
      counts.replaceChildren(...STATUSES.map((s, i) => h('div', { 'data-status': s }, h('span', { class: 'muted' }, `${s} `), h('b', {}, String(totals[i].total)))))
      const [minutes, delivered] = lastMinutes((await api('GET', `/_emulator/wechat/deliveries?minutes=${MINUTES}`)).data)
      deliveries.show(minutes, [delivered])
      const listed = await page(config.queue!, { status: status.value }, 50, more.from())
      more.shown(listed.next)
      redraw(rows.querySelector('tbody')!, listed.data, () =>
        (listed.data as Json[]).map((m) =>
          h(
            'tr',
            { 'data-message': m._id },
            cell(m._id),
            cell(m.touser),
            cell(titles.get(m.templateId) ?? m.templateId),
            cell(m.status),
            h('td', {}, when(m.sendAt)),
            cell(m.tries),
            cell(m.code),
            h('td', {}, m.status === 'scheduled' && config.cancel ? h('button', { class: 'quiet', 'data-cancel': m._id, onclick: () => cancel(m._id) }, '取消 Cancel') : ''),
          ),
        ),
      )
      await campaigns?.refresh()
    }
  },
}
