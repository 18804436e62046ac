/**
 * The `messages` collection: every send attempt, with its request, status,
 * attempts, WeChat's answer and timestamps. Each message has an
 * idempotency key under a unique index, so a repeated request finds the
 * first one instead of sending again: enforced by the index, not by reading
 * first.
 */
import { randomBytes } from 'node:crypto'
import { isDuplicateKey, type Database, type Doc } from '../cloud'
import type { Code } from '../replies'
import type { MessageData } from '../templates/validate'

export const MESSAGES = 'messages'

export type MessageStatus = 'sending' | 'sent' | 'failed' | 'unknown'

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
  requestedBy: string
  touser: string
  templateId: string
  data: MessageData
  page: string | null
  miniprogramState: string
  lang: string
  status: MessageStatus
  /** The reply code of a message that did not go out. */
  code: Code | null
  errcode: number | null
  errmsg: string | null
  msgid: string | null
  attempts: Attempt[]
}

export function newMessageId(): string {
  return `msg_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`
}

export class Outbox {
  constructor(private readonly db: Database) {}

  /** Inserts the message, or, when its idempotency key is taken, gives the message that holds it. */
  async open(record: Omit<MessageRecord, 'createdAt' | 'updatedAt'>): Promise<{ created: true } | { created: false; existing: MessageRecord }> {
    const now = this.db.serverDate()
    try {
      await this.db.collection(MESSAGES).add({ data: { ...record, createdAt: now, updatedAt: now } as Doc })
      return { created: true }
    } catch (error) {
      if (!isDuplicateKey(error)) throw error
      const existing = await this.byKey(record.idempotencyKey)
      if (!existing) throw error
      return { created: false, existing }
    }
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

  /** Records one attempt and the message's state after it. */
  async record(
    id: string,
    change: Partial<Pick<MessageRecord, 'status' | 'code' | 'errcode' | 'errmsg' | 'msgid' | 'idempotencyKey'>>,
    attempt?: Omit<Attempt, 'at'>,
  ): Promise<void> {
    const _ = this.db.command
    const now = this.db.serverDate()
    const data: Record<string, unknown> = { ...change, updatedAt: now }
    if (change.status === 'sent') data.sentAt = now
    if (attempt) data.attempts = _.push([{ ...attempt, at: now }])
    await this.db.collection(MESSAGES).doc(id).update({ data })
  }
}
