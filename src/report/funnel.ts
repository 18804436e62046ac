/**
 * The funnel, per template and per day (UTC+8, where WeChat's day turns):
 * from the popup to the message, each figure a count of one range of an
 * index (template, outcome or status, the day), so nothing on the send path
 * writes for it and a count reads no more than what it counts (the two by
 * code, failed and noQuota, the template's `failed` messages of the day).
 *
 * From `popups` (one record per applied report and template, written in the
 * report's transaction, so a repeated report counts once), by `at`, when the
 * report was applied; index (templateId, outcome, at):
 * - asked: every outcome recorded (accept, reject, ban, filter);
 * - accepted, rejected, banned: outcome accept (acceptWithAudio and
 *   acceptWithAlert where the kind takes them), reject (an accept the kind
 *   does not take counts here, as the ledger applies it), ban.
 *
 * From `messages`, by `updatedAt`, the time of the write that gave the
 * message its status (a final status is never left but for a reported
 * failure, below); index (templateId, status, updatedAt). Each message
 * counts once, under the status it has now:
 * - delivered: status `sent`: went out that day (`updatedAt` is then
 *   `sentAt`) and not reported failed;
 * - failed: status `failed` with code DELIVERY_FAILED: WeChat's
 *   subscribe_msg_sent_event said it did not reach the user, counted on the
 *   day the event was applied (only where delivery events are pushed to
 *   wechat-events);
 * - sent: delivered + failed, every message WeChat took (errcode 0); a
 *   failure reported after midnight moves its message to the report's day;
 * - unknown: status `unknown` (timeout, -1, a sender that died after
 *   reserving), the day it became so; a resend is a new message;
 * - noQuota: status `failed` with code NO_QUOTA (no unit in the ledger, or
 *   WeChat's 43101), the day it was refused;
 * - superseded: status `superseded`, the day a newer message replaced it;
 * - expired: status `expired`, the day its wait for a grant ended.
 * Other outcomes (refusals, cancels, messages still queued) are not in it.
 */
import { DAY_MS, beijingDate, startOfBeijingDay } from '../beijing'
import type { Database } from '../cloud'
import { readEvent, text, TEMPLATE_ID, wholeNumber, type Json } from '../input'
import { ID_MAX } from '../limits'
import { POPUPS } from '../ledger/ledger'
import { MESSAGES } from '../outbox/outbox'
import { CODES, refuse, success } from '../replies'
import { TEMPLATES, findTemplate } from '../templates/registry'

export const REPORT_DAYS_DEFAULT = 7
export const REPORT_DAYS_MAX = 31
/** Counts in flight at once: a report of 31 days is many small requests. */
const PARALLEL = 12

const COUNTS = ['asked', 'accepted', 'rejected', 'banned', 'delivered', 'failed', 'unknown', 'noQuota', 'superseded', 'expired'] as const
type Counted = (typeof COUNTS)[number]

export interface FunnelDay {
  date: string
  templateId: string
  asked: number
  accepted: number
  rejected: number
  banned: number
  sent: number
  delivered: number
  failed: number
  unknown: number
  noQuota: number
  superseded: number
  expired: number
}

/** Where each count is read: a collection, its equality conditions (the index's leading fields), and the time field. */
function source(db: Database, counted: Counted): { collection: string; match: Json; time: string } {
  const _ = db.command
  const popups = (outcome: unknown) => ({ collection: POPUPS, match: { outcome }, time: 'at' })
  const messages = (match: Json) => ({ collection: MESSAGES, match, time: 'updatedAt' })
  switch (counted) {
    case 'asked':
      return popups(_.in(['accept', 'reject', 'ban', 'filter']))
    case 'accepted':
      return popups('accept')
    case 'rejected':
      return popups('reject')
    case 'banned':
      return popups('ban')
    case 'delivered':
      return messages({ status: 'sent' })
    case 'failed':
      return messages({ status: 'failed', code: CODES.DELIVERY_FAILED })
    case 'noQuota':
      return messages({ status: 'failed', code: CODES.NO_QUOTA })
    default:
      return messages({ status: counted })
  }
}


/** `{ action: "report", days?: 1..31, templateId? }`, checked field by field. */
function readRequest(event: unknown): { days: number; templateIds: string[] } {
  const input = readEvent(event, ['action', 'days', 'templateId'])
  if (input.action !== 'report') refuse(CODES.INVALID_ARGUMENT, 'action must be "report"', { field: 'action' })
  const days = wholeNumber(input, 'days', { min: 1, max: REPORT_DAYS_MAX }) ?? REPORT_DAYS_DEFAULT
  const templateId = text(input, 'templateId', { pattern: TEMPLATE_ID, max: ID_MAX, optional: true })
  if (templateId !== undefined && !findTemplate(templateId)) refuse(CODES.INVALID_ARGUMENT, `template ${templateId} is not in the registry`, { field: 'templateId' })
  return { days, templateIds: templateId ? [templateId] : [...TEMPLATES.keys()] }
}

/** Runs the tasks at most PARALLEL at a time. */
async function inTurn(tasks: Array<() => Promise<void>>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!()
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, tasks.length) }, worker))
}

/**
 * The funnel of each day of the last `days` (oldest first, today last) and
 * each template of the registry, or the one asked for. Each count is first
 * read over the whole window, and day by day only where that is not zero.
 */
export async function funnelReport(db: Database, event: unknown, now: number): Promise<Record<string, unknown>> {
  const { days, templateIds } = readRequest(event)
  const _ = db.command
  const first = startOfBeijingDay(now) - (days - 1) * DAY_MS
  const starts = Array.from({ length: days }, (_x, i) => first + i * DAY_MS)
  const count = async (templateId: string, counted: Counted, from: number, to: number) => {
    const { collection, match, time } = source(db, counted)
    const range = _.gte(new Date(from)).and(_.lt(new Date(to)))
    return (await db.collection(collection).where({ templateId, ...match, [time]: range }).count()).total
  }
  const rows = new Map<string, Record<Counted, number>>()
  for (const templateId of templateIds) {
    for (const start of starts) rows.set(`${templateId}@${start}`, Object.fromEntries(COUNTS.map((c) => [c, 0])) as Record<Counted, number>)
  }
  const perDay: Array<() => Promise<void>> = []
  await inTurn(
    templateIds.flatMap((templateId) =>
      COUNTS.map((counted) => async () => {
        const total = await count(templateId, counted, first, first + days * DAY_MS)
        if (total === 0) return
        if (days === 1) rows.get(`${templateId}@${first}`)![counted] = total
        else for (const start of starts) perDay.push(async () => void (rows.get(`${templateId}@${start}`)![counted] = await count(templateId, counted, start, start + DAY_MS)))
      }),
    ),
  )
  await inTurn(perDay)
  const out: FunnelDay[] = starts.flatMap((start) =>
    templateIds.map((templateId) => {
      const { asked, accepted, rejected, banned, delivered, failed, unknown, noQuota, superseded, expired } = rows.get(`${templateId}@${start}`)!
      return { date: beijingDate(start), templateId, asked, accepted, rejected, banned, sent: delivered + failed, delivered, failed, unknown, noQuota, superseded, expired }
    }),
  )
  return success({ days: out })
}
