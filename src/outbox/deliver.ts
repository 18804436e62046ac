/**
 * One delivery attempt of a message, shared by `send` and the dispatcher:
 * reserve a grant, call WeChat (retrying 43108 within the call), and settle
 * the reservation by WeChat's answer. What happens to the message record
 * afterwards is the caller's to decide.
 */
import type { SubscribeMessageRequest } from '../cloud'
import { TOKEN_REFUSALS, type SendOutcome, type WechatApi } from '../wechat/contract'
import { BUSY_RETRIES, busyWaitMs, type Timing } from '../timing'
import { reservationKey, type Ledger } from '../ledger/ledger'
import { CODES, type Code } from '../replies'
import type { Template } from '../templates/registry'
import type { MessageData } from '../templates/validate'
import type { Attempt } from './outbox'

export interface Deliverable {
  _id: string
  touser: string
  data: MessageData
  page: string | null
  miniprogramState: string
  lang: string
}

export type Delivery =
  | { kind: 'sent'; msgid: string; attempts: Attempt[] }
  /** No grant to reserve (WeChat not called), or WeChat said 43101 (the ledger is then set to 0). */
  | { kind: 'no_quota'; errcode: number | null; errmsg: string; attempts: Attempt[] }
  /** A definite refusal: nothing sent, grant refunded. */
  | { kind: 'refused'; code: Code; errcode: number; errmsg: string; attempts: Attempt[] }
  /** A transient failure (43108, 45009, an access token refused or not to be had): nothing sent, grant refunded. */
  | { kind: 'transient'; errcode: number | null; errmsg: string; attempts: Attempt[] }
  /** No answer, -1, or an answer that says nothing certain: the grant stays spent and counts as uncertain. */
  | { kind: 'unknown'; errcode: number | null; errmsg: string; attempts: Attempt[] }

export interface DeliveryDeps {
  ledger: Ledger
  /** Who sends it: the dispatcher run's claim token, or `send` for an immediate send. Names its reservation. */
  holder: string
  wechat: WechatApi['sendSubscribeMessage']
  timing: Timing
  sleep: (ms: number) => Promise<void>
  now: () => Date
  /** Whether a 43108 retry after `waitMs` may still start (the dispatcher's claim must outlive it); always, when absent. */
  mayRetry?: (waitMs: number) => Promise<boolean>
  /** Runs a ledger write that must land once WeChat has answered, again after a failure; once, when absent. */
  persist?: <T>(write: () => Promise<T>) => Promise<T>
  /** Told when the message's grant may be reserved, when its reservation is surely given back, and when WeChat is called. */
  progress?: (stage: Stage) => void
}

/**
 * How far a delivery got, for a caller that must know what it may give back
 * to the queue after a failure: `reserving` on (the reservation may hold a
 * unit from the moment its write is sent), `returned` (refunded, or never
 * taken: the message may be sent again), `calling` (WeChat may have it).
 */
export type Stage = 'reserving' | 'returned' | 'calling'

/**
 * Opens once WeChat may be called for the reserved message (the dispatcher's
 * send slot is free and its claim still covers the call): the function it
 * resolves with closes it again when WeChat has answered. Undefined: WeChat
 * must not be called.
 */
export type Gate = () => Promise<(() => void) | undefined>

/** WeChat's definite refusals and the code each is reported with. */
export const REFUSALS: Record<number, Code> = {
  40003: CODES.INVALID_RECIPIENT,
  40037: CODES.TEMPLATE_NOT_FOUND,
  41030: CODES.INVALID_PAGE,
  43107: CODES.TEMPLATE_BANNED,
  45168: CODES.SENSITIVE_CONTENT,
  47003: CODES.DATA_REFUSED,
  [-501007]: CODES.INVALID_REQUEST,
  [-604101]: CODES.NO_PERMISSION,
}
export const DAILY_LIMIT = 45009
/**
 * Refusals that say for certain nothing went out (a refused access token
 * too: HTTPS only, once the transport has tried again with a new one). -1
 * ("system busy") is not one of them: WeChat does not say whether it
 * delivered first, so it is an unknown outcome (the README gives the policy
 * and its cost).
 */
const TRANSIENT = new Set([43108, DAILY_LIMIT, ...TOKEN_REFUSALS])
const NO_QUOTA = 43101
const CONCURRENT_SEND = 43108

/**
 * With a gate, undefined when it did not open: the reservation is refunded,
 * and WeChat was not called.
 */
export async function deliver(deps: DeliveryDeps & { gate: Gate }, template: Template, message: Deliverable): Promise<Delivery | undefined>
export async function deliver(deps: DeliveryDeps, template: Template, message: Deliverable): Promise<Delivery>
export async function deliver(deps: DeliveryDeps & { gate?: Gate }, template: Template, message: Deliverable): Promise<Delivery | undefined> {
  const attempts: Attempt[] = []
  const progress = deps.progress ?? (() => undefined)
  const persist = deps.persist ?? ((write) => write())
  progress('reserving')
  const reservation = await deps.ledger.reserve(message.touser, template, reservationKey(message._id, deps.holder, deps.now().getTime()))
  if (!reservation) {
    progress('returned')
    return { kind: 'no_quota', errcode: null, errmsg: `no send left for ${template.id}`, attempts }
  }
  let close: (() => void) | undefined
  try {
    close = deps.gate ? await deps.gate() : () => undefined
  } finally {
    // Closed, or the gate failed: WeChat was not called, and the unit goes back (before a failure goes on).
    if (!close) {
      await deps.ledger.refund(message.touser, template, reservation)
      progress('returned')
    }
  }
  if (!close) return undefined
  const request: SubscribeMessageRequest = {
    touser: message.touser,
    templateId: template.id,
    data: message.data,
    miniprogramState: message.miniprogramState as SubscribeMessageRequest['miniprogramState'],
    lang: message.lang as SubscribeMessageRequest['lang'],
    ...(message.page ? { page: message.page } : {}),
  }
  let outcome: SendOutcome
  progress('calling')
  try {
    // 43108 (another send to this user in flight) is normal under concurrency: retried within the call first.
    for (let retry = 1; ; retry++) {
      outcome = await deps.wechat(request, deps.timing.wechatTimeoutMs)
      attempts.push({ at: deps.now(), ...attemptOf(outcome) })
      if (outcome.kind !== 'refused' || outcome.errcode !== CONCURRENT_SEND || retry > BUSY_RETRIES) break
      // A random wait of up to the retry's allowance, so that two senders do not meet again.
      const wait = Math.round(busyWaitMs(deps.timing, retry) * (0.25 + 0.75 * Math.random()))
      if (deps.mayRetry && !(await deps.mayRetry(wait))) break
      await deps.sleep(wait)
    }
  } finally {
    close()
  }

  // WeChat has answered: what the ledger learns from it must land, so each write is retried (each is safe to repeat).
  if (outcome.kind === 'sent') return { kind: 'sent', msgid: outcome.msgid, attempts }
  if (outcome.kind === 'not_called') {
    await persist(() => deps.ledger.refund(message.touser, template, reservation))
    return { kind: 'transient', errcode: outcome.errcode, errmsg: outcome.errmsg, attempts }
  }
  if (outcome.kind === 'refused' && outcome.errcode === NO_QUOTA) {
    await persist(() => deps.ledger.exhaust(message.touser, template))
    return { kind: 'no_quota', errcode: outcome.errcode, errmsg: outcome.errmsg, attempts }
  }
  if (outcome.kind === 'refused' && (REFUSALS[outcome.errcode] || TRANSIENT.has(outcome.errcode))) {
    const { errcode, errmsg } = outcome
    await persist(() => deps.ledger.refund(message.touser, template, reservation))
    const refused = REFUSALS[errcode]
    return refused ? { kind: 'refused', code: refused, errcode, errmsg, attempts } : { kind: 'transient', errcode, errmsg, attempts }
  }
  // No answer, -1, or a code we do not know: the unit may be spent at WeChat, or not. Keep it spent, and say so.
  await persist(() => deps.ledger.uncertain(message.touser, template, reservation.key))
  return outcome.kind === 'unknown'
    ? { kind: 'unknown', errcode: null, errmsg: outcome.reason, attempts }
    : { kind: 'unknown', errcode: outcome.errcode, errmsg: outcome.errmsg, attempts }
}

function attemptOf(outcome: SendOutcome): { errcode: number | null; errmsg: string } {
  if (outcome.kind === 'sent') return { errcode: 0, errmsg: 'ok' }
  if (outcome.kind === 'refused' || outcome.kind === 'not_called') return { errcode: outcome.errcode, errmsg: outcome.errmsg }
  return { errcode: null, errmsg: outcome.reason }
}
