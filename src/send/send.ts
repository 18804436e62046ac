/**
 * `send` for one message: authorize, validate, claim the idempotency key,
 * then either queue it (`sendAt` ahead) or deliver it now; `cancel`, `get`
 * and `resend` of a message; and WeChat's daily-limit pause, shown or lifted.
 */
import type { Caller } from '../caller'
import { isDatabaseFailure, type Database } from '../cloud'
import type { WechatApi } from '../wechat/contract'
import { immediateLeaseMs, repeatWaitMs, type Timing } from '../timing'
import { Ledger } from '../ledger/ledger'
import { deliver } from '../outbox/deliver'
import { finalChange } from '../outbox/outcome'
import { Outbox, digest, newMessage, newMessageId, queueSlot, type MessageRecord, type NewMessage } from '../outbox/outbox'
import { CODES, failure, refuse, success } from '../replies'
import type { QueueSettings, QuietHours } from '../settings'
import { prepareMessage, type PreparedMessage } from '../templates/validate'
import type { Template } from '../templates/registry'
import { collapseOf, supersede } from '../outbox/collapse'
import { quietUntil } from '../dispatch/quiet'
import { authorize, parseMessageAction, parsePauseAction, parseSendRequest, type SendRequest } from './request'
import { QUEUE_FULL_NAMED, SLOT_RECOUNT } from '../limits'
import { DispatchState } from '../dispatch/state'
import { nextBeijingMidnight } from '../beijing'
import { persistently } from '../persist'

export interface SendDeps {
  db: Database
  wechat: WechatApi['sendSubscribeMessage']
  timing: Timing
  queue: QueueSettings
  quiet: QuietHours | null
  sleep?: (ms: number) => Promise<void>
  now?: () => Date
}

/** The holder an immediate send's reservation is named by. */
const IMMEDIATE = 'send'

/** An insert refused by a unique key that no message holds any more: a race with a cancel or a retry, answered as still in progress. */
const unrecorded = (): never => refuse(CODES.IN_PROGRESS, 'the message could not be recorded; try again')

export const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A digest of what the caller asked for (the time as it named it, past or not), so that a retry is known for the same request. */
function fingerprint(request: SendRequest, prepared: PreparedMessage): string {
  const { touser, templateId, page, miniprogramState, lang, requestedAt, collapseKey, waitForGrantMs, urgent } = request
  // The delivery options join only when given, so that a request without them keeps the fingerprint it always had.
  const options = collapseKey || waitForGrantMs || urgent ? [{ collapseKey: collapseKey ?? null, waitForGrantMs: waitForGrantMs ?? null, urgent: urgent ?? false }] : []
  return digest([touser, templateId, prepared.data, page ?? null, miniprogramState, lang, requestedAt?.toISOString() ?? null, ...options])
}

/** The reply a message gives, to its first caller and to every repeat. */
export function replyOf(message: MessageRecord): Record<string, unknown> {
  if (message.status === 'sent') return success({ status: 'sent', messageId: message._id, msgid: message.msgid })
  if (['scheduled', 'cancelled', 'waiting', 'superseded'].includes(message.status) || (message.status === 'sending' && message.sendAt)) {
    return success({ status: message.status, messageId: message._id })
  }
  const code = message.code ?? CODES.UNKNOWN_OUTCOME
  return failure(code, message.errmsg ?? code, {
    messageId: message._id,
    ...(message.errcode !== null ? { errcode: message.errcode } : {}),
  })
}

/**
 * When a queued message is first due: at its `sendAt`, or, for a recipient
 * with `free` or more already pending, later by the spacing for each one past.
 */
function spaced(record: NewMessage, pending: number, free: number, spacingMs: number): Date {
  const sendAt = record.sendAt!.getTime()
  return new Date(sendAt + Math.max(0, pending + 1 - free) * spacingMs)
}

/** The public view of a message, for `get` and `list`. */
export function messageView(message: MessageRecord & { createdAt?: unknown; sentAt?: unknown }) {
  const { _id, status, touser, templateId, sendAt, dueAt, tries, attempts, code, errcode, errmsg, msgid, campaignId, resendOf, createdAt, sentAt, collapse, urgent, waitUntil } = message
  return {
    messageId: _id,
    status,
    touser,
    templateId,
    sendAt,
    // When it may go out: its sendAt, moved by a full queue's spacing, quiet hours or a retry's backoff; a waiting message's, the wait's end.
    dueAt: dueAt ?? null,
    tries,
    attempts,
    code,
    errcode,
    errmsg,
    msgid,
    campaignId,
    resendOf: resendOf ?? null,
    collapseKey: collapse ? collapse.slice(collapse.lastIndexOf('>') + 1) : null,
    urgent: urgent === true,
    waitUntil: waitUntil ?? null,
    createdAt,
    sentAt: sentAt ?? null,
  }
}

export class Sender {
  readonly ledger: Ledger
  readonly outbox: Outbox
  private readonly state: DispatchState
  private readonly sleep: (ms: number) => Promise<void>
  private readonly now: () => Date

  constructor(private readonly deps: SendDeps) {
    this.ledger = new Ledger(deps.db)
    this.outbox = new Outbox(deps.db)
    this.state = new DispatchState(deps.db)
    this.sleep = deps.sleep ?? defaultSleep
    this.now = deps.now ?? (() => new Date())
  }

  async send(caller: Caller, event: unknown): Promise<Record<string, unknown>> {
    const started = this.now().getTime()
    return this.submit(caller, parseSendRequest(event, this.now()), started)
  }

  /**
   * `{ action: "resend", messageId }`: an `unknown` message sent again, knowingly, as a new message that names it
   * (`resendOf`), through the same path as any send. Its key is derived from the first's id, so a repeat is the
   * first resend's outcome, never a second message.
   */
  async resend(caller: Caller, event: unknown): Promise<Record<string, unknown>> {
    const started = this.now().getTime()
    const first = await this.ownMessage(caller, event)
    if (first.status !== 'unknown') {
      return failure(CODES.NOT_RESENDABLE, `message ${first._id} is ${first.status}: only a message whose outcome is unknown may be resent`, { messageId: first._id, status: first.status })
    }
    // Its state as resolved when it was first asked, not today's default: a resend opens what the first would have.
    const { touser, templateId, data, page, miniprogramState, lang } = first
    // Read as any request is, so that today's registry and limits judge it, not those it was stored under.
    const request = parseSendRequest({ touser, templateId, data, ...(page ? { page } : {}), miniprogramState, lang, idempotencyKey: `resend:${first._id}` }, this.now())
    return { ...(await this.submit(caller, request, started, first._id)), resendOf: first._id }
  }

  /** A message asked for now or later, from the caller's request; `resendOf` names the message it sends again. */
  private async submit(caller: Caller, request: SendRequest, started: number, resendOf: string | null = null): Promise<Record<string, unknown>> {
    authorize(caller, request.touser, request.templateId)
    const prepared = prepareMessage(request.templateId, request.data, request.page)
    // WeChat's daily limit reached: it is not called until its count starts again. A message asked for a time
    // (already past) waits for then; one asked for now is refused, and nothing is written.
    const pausedUntil = request.sendAt ? 0 : (await this.state.read()).pausedUntil
    if (pausedUntil > started && !request.requestedAt) {
      return failure(CODES.DAILY_LIMIT, "WeChat's daily limit of sends is reached: nothing was sent", { retryAt: new Date(pausedUntil).toISOString() })
    }
    const sendAt = pausedUntil > started ? new Date(pausedUntil) : request.sendAt
    const messageId = newMessageId()
    const scope = caller.kind === 'user' ? caller.openid : 'server'
    const record = newMessage({
      _id: messageId,
      idempotencyKey: `${scope}:${request.idempotencyKey ?? `auto:${messageId}`}`,
      fingerprint: fingerprint(request, prepared),
      requestedBy: scope,
      touser: request.touser,
      templateId: request.templateId,
      data: prepared.data,
      page: request.page ?? null,
      miniprogramState: request.miniprogramState,
      lang: request.lang,
      resendOf,
      sendAt,
      collapse: request.collapseKey ? collapseOf(scope, request.touser, request.collapseKey) : null,
      urgent: request.urgent,
      waitForGrantMs: request.waitForGrantMs,
      // Longer than the function can run: only a call that died leaves it to the dispatcher.
      leaseUntil: new Date(started + immediateLeaseMs(this.deps.timing)),
      claimedAt: new Date(started),
    })
    // A scheduled message reserves its grant when it is dispatched, not now.
    if (sendAt) return this.schedule(caller, record)
    // No grant, and asked to wait for one: kept until the user accepts, holding a place in the queue as a scheduled message does.
    if (request.waitForGrantMs && !(await this.holdsGrant(record.touser, prepared.template))) {
      const waitUntil = new Date(started + request.waitForGrantMs)
      return this.schedule(caller, { ...record, status: 'waiting', dueAt: waitUntil, waitUntil, leaseUntil: null, claimedAt: null })
    }
    const opened = await this.outbox.open(record)
    if (!opened.created) return opened.existing ? this.repeat(opened.existing, record.fingerprint) : unrecorded()
    const { replaced } = await supersede(this.deps.db, record)
    // What must land once WeChat has answered is tried again while the call has time left for it.
    const { timing } = this.deps
    // A try, then the reply's own write: both before the platform ends the call.
    const persist = <T>(write: () => Promise<T>) =>
      persistently(write, { mayRetry: (waitMs) => this.now().getTime() + waitMs + 2 * timing.writeMs <= started + timing.functionTimeoutMs, sleep: this.sleep })
    const delivery = await deliver({ ledger: this.ledger, holder: IMMEDIATE, wechat: this.deps.wechat, timing, sleep: this.sleep, now: this.now, persist }, prepared.template, record)
    const change = finalChange(record, delivery, this.now().getTime())
    // Only while the message is still this call's: a dispatcher that took it over (past its lease) settles it instead.
    const held = await persist(() => this.outbox.settle(messageId, change, delivery.attempts, null))
    // Its attempts beside the outcome that stands: worth a try, not worth failing a call whose outcome is known.
    if (!held) {
      await this.outbox.update(messageId, {}, delivery.attempts).catch((error: unknown) => {
        if (!isDatabaseFailure(error)) throw error
      })
    }
    const reply = { ...replyOf({ ...(record as MessageRecord), ...change }), ...(record.collapse ? { replaced } : {}) }
    if (change.code !== CODES.DAILY_LIMIT) return reply
    const retryAt = nextBeijingMidnight(this.now().getTime())
    await persist(() => this.state.pause(retryAt))
    return { ...reply, retryAt: new Date(retryAt).toISOString() }
  }

  /**
   * Queues a message. A mini-program user's takes one of its
   * `maxPendingPerUser` queue slots (a unique key, so concurrent requests
   * cannot pass the cap); past that it is refused with QUEUE_FULL and nothing
   * is written. A recipient with more than that pending has each further
   * message due `recipientSpacingMs` after the one before, so that its
   * backlog cannot hold everyone else's messages back.
   */
  private async schedule(caller: Caller, record: NewMessage): Promise<Record<string, unknown>> {
    const { maxPendingPerUser: cap, recipientSpacingMs } = this.deps.queue
    if (caller.kind !== 'user') {
      const dueAt = record.status === 'scheduled' ? spaced(record, await this.outbox.pendingFor(record.touser), cap, recipientSpacingMs) : record.dueAt
      return (await this.queue(this.quiet({ ...record, dueAt }))) ?? unrecorded()
    }
    record = this.quiet(record)
    // From a random slot on, so that concurrent requests seldom try the same one; counted again now and then, so that a full queue is told fast.
    const start = Math.floor(Math.random() * cap)
    for (let tried = 0; tried < cap; tried++) {
      if (tried % SLOT_RECOUNT === 0 && (await this.outbox.slotsHeld(caller.openid)) >= cap) break
      const reply = await this.queue({ ...record, queueSlot: queueSlot(caller.openid, (start + tried) % cap) })
      if (reply) return reply
    }
    // Named, oldest first, so that the app can offer to cancel one.
    const pending = await this.outbox.oldestQueued(caller.openid, QUEUE_FULL_NAMED)
    return failure(CODES.QUEUE_FULL, `at most ${cap} scheduled messages may be pending per user`, { limit: cap, pending })
  }

  /** A scheduled message due inside quiet hours waits for their end, unless urgent. */
  private quiet(record: NewMessage): NewMessage {
    const until = record.status === 'scheduled' && !record.urgent && record.dueAt ? quietUntil(new Date(record.dueAt).getTime(), this.deps.quiet) : undefined
    return until ? { ...record, dueAt: until } : record
  }

  /** Whether the ledger holds a send for the user now (the reservation, when it comes, decides). */
  private async holdsGrant(touser: string, template: Template): Promise<boolean> {
    return (await this.ledger.views(touser, [template]))[template.id]!.available > 0
  }

  /** Inserts a queued message: its reply, a repeat's, or undefined when its queue slot was taken. */
  private async queue(record: NewMessage): Promise<Record<string, unknown> | undefined> {
    const opened = await this.outbox.open(record)
    if (!opened.created) return opened.existing && this.repeat(opened.existing, record.fingerprint)
    const { replaced, superseded } = await supersede(this.deps.db, record)
    return success({ status: superseded ? 'superseded' : record.status, messageId: record._id, ...(record.collapse ? { replaced } : {}) })
  }

  /** A request with a key already used: the first outcome, once it is known; never a second send. */
  private async repeat(existing: MessageRecord, print: string): Promise<Record<string, unknown>> {
    if (existing.fingerprint !== print) {
      return failure(CODES.IDEMPOTENCY_MISMATCH, 'this idempotency key was used for a different request', { messageId: existing._id })
    }
    const deadline = Date.now() + repeatWaitMs(this.deps.timing)
    let current: MessageRecord | undefined = existing
    // An immediate send in progress: wait for its outcome.
    while (current && current.status === 'sending' && !current.sendAt) {
      if (Date.now() > deadline) return failure(CODES.IN_PROGRESS, 'the first request with this key is still being sent', { messageId: existing._id })
      await this.sleep(50)
      current = await this.outbox.get(existing._id)
    }
    return current ? replyOf(current) : failure(CODES.IN_PROGRESS, 'the first request with this key is not visible yet')
  }

  /** The message, if the caller may see it: a server any message, a user only its own. */
  private async ownMessage(caller: Caller, event: unknown): Promise<MessageRecord> {
    const messageId = parseMessageAction(event)
    const message = await this.outbox.get(messageId)
    if (!message) return refuse(CODES.NOT_FOUND, `no message ${messageId}`)
    if (caller.kind === 'user' && message.requestedBy !== caller.openid) refuse(CODES.FORBIDDEN, 'a mini-program user may see and cancel only its own messages')
    return message
  }

  async cancel(caller: Caller, event: unknown): Promise<Record<string, unknown>> {
    const message = await this.ownMessage(caller, event)
    // Only while still queued: one conditional write, so a dispatcher's claim and a cancel never both win.
    if (await this.outbox.update(message._id, { status: 'cancelled', dueAt: null, queueSlot: message._id }, [], { status: this.deps.db.command.in(['scheduled', 'waiting']) })) {
      return success({ status: 'cancelled', messageId: message._id })
    }
    const now = await this.outbox.get(message._id)
    return failure(CODES.NOT_CANCELLABLE, `message ${message._id} is ${now?.status ?? 'gone'}`, { messageId: message._id, status: now?.status })
  }

  async get(caller: Caller, event: unknown): Promise<Record<string, unknown>> {
    return success({ message: messageView(await this.ownMessage(caller, event)) })
  }

  /** `{ action: "pause", clear?: true }`: WeChat's daily-limit pause while it holds, and, with clear, lifted. */
  async pause(event: unknown): Promise<Record<string, unknown>> {
    const { clear } = parsePauseAction(event)
    const { pausedUntil } = await this.state.read()
    const held = pausedUntil > this.now().getTime() ? new Date(pausedUntil).toISOString() : null
    if (!clear) return success({ pausedUntil: held })
    // Zeroed, not removed: the state's own write, so the dispatcher and sends read it as they read any pause.
    if (held) await this.state.pause(0)
    return success({ pausedUntil: null, lifted: held })
  }
}
