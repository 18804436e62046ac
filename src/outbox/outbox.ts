/**
 * The `messages` collection: every message, sent now or queued for later,
 * with its request, status, attempts, WeChat's answer and timestamps. Each
 * message holds an idempotency key under a unique index, so a repeated
 * request finds the first one instead of sending again: enforced by the
 * index, not by reading first.
 */
import { createHash, randomBytes } from 'node:crypto'
import { isDuplicateKey, type Database, type Doc } from '../cloud'
import type { Code } from '../replies'
import type { MessageData } from '../templates/validate'
import { SHARDS } from '../limits'

export const MESSAGES = 'messages'

/**
 * scheduled: queued until `dueAt`; sending: being sent now (by a dispatcher
 * run or the call that asked, under a lease that ends at `leaseUntil`); sent; failed; unknown: WeChat did not
 * say, so it is never sent again; cancelled; waiting: no grant yet, kept
 * until the user accepts or `dueAt` (the wait's end) passes; superseded: a
 * newer message under its collapse key replaced it before it went out;
 * expired: no grant came while it waited (code NO_QUOTA).
 */
export const MESSAGE_STATUSES = ['scheduled', 'sending', 'sent', 'failed', 'unknown', 'cancelled', 'waiting', 'superseded', 'expired'] as const
export type MessageStatus = (typeof MESSAGE_STATUSES)[number]

export interface Attempt {
  at: Date | unknown
  errcode: number | null
  errmsg: string
}

export interface MessageRecord {
  _id: string
  idempotencyKey: string
  /** A digest of the request, to tell a true repeat from a different request under the same key. */
  fingerprint: string
  /** `server`, or the openid of the mini-program user who asked. */
  requestedBy: string
  touser: string
  templateId: string
  data: MessageData
  page: string | null
  miniprogramState: string
  lang: string
  status: MessageStatus
  /** When it was asked to go out (null: at once). */
  sendAt: Date | null
  /** When it is due: while scheduled, when it may go out; kept while it is sent, as when it was due. */
  dueAt: Date | null
  /** While `sending`: when its holder's lease ends, and another run may take it over. */
  leaseUntil?: Date | null
  /** When its holder took it up (the holder's clock): no reservation for it is older. */
  claimedAt?: Date | null
  /** The dispatcher shard, from the recipient: one user's messages are never in two shards. */
  shard: number
  /**
   * Unique: `<openid>#<n>` while a mini-program user's scheduled message holds
   * one of that user's pending slots, the message's own `_id` otherwise. The
   * unique index, not a read, keeps a user within the cap.
   */
  queueSlot: string
  /** The run that holds it while `sending`; kept once it is settled, so that a retried settle knows its own write. */
  claimToken: string | null
  /** Delivery attempts by the dispatcher (each may hold several WeChat attempts). */
  tries: number
  campaignId: string | null
  /** For a resend: the `unknown` message this one sends again (absent on messages written before resends were). */
  resendOf?: string | null
  /** `<touser>:<collapseKey>`: the newest queued message under it replaces the older ones still queued. */
  collapse?: string | null
  /** Not held by quiet hours. */
  urgent?: boolean
  /** How long it may wait for a grant when the user has none (absent or 0: refused with NO_QUOTA). */
  waitForGrantMs?: number
  /** Set when it first found no grant: the wait ends then, however often it is released and finds none again. */
  waitUntil?: Date | null
  /** The reply code of a message that did not go out. */
  code: Code | null
  errcode: number | null
  errmsg: string | null
  msgid: string | null
  attempts: Attempt[]
}

export type NewMessage = Omit<MessageRecord, 'createdAt' | 'updatedAt'>
export type MessageChange = Partial<Omit<MessageRecord, '_id' | 'attempts'>>

/** Statuses of a message still to go out. */
export const PENDING: MessageStatus[] = ['scheduled', 'sending']
/** Statuses that hold a place in a user's queue: still to go out, or waiting for a grant. */
export const QUEUED: MessageStatus[] = ['scheduled', 'sending', 'waiting']

/** A user's n-th pending slot. */
export const queueSlot = (openid: string, n: number) => `${openid}#${String(n).padStart(4, '0')}`

/** FNV-1a of the openid, folded onto the shards. */
export function shardOf(openid: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < openid.length; i++) hash = Math.imul(hash ^ openid.charCodeAt(i), 0x01000193)
  return (hash >>> 0) % SHARDS
}

/** What a new message is asked for; everything else starts empty. */
export type MessageRequest = Pick<
  MessageRecord,
  '_id' | 'idempotencyKey' | 'fingerprint' | 'requestedBy' | 'touser' | 'templateId' | 'data' | 'page' | 'miniprogramState' | 'lang'
> & {
  sendAt?: Date | null
  campaignId?: string | null
  resendOf?: string | null
  collapse?: string | null
  urgent?: boolean
  waitForGrantMs?: number
  leaseUntil?: Date
  claimedAt?: Date
  queueSlot?: string
}

/**
 * A message as first written: queued for `sendAt` when given; else being sent
 * now, under a lease (`leaseUntil`) past which the dispatcher takes it over,
 * should the call sending it die.
 */
export function newMessage(request: MessageRequest): NewMessage {
  const { leaseUntil, ...fields } = request
  const sendAt = request.sendAt ?? null
  return {
    ...fields,
    status: sendAt ? 'scheduled' : 'sending',
    sendAt,
    dueAt: sendAt,
    leaseUntil: sendAt ? null : (leaseUntil ?? null),
    claimedAt: sendAt ? null : (request.claimedAt ?? null),
    shard: shardOf(request.touser),
    queueSlot: request.queueSlot ?? request._id,
    claimToken: null,
    tries: 0,
    campaignId: request.campaignId ?? null,
    resendOf: request.resendOf ?? null,
    ...(request.collapse ? { collapse: request.collapse } : {}),
    ...(request.urgent ? { urgent: true } : {}),
    ...(request.waitForGrantMs ? { waitForGrantMs: request.waitForGrantMs } : {}),
    code: null,
    errcode: null,
    errmsg: null,
    msgid: null,
    attempts: [],
  }
}

/** A short digest of what a request asked for, to tell a true repeat from another request under the same key. */
export function digest(values: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(values)).digest('hex').slice(0, 32)
}

export function newMessageId(): string {
  return `msg_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`
}

export class Outbox {
  constructor(private readonly db: Database) {}

  /**
   * Inserts the message, or, when its idempotency key is taken, gives the
   * message that holds it; `existing` is absent when another unique key (its
   * queue slot) refused it.
   */
  async open(record: NewMessage): Promise<{ created: true } | { created: false; existing?: MessageRecord }> {
    const now = this.db.serverDate()
    try {
      await this.db.collection(MESSAGES).add({ data: { ...record, createdAt: now, updatedAt: now } as Doc })
      return { created: true }
    } catch (error) {
      if (!isDuplicateKey(error)) throw error
      return { created: false, existing: await this.byKey(record.idempotencyKey) }
    }
  }

  /** Messages to `touser` still to go out (queued, or being sent), counted from the (touser, status) index alone. */
  async pendingFor(touser: string): Promise<number> {
    const _ = this.db.command
    return (await this.db.collection(MESSAGES).where({ touser, status: _.in(PENDING) }).count()).total
  }

  /** Queue slots a user holds, counted on the queueSlot index. */
  async slotsHeld(openid: string): Promise<number> {
    const _ = this.db.command
    return (await this.db.collection(MESSAGES).where({ queueSlot: _.gte(`${openid}#`).and(_.lt(`${openid}#~`)) }).count()).total
  }

  /** The user's oldest messages still holding a place in its queue, by the (touser, createdAt) index. */
  async oldestQueued(openid: string, count: number): Promise<string[]> {
    const _ = this.db.command
    const { data } = await this.db.collection(MESSAGES).where({ touser: openid, status: _.in(QUEUED) }).orderBy('createdAt', 'asc').limit(count).field({ _id: true }).get()
    return data.map((doc) => String(doc._id))
  }

  async byKey(idempotencyKey: string): Promise<MessageRecord | undefined> {
    const { data } = await this.db.collection(MESSAGES).where({ idempotencyKey }).limit(1).get()
    return data[0] as unknown as MessageRecord | undefined
  }

  async get(id: string): Promise<MessageRecord | undefined> {
    const { data } = await this.db.collection(MESSAGES).doc(id).get()
    return (data as unknown as MessageRecord | null) ?? undefined
  }

  /** A message's key once freed, after an outcome where nothing went out, so a retry under it can send. */
  static released(message: Pick<MessageRecord, '_id' | 'idempotencyKey'>): string {
    return `${message.idempotencyKey}#released:${message._id}`
  }

  /**
   * Settles a message its holder has sent: one write, only while the message
   * is still `sending` under the holder's claim token (null for an immediate
   * send). False when another run holds it now. A try again after a failure
   * knows its own write that landed without a reply: the message is settled,
   * and still carries the holder's token.
   */
  async settle(id: string, change: MessageChange, attempts: Attempt[], claimToken: string | null): Promise<boolean> {
    if (await this.update(id, change, attempts, { claimToken, status: 'sending' })) return true
    // Settled, and still under this holder's token: the write that landed was this one (only a holder settles a message it sends).
    const { data } = await this.db.collection(MESSAGES).doc(id).field({ claimToken: true, status: true }).get()
    return data !== null && data.claimToken === claimToken && data.status !== 'sending'
  }

  /**
   * Applies a change and appends attempts in one write. With `expect`, the
   * write happens only while the message still matches it (a claim token, a
   * status), and the result says whether it did.
   */
  async update(id: string, change: MessageChange, attempts: Attempt[] = [], expect: Record<string, unknown> = {}): Promise<boolean> {
    const _ = this.db.command
    const now = this.db.serverDate()
    const data: Record<string, unknown> = { ...change, updatedAt: now }
    if (change.status === 'sent') data.sentAt = now
    if (attempts.length > 0) data.attempts = _.push(attempts)
    const { stats } = await this.db
      .collection(MESSAGES)
      .where({ _id: id, ...expect })
      .update({ data })
    return stats.updated === 1
  }
}
