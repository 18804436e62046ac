/**
 * What one delivery makes of a queued message: final (the table shared with
 * an immediate send), or back in the queue with a backoff; and what a run
 * that takes over a message left `sending` makes of it when a WeChat call
 * for it may have started.
 */
import type { Delivery } from '../outbox/deliver'
import { finalChange } from '../outbox/outcome'
import type { MessageChange, MessageRecord } from '../outbox/outbox'
import type { DispatchSettings } from '../settings'
import { DAILY_LIMIT } from '../outbox/deliver'
import { nextBeijingMidnight } from '../beijing'

export interface Settlement {
  change: MessageChange
  /** WeChat's daily limit was reached: the run stops, and the dispatcher pauses until the count starts again. */
  dailyLimit: boolean
}

export function settlement(message: MessageRecord, delivery: Delivery, settings: DispatchSettings, now: number): Settlement {
  const tries = message.tries + 1
  if (delivery.kind === 'transient') {
    const { errcode, errmsg } = delivery
    // The daily limit is nobody's fault: back in the queue as it was, due when WeChat's count starts again.
    if (errcode === DAILY_LIMIT) return { change: { status: 'scheduled', dueAt: new Date(nextBeijingMidnight(now)), leaseUntil: null, errcode, errmsg }, dailyLimit: true }
    if (tries < settings.maxTries) {
      return { change: { status: 'scheduled', dueAt: new Date(now + backoff(settings, tries)), leaseUntil: null, tries, errcode, errmsg }, dailyLimit: false }
    }
  }
  return { change: { ...finalChange(message, delivery, now), leaseUntil: null, tries }, dailyLimit: false }
}

/** A message whose holder died after a WeChat call for it may have started: never sent again on its own. */
export function abandonedChange(message: MessageRecord, now: number): MessageChange {
  const delivery: Delivery = { kind: 'unknown', errcode: null, errmsg: 'its sender stopped after WeChat may have been called; not sent again', attempts: [] }
  return { ...finalChange(message, delivery, now), leaseUntil: null, tries: message.tries + 1 }
}

/** Exponential, capped, with ±20% jitter so that retries of a burst spread out. */
function backoff(settings: DispatchSettings, tries: number): number {
  const { retryBaseMs, retryMaxMs } = settings
  const wait = Math.min(retryMaxMs, retryBaseMs * 2 ** (tries - 1))
  return Math.round(wait * (0.8 + Math.random() * 0.4))
}
