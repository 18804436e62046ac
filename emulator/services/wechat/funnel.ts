/**
 * WeChat's own funnel, as the oracle sees it: per template and UTC+8 day
 * (where WeChat's day turns), the popups answered, the messages delivered
 * and the sends refused, by errcode. Counted as they happen, in the store's
 * wechat_funnel table, so a product's own figures can be held against it.
 */
import type { WechatStore } from './store'

const BEIJING_OFFSET_MS = 8 * 3600_000
const DAY_MS = 86_400_000

/** The start of today in UTC+8, where WeChat's day turns. */
export function startOfBeijingDay(now: number): number {
  return Math.floor((now + BEIJING_OFFSET_MS) / DAY_MS) * DAY_MS - BEIJING_OFFSET_MS
}

/** YYYY-MM-DD of the UTC+8 day that holds `now`. */
export const beijingDate = (now: number) => new Date(now + BEIJING_OFFSET_MS).toISOString().slice(0, 10)

/** What one send or popup answer adds: a popup's answer, a delivery, or a refusal by its errcode. */
export type FunnelMeasure = 'accept' | 'reject' | 'ban' | 'filter' | 'delivered' | `refused:${number}`

export interface FunnelDay {
  date: string
  templateId: string
  /** Every answer of a popup for the template: accepted, rejected, banned or filtered (a title repeated in the call). */
  asked: number
  accepted: number
  rejected: number
  banned: number
  /** Messages delivered (a later asynchronous failure still counts: WeChat took them). */
  delivered: number
  /** Sends answered with an error, by errcode (an injected fault too; a send that hangs has no answer). */
  refused: Record<string, number>
}

/**
 * The last `days` days, oldest first, each with every template of the
 * account (in the account's order) and any other template id a send named.
 */
export function funnelDays(store: WechatStore, days: number, now: number): FunnelDay[] {
  const dates = Array.from({ length: days }, (_x, i) => beijingDate(startOfBeijingDay(now) - (days - 1 - i) * DAY_MS))
  const counts = store.funnelSince(dates[0]!)
  const ids = store.templates().map((t) => t.id)
  for (const { templateId } of counts) if (!ids.includes(templateId)) ids.push(templateId)
  const rows = new Map<string, FunnelDay>()
  for (const date of dates) {
    for (const templateId of ids) rows.set(`${date} ${templateId}`, { date, templateId, asked: 0, accepted: 0, rejected: 0, banned: 0, delivered: 0, refused: {} })
  }
  const field = { accept: 'accepted', reject: 'rejected', ban: 'banned' } as const
  for (const { day, templateId, measure, count } of counts) {
    const row = rows.get(`${day} ${templateId}`)
    if (!row) continue
    if (measure.startsWith('refused:')) row.refused[measure.slice('refused:'.length)] = count
    else if (measure === 'delivered') row.delivered = count
    else {
      row.asked += count
      if (measure in field) row[field[measure as keyof typeof field]] = count
    }
  }
  return [...rows.values()]
}
