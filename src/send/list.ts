/**
 * `{ action: "list", status?, after?, limit?, touser? }`: a user's messages,
 * newest first, a page at a time along the (touser, createdAt) index. A
 * mini-program user lists the messages to itself; a server names `touser`.
 * `next` is the cursor of the following page (null after the last): the
 * last message's creation time and id, so that a page never repeats or
 * skips one, however many share a millisecond.
 */
import type { Caller } from '../caller'
import type { Database } from '../cloud'
import { OPENID, oneOf, readEvent, text, wholeNumber } from '../input'
import { ID_MAX, LIST_PAGE_DEFAULT, LIST_PAGE_MAX } from '../limits'
import { CODES, refuse, success } from '../replies'
import { MESSAGES, MESSAGE_STATUSES, type MessageRecord } from '../outbox/outbox'
import { messageView } from './send'

const CURSOR = /^[A-Za-z0-9_-]{1,400}$/

interface Cursor {
  createdAt: Date
  id: string
}

const encode = (message: MessageRecord & { createdAt?: unknown }): string =>
  Buffer.from(JSON.stringify([new Date(message.createdAt as Date).toISOString(), message._id])).toString('base64url')

function decode(after: string): Cursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as unknown[]
    const createdAt = new Date(String(at))
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(createdAt.getTime())) return { createdAt, id }
  } catch {
    // Refused below, as any other text that is no cursor of ours.
  }
  return refuse(CODES.INVALID_ARGUMENT, 'after is not a cursor a list reply gave', { field: 'after' })
}

export async function listMessages(db: Database, caller: Caller, event: unknown): Promise<Record<string, unknown>> {
  const input = readEvent(event, ['action', 'status', 'after', 'limit', 'touser'])
  const status = oneOf(input, 'status', MESSAGE_STATUSES)
  const after = text(input, 'after', { pattern: CURSOR, max: 400, optional: true })
  const limit = wholeNumber(input, 'limit', { min: 1, max: LIST_PAGE_MAX }) ?? LIST_PAGE_DEFAULT
  const named = text(input, 'touser', { pattern: OPENID, max: ID_MAX, optional: true })
  let touser: string
  if (caller.kind === 'user') {
    if (named !== undefined && named !== caller.openid) refuse(CODES.FORBIDDEN, 'a mini-program user may list only its own messages')
    touser = caller.openid
  } else {
    touser = named ?? refuse(CODES.INVALID_ARGUMENT, 'a server names whose messages to list: touser', { field: 'touser' })
  }
  const _ = db.command
  const cursor = after === undefined ? undefined : decode(after)
  const conditions: Array<Record<string, unknown>> = [{ touser, ...(status ? { status } : {}) }]
  if (cursor) conditions.push(_.or([{ createdAt: _.lt(cursor.createdAt) }, { createdAt: _.eq(cursor.createdAt), _id: _.lt(cursor.id) }]) as unknown as Record<string, unknown>)
  const { data } = await db
    .collection(MESSAGES)
    .where(_.and(conditions) as unknown as Record<string, unknown>)
    .orderBy('createdAt', 'desc')
    .orderBy('_id', 'desc')
    .limit(limit + 1)
    .get()
  const page = (data as unknown as MessageRecord[]).slice(0, limit)
  const more = data.length > limit
  return success({ messages: page.map((message) => messageView(message)), next: more ? encode(page[page.length - 1]!) : null })
}
