/**
 * Messages waiting for a grant (`send`'s `waitForGrantMs`): kept as
 * `waiting`, due at the wait's end (`dueAt`, when the dispatcher ends them
 * `expired`), and released when the user accepts the template: one per
 * one-time accept (the oldest first), all of them for a long-term accept.
 * A released message is `scheduled`, due at once, and goes out by the usual
 * rules (it reserves the grant the accept gave when the dispatcher sends it).
 */
import type { Database } from '../cloud'
import { isAccept, type PopupOutcome } from '../ledger/ledger'
import type { Template } from '../templates/registry'
import { MESSAGES, type MessageRecord } from './outbox'

/** Read per try when releasing one: enough that a concurrent release taking the oldest does not leave this one empty-handed. */
const CANDIDATES = 5

/**
 * Releases the user's waiting messages that an applied popup's accepts allow.
 * Call only once per applied report (Ledger.recordPopup says), so a report
 * sent again releases nothing more. Returns the released ids.
 */
export async function releaseWaiting(db: Database, openid: string, outcomes: Array<{ template: Template; outcome: PopupOutcome }>, now: Date): Promise<string[]> {
  const released: string[] = []
  for (const { template, outcome } of outcomes) {
    if (!isAccept(template.kind, outcome)) continue
    released.push(...(await release(db, openid, template, template.kind === 'long-term' ? Infinity : 1, now)))
  }
  return released
}

async function release(db: Database, openid: string, template: Template, count: number, now: Date): Promise<string[]> {
  const released: string[] = []
  while (released.length < count) {
    const { data } = await db
      .collection(MESSAGES)
      .where({ touser: openid, status: 'waiting', templateId: template.id })
      .orderBy('createdAt', 'asc')
      .limit(Math.min(CANDIDATES, count - released.length + CANDIDATES - 1))
      .get()
    const waiting = data as unknown as MessageRecord[]
    if (waiting.length === 0) break
    for (const message of waiting) {
      if (released.length >= count) break
      // Conditional: a message another release, an expiry or a cancel took meanwhile is left alone.
      const { stats } = await db
        .collection(MESSAGES)
        .where({ _id: message._id, status: 'waiting' })
        .update({ data: { status: 'scheduled', dueAt: now, updatedAt: db.serverDate() } })
      if (stats.updated === 1) released.push(message._id)
    }
  }
  return released
}
