/** The Faults panel: WeChat's injected faults and the database's, each set and cleared, and the database faults counted so far. */
import { api, h, type Json, type Panel } from './dom'
import { showReply } from './json-view'

/** The WeChat side: an error code at a rate, latency, a hang, a daily limit. */
function wechatFaults(): { section: HTMLElement; refresh: () => Promise<void> } {
  const current = h('pre', { id: 'faults-current' })
  const errcode = h('input', { id: 'faults-errcode', value: '45009', size: 8 }) as HTMLInputElement
  const rate = h('input', { id: 'faults-rate', value: '1', size: 4 }) as HTMLInputElement
  const latency = h('input', { id: 'faults-latency', value: '0', size: 6 }) as HTMLInputElement
  const hang = h('input', { id: 'faults-hang', type: 'checkbox' }) as HTMLInputElement
  const limit = h('input', { id: 'faults-limit', placeholder: '—', size: 6 }) as HTMLInputElement
  const apply = (work: () => Promise<Json>) => showReply(current, work)
  const settings = () => ({
    errcode: Number(errcode.value),
    rate: Number(rate.value),
    latencyMs: Number(latency.value),
    hang: hang.checked,
    ...(limit.value.trim() ? { dailyLimit: Number(limit.value) } : {}),
  })
  const section = h(
    'section',
    {},
    h('h2', {}, '微信故障注入 WeChat faults'),
    h('label', {}, 'errcode ', errcode, ' rate ', rate),
    h('label', {}, 'latencyMs ', latency, ' hang ', hang),
    // WeChat's day, and so its daily limit, runs on UTC+8 whatever the browser's zone.
    h('label', {}, '日限额 dailyLimit ', limit, h('small', { class: 'muted' }, ' 每天 00:00 (UTC+8) 重置 resets daily at 00:00 UTC+8')),
    h('button', { class: 'action', id: 'faults-set', onclick: () => apply(() => api('PUT', '/_emulator/wechat/faults', settings())) }, '注入 Set'),
    ' ',
    h('button', { class: 'quiet', id: 'faults-clear', onclick: () => apply(() => api('DELETE', '/_emulator/wechat/faults')) }, '清除 Clear'),
    current,
  )
  return {
    section,
    async refresh() {
      // A refused setting stays in view until the next one.
      if (!current.classList.contains('error')) current.textContent = JSON.stringify(await api('GET', '/_emulator/wechat/faults'), null, 2)
    },
  }
}

/** The database side: shares refused, with lost replies, stalled; latency; the ops and collections they hit. */
function databaseFaults(): { section: HTMLElement; refresh: () => Promise<void> } {
  const current = h('pre', { id: 'db-faults-current' })
  const counts = h('pre', { id: 'db-faults-counts' })
  const input = (id: string, value: string, size: number, placeholder?: string) => h('input', { id: `db-faults-${id}`, value, size, placeholder }) as HTMLInputElement
  const rate = input('rate', '0', 4)
  const lostReply = input('lost-reply', '0', 4)
  const stallRate = input('stall-rate', '0', 4)
  const stallMs = input('stall-ms', '0', 6)
  const latency = input('latency', '0', 6)
  const ops = input('ops', '', 24, 'update, add (all when empty)')
  const collections = input('collections', '', 24, 'messages (all when empty)')
  const seed = input('seed', '', 8, '—')
  const list = (field: HTMLInputElement) => field.value.split(',').map((item) => item.trim()).filter(Boolean)
  const settings = () => ({
    rate: Number(rate.value),
    lostReply: Number(lostReply.value),
    ...(Number(stallRate.value) > 0 ? { stallRate: Number(stallRate.value), stallMs: Number(stallMs.value) } : {}),
    latencyMs: Number(latency.value),
    ...(list(ops).length ? { ops: list(ops) } : {}),
    ...(list(collections).length ? { collections: list(collections) } : {}),
    ...(seed.value.trim() ? { seed: Number(seed.value) } : {}),
  })
  const apply = (work: () => Promise<Json>) => showReply(current, work)
  const section = h(
    'section',
    {},
    h('h2', {}, '数据库故障注入 Database faults'),
    h('label', {}, 'rate ', rate, ' lostReply ', lostReply),
    h('label', {}, 'stallRate ', stallRate, ' stallMs ', stallMs),
    h('label', {}, 'latencyMs ', latency, ' seed ', seed),
    h('label', {}, 'ops ', ops),
    h('label', {}, 'collections ', collections),
    h('button', { class: 'action', id: 'db-faults-set', onclick: () => apply(() => api('PUT', '/_emulator/database/faults', settings())) }, '注入 Set'),
    ' ',
    h('button', { class: 'quiet', id: 'db-faults-clear', onclick: () => apply(() => api('DELETE', '/_emulator/database/faults')) }, '清除 Clear'),
    current,
    h('p', { class: 'muted' }, '已注入 Injected so far (DELETE /_emulator/stats resets)'),
    counts,
  )
  return {
    section,
    async refresh() {
      if (!current.classList.contains('error')) current.textContent = JSON.stringify(await api('GET', '/_emulator/database/faults'), null, 2)
      counts.textContent = JSON.stringify((await api('GET', '/_emulator/stats')).databaseFaults, null, 2)
    },
  }
}

export const faults: Panel = {
  title: '故障 Faults',
  mount(root) {
    const wechat = wechatFaults()
    const database = databaseFaults()
    root.append(wechat.section, database.section)
    return async () => {
      await Promise.all([wechat.refresh(), database.refresh()])
    }
  },
}
