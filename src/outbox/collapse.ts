/**
 * Latest wins (`send`'s `collapseKey`, as FCM's collapse_key): a message
 * under a key replaces the messages to the same user under the same key that
 * are still queued (scheduled or waiting, not claimed): they end
 * `superseded`, their queue slots freed, nothing spent. A message already
 * being sent is not touched. Message ids grow with time, so "older" is a
 * smaller id: of messages under one key queued at once, the newest stands,
 * whichever request's write lands first.
 */
import type { Database } from '../cloud'
import { MESSAGES, type MessageRecord } from './outbox'

/** Statuses a newer message under the same key replaces. */
const REPLACEABLE = ['scheduled', 'waiting']
/** Messages replaced per request, at most: a key seldom holds more than one queued message. */
const REPLACED_MAX = 100

/** The stored key: per requester (as idempotency keys are) and recipient, so no one replaces another's messages. */
export const collapseOf = (requestedBy: string, touser: string, collapseKey: string) => `${requestedBy}>${touser}>${collapseKey}`

/** Replaces the older queued messages under the message's key; returns their ids. Ends the message itself superseded when a newer one already stands. */
export async function supersede(db: Database, message: Pick<MessageRecord, '_id' | 'collapse'>): Promise<{ replaced: string[]; superseded: boolean }> {
  const _ = db.command
  const collapse = message.collapse
  if (!collapse) return { replaced: [], superseded: false }
  const { data } = await db
    .collection(MESSAGES)
    .where({ collapse, status: _.in(REPLACEABLE), _id: _.lt(message._id) })
    .limit(REPLACED_MAX)
    .get()
  const replaced: string[] = []
  for (const older of data as unknown as MessageRecord[]) {
    if (await end(db, older._id)) replaced.push(older._id)
  }
  // A newer message under the key came first and missed this one: this one is the stale one.
  const { data: newer } = await db
    .collection(MESSAGES)
    .where({ collapse, status: _.in([...REPLACEABLE, 'sending', 'sent']), _id: _.gt(message._id) })
    .limit(1)
    .get()
  return { replaced, superseded: newer.length > 0 && (await end(db, message._id)) }
}

/** Conditional: only while still queued, so a claim or a cancel that came first stands. */
async function end(db: Database, id: string): Promise<boolean> {
  const _ = db.command
  const { stats } = await db
    .collection(MESSAGES)
    .where({ _id: id, status: _.in(REPLACEABLE) })
    .update({ data: { status: 'superseded', dueAt: null, queueSlot: id, updatedAt: db.serverDate() } })
  return stats.updated === 1
}
