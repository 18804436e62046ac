/**
 * What a delivery makes of its message once the outcome is final: one table
 * for an immediate send and the dispatcher alike. A final message gives its
 * user's queue slot back; one where nothing went out frees its idempotency
 * key too, so that a retry under the same key may send. The one outcome that
 * is not final: no grant for a message asked to wait for one, which waits.
 */
import { CODES } from '../replies'
import { DAILY_LIMIT, type Delivery } from './deliver'
import { Outbox, type MessageChange, type MessageRecord } from './outbox'

/**
 * A message that waited for a grant in vain: final, NO_QUOTA, its queue slot
 * and key given back (nothing went out). WeChat's errcode, when a send said it;
 * left as it was when the wait simply ran out.
 */
export function expiredChange(message: Pick<MessageRecord, '_id' | 'idempotencyKey'>, errmsg: string, errcode?: number | null): MessageChange {
  return { status: 'expired', code: CODES.NO_QUOTA, ...(errcode !== undefined ? { errcode } : {}), errmsg, dueAt: null, queueSlot: message._id, idempotencyKey: Outbox.released(message) }
}

export function finalChange(message: Pick<MessageRecord, '_id' | 'idempotencyKey' | 'waitForGrantMs' | 'waitUntil'>, delivery: Delivery, now: number): MessageChange {
  const final = { dueAt: null, queueSlot: message._id }
  const released = { idempotencyKey: Outbox.released(message) }
  switch (delivery.kind) {
    case 'sent':
      return { status: 'sent', msgid: delivery.msgid, ...final }
    case 'no_quota': {
      const refusal = { code: CODES.NO_QUOTA, errcode: delivery.errcode, errmsg: delivery.errmsg }
      if (!message.waitForGrantMs) return { status: 'failed', ...refusal, ...final, ...released }
      // Asked to wait for a grant: it keeps its queue slot and key, due when the wait ends, unless that is past.
      const waitUntil = message.waitUntil ?? new Date(now + message.waitForGrantMs)
      if (new Date(waitUntil as Date).getTime() <= now) return expiredChange(message, delivery.errmsg, delivery.errcode)
      return { status: 'waiting', dueAt: waitUntil, waitUntil, errcode: delivery.errcode, errmsg: delivery.errmsg, leaseUntil: null }
    }
    case 'refused':
      return { status: 'failed', code: delivery.code, errcode: delivery.errcode, errmsg: delivery.errmsg, ...final }
    case 'transient':
      return { status: 'failed', code: delivery.errcode === DAILY_LIMIT ? CODES.DAILY_LIMIT : CODES.RETRYABLE, errcode: delivery.errcode, errmsg: delivery.errmsg, ...final, ...released }
    case 'unknown':
      // The message may be out: the grant stays spent and it is never sent again.
      return { status: 'unknown', code: CODES.UNKNOWN_OUTCOME, errcode: delivery.errcode, errmsg: delivery.errmsg, ...final }
  }
}
