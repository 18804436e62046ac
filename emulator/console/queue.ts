/** The Queue panel: the project's messages by status, a cancel, WeChat's deliveries per minute, the campaigns. */
import { api, cell, h, page, pager, showReply, table, undeclared, type Json, type Panel } from './dom'

const STATUSES = ['scheduled', 'sending', 'sent', 'failed', 'unknown', 'cancelled']

/** Deliveries per minute over the last 30 minutes, as bars. */
function chart(points: Array<[number, number]>): SVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
  svg.setAttribute('viewBox', '0 0 300 80')
  svg.setAttribute('width', '300')
  svg.setAttribute('height', '80')
  svg.id = 'queue-chart'
  const now = Math.floor(Date.now() / 60_000)
  const max = Math.max(1, ...points.map(([, count]) => count))
  for (const [minute, count] of points) {
    const slot = 29 - (now - Math.floor(minute / 60_000))
    if (slot < 0 || slot > 29) continue
    const bar = document.createElementNS('http://www.w3.org/2000/svg', 'rect')
    const height = Math.max(2, (count / max) * 70)
    bar.setAttribute('x', String(slot * 10 + 1))
    bar.setAttribute('y', String(78 - height))
    bar.setAttribute('width', '8')
    bar.setAttribute('height', String(height))
    bar.setAttribute('fill', '#07c160')
    bar.setAttribute('data-count', String(count))
    svg.append(bar)
  }
  return svg
}

export const queue: Panel = {
  title: '队列 Queue',
  mount(root, { config, titles }) {
    if (!config.queue) return undeclared(root, 'queue')
    const counts = h('div', { id: 'queue-counts' })
    const status = h('select', { id: 'queue-status' }, ...STATUSES.map((s) => h('option', { value: s }, s))) as HTMLSelectElement
    // A rare status may end a page short, and 下一页 reads on from there.
    const more = pager('queue-next')
    status.addEventListener('change', more.reset)
    const rows = table('queue', ['_id', 'touser', '模板 template', 'status', 'sendAt', 'tries', 'code', ''])
    const reply = h('pre', { id: 'queue-reply', class: 'wrap' })
    const graph = h('div', { id: 'queue-graph' })
    const campaigns = h('pre', { id: 'queue-campaigns', class: 'wrap' })
    const cancel = (id: string) =>
      showReply(reply, () => {
        const data = JSON.parse(JSON.stringify(config.cancel!.data).replaceAll('"{_id}"', JSON.stringify(id)))
        return api('POST', `/_emulator/functions/${config.cancel!.function}/call`, { data })
      })
    root.append(
      h('section', {}, h('h2', {}, '按状态 By status'), counts, h('h2', {}, '每分钟投递 Deliveries per minute'), graph, h('h2', {}, '群发 Campaigns'), campaigns),
      h('section', { style: 'flex: 1' }, h('h2', {}, `${config.queue}`), status, ' ', more.button, rows, reply),
    )
    return async () => {
      const totals = await Promise.all(STATUSES.map((s) => api('GET', `/_emulator/db/${config.queue}/count?filter=${encodeURIComponent(JSON.stringify({ status: s }))}`)))
      counts.replaceChildren(...STATUSES.map((s, i) => h('div', { 'data-status': s }, `${s}: ${totals[i].total}`)))
      graph.replaceChildren(chart((await api('GET', '/_emulator/wechat/deliveries?minutes=30')).data))
      const listed = await page(config.queue!, { status: status.value }, 50, more.from())
      more.shown(listed.next)
      rows.querySelector('tbody')!.replaceChildren(
        ...(listed.data as Json[]).map((m) =>
          h(
            'tr',
            { 'data-message': m._id },
            cell(m._id),
            cell(m.touser),
            cell(titles.get(m.templateId) ?? m.templateId),
            cell(m.status),
            cell(m.sendAt?.$date ?? m.sendAt),
            cell(m.tries),
            cell(m.code),
            h('td', {}, m.status === 'scheduled' && config.cancel ? h('button', { class: 'quiet', 'data-cancel': m._id, onclick: () => cancel(m._id) }, '取消 Cancel') : ''),
          ),
        ),
      )
      if (config.campaigns) campaigns.textContent = ((await page(config.campaigns, undefined, 20)).data as Json[]).map((c) => JSON.stringify(c)).join('\n') || '（无）'
    }
  },
}
