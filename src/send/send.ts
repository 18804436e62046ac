/**
 * Sending one subscription message now: authorize, validate, claim the
 * idempotency key, reserve a grant, call WeChat, then spend or refund by
 * what WeChat answered, recording every attempt.
 */
import { createHash } from 'node:crypto'
import type { CallerContext, Database, SubscribeMessageRequest, WechatOutcome } from '../cloud'
import { KEY, OPENID, TEMPLATE_ID, messageData, oneOf, readEvent, text } from '../input'
import { Ledger } from '../ledger/ledger'
import { Outbox, newMessageId, type MessageRecord } from '../outbox/outbox'
import { CODES, failure, refuse, success, type Code, type Failure } from '../replies'
import { findTemplate } from '../templates/registry'
import { prepareMessage, type PreparedMessage } from '../templates/validate'

export const MINIPROGRAM_STATES = ['developer', 'trial', 'formal'] as const
export const LANGS = ['zh_CN', 'en_US', 'zh_HK', 'zh_TW'] as const

export interface SendRequest {
  touser: string
  templateId: string
  data: Record<string, string>
  page?: string
  miniprogramState: (typeof MINIPROGRAM_STATES)[number]
  lang: (typeof LANGS)[number]
  idempotencyKey?: string
}

export interface SendDeps {
  db: Database
  wechat: (request: SubscribeMessageRequest, timeoutMs: number) => Promise<WechatOutcome>
  /** How long to wait for WeChat before the outcome counts as unknown. */
  wechatTimeoutMs: number
  sleep?: (ms: number) => Promise<void>
}

const SEND_FIELDS = ['touser', 'templateId', 'data', 'page', 'miniprogramState', 'lang', 'idempotencyKey'] as const

export function parseSendRequest(event: unknown): SendRequest {
  const input = readEvent(event, SEND_FIELDS)
  return {
    touser: text(input, 'touser', { pattern: OPENID, max: 64 })!,
    templateId: text(input, 'templateId', { pattern: TEMPLATE_ID, max: 64 })!,
    data: messageData(input, 'data'),
    page: text(input, 'page', { max: 512, optional: true }),
    miniprogramState: oneOf(input, 'miniprogramState', MINIPROGRAM_STATES) ?? 'formal',
    lang: oneOf(input, 'lang', LANGS) ?? 'zh_CN',
    idempotencyKey: text(input, 'idempotencyKey', { pattern: KEY, max: 128, optional: true }),
  }
}

/** A mini-program user may send only to itself, and only a template the registry marks self-service. */
export function authorize(caller: CallerContext, touser: string, templateId: string): void {
  if (!caller.openid) return
  if (touser !== caller.openid) refuse(CODES.FORBIDDEN, 'a mini-program user may send only to itself')
  if (!findTemplate(templateId)?.selfService) refuse(CODES.FORBIDDEN, `template ${templateId} is not self-service`)
}

/** WeChat's definite refusals: nothing was sent, so the reservation is given back. */
const REFUSALS: Record<number, Code> = {
  40003: CODES.INVALID_RECIPIENT,
  40037: CODES.TEMPLATE_NOT_FOUND,
  41030: CODES.INVALID_PAGE,
  43107: CODES.TEMPLATE_BANNED,
  45168: CODES.SENSITIVE_CONTENT,
  47003: CODES.DATA_REFUSED,
  [-501007]: CODES.INVALID_REQUEST,
  [-604101]: CODES.NO_PERMISSION,
}
/** Transient failures: nothing was sent; try later. */
const TRANSIENT = new Set([-1, 43108, 45009])
const NO_QUOTA_ERRCODE = 43101
/** 43108 (another send to this user in flight) is normal under concurrency: retried within the call first. */
const CONCURRENCY_RETRIES = 3

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function fingerprint(request: SendRequest, prepared: PreparedMessage): string {
  const { touser, templateId, page, miniprogramState, lang } = request
  return createHash('sha256')
    .update(JSON.stringify([touser, templateId, prepared.data, page ?? null, miniprogramState, lang]))
    .digest('hex')
    .slice(0, 32)
}

/** The reply a finished message gives, to its first caller and to every repeat. */
export function replyOf(message: MessageRecord): Record<string, unknown> {
  if (message.status === 'sent') return success({ status: 'sent', messageId: message._id, msgid: message.msgid })
  const code = message.code ?? CODES.UNKNOWN_OUTCOME
  return failure(code, message.errmsg ?? code, {
    messageId: message._id,
    ...(message.errcode !== null ? { errcode: message.errcode } : {}),
  })
}

export class Sender {
  private readonly ledger: Ledger
  private readonly outbox: Outbox
  private readonly sleep: (ms: number) => Promise<void>

  constructor(private readonly deps: SendDeps) {
    this.ledger = new Ledger(deps.db)
    this.outbox = new Outbox(deps.db)
    this.sleep = deps.sleep ?? defaultSleep
  }

  async send(caller: CallerContext, event: unknown): Promise<Record<string, unknown>> {
    const request = parseSendRequest(event)
    authorize(caller, request.touser, request.templateId)
    const prepared = prepareMessage(request.templateId, request.data, request.page)
    const messageId = newMessageId()
    const scope = caller.openid ?? 'server'
    const record: Omit<MessageRecord, 'createdAt' | 'updatedAt'> = {
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
      status: 'sending',
      code: null,
      errcode: null,
      errmsg: null,
      msgid: null,
      attempts: [],
    }
    const opened = await this.outbox.open(record)
    if (!opened.created) return this.repeat(opened.existing, record.fingerprint)
    return replyOf(await this.deliver({ ...record }, prepared))
  }

  /** A request with a key already used: the first outcome, once it is known; never a second send. */
  private async repeat(existing: MessageRecord, print: string): Promise<Record<string, unknown>> {
    if (existing.fingerprint !== print) {
      return failure(CODES.IDEMPOTENCY_MISMATCH, 'this idempotency key was used for a different request', { messageId: existing._id })
    }
    const deadline = Date.now() + this.deps.wechatTimeoutMs * (CONCURRENCY_RETRIES + 1) + 2000
    let current: MessageRecord | undefined = existing
    while (current && current.status === 'sending') {
      if (Date.now() > deadline) return failure(CODES.IN_PROGRESS, 'the first request with this key is still being sent', { messageId: existing._id })
      await this.sleep(50)
      current = await this.outbox.get(existing._id)
    }
    return current ? replyOf(current) : failure(CODES.IN_PROGRESS, 'the first request with this key is not visible yet')
  }

  /** Reserves, calls WeChat, and settles the reservation and the record by the answer. */
  async deliver(message: MessageRecord, prepared: PreparedMessage): Promise<MessageRecord> {
    const { template } = prepared
    const settle = async (change: Partial<MessageRecord>, releaseKey = false) => {
      // Nothing went out when the key is released: a retry under the same key may send.
      const next = { ...message, ...change, ...(releaseKey ? { idempotencyKey: Outbox.released(message) } : {}) }
      const { status, code, errcode, errmsg, msgid, idempotencyKey } = next
      await this.outbox.record(message._id, { status, code, errcode, errmsg, msgid, idempotencyKey })
      return next
    }

    if (!(await this.ledger.reserve(message.touser, template))) {
      return settle({ status: 'failed', code: CODES.NO_QUOTA, errmsg: `no send left for ${template.id}` }, true)
    }
    const request: SubscribeMessageRequest = {
      touser: message.touser,
      templateId: template.id,
      data: prepared.data,
      miniprogramState: message.miniprogramState as SubscribeMessageRequest['miniprogramState'],
      lang: message.lang as SubscribeMessageRequest['lang'],
      ...(message.page ? { page: message.page } : {}),
    }
    let outcome: WechatOutcome
    for (let attempt = 0; ; attempt++) {
      outcome = await this.deps.wechat(request, this.deps.wechatTimeoutMs)
      await this.outbox.record(message._id, {}, attemptOf(outcome))
      if (outcome.kind !== 'refused' || outcome.errcode !== 43108 || attempt >= CONCURRENCY_RETRIES) break
      await this.sleep(50 + Math.floor(Math.random() * 150) * (attempt + 1))
    }

    if (outcome.kind === 'sent') return settle({ status: 'sent', msgid: outcome.msgid })
    if (outcome.kind === 'unknown') {
      // The message may be out: keep the grant spent and never send it again.
      return settle({ status: 'unknown', code: CODES.UNKNOWN_OUTCOME, errmsg: outcome.reason })
    }
    const { errcode, errmsg } = outcome
    if (errcode === NO_QUOTA_ERRCODE) {
      await this.ledger.exhaust(message.touser, template)
      return settle({ status: 'failed', code: CODES.NO_QUOTA, errcode, errmsg }, true)
    }
    const refused = REFUSALS[errcode]
    if (refused || TRANSIENT.has(errcode)) {
      await this.ledger.refund(message.touser, template)
      return settle({ status: 'failed', code: refused ?? CODES.RETRYABLE, errcode, errmsg }, !refused)
    }
    // A code we do not know says nothing certain: treat it as an unknown outcome.
    return settle({ status: 'unknown', code: CODES.UNKNOWN_OUTCOME, errcode, errmsg })
  }
}

function attemptOf(outcome: WechatOutcome): { errcode: number | null; errmsg: string } {
  if (outcome.kind === 'sent') return { errcode: 0, errmsg: 'ok' }
  if (outcome.kind === 'refused') return { errcode: outcome.errcode, errmsg: outcome.errmsg }
  return { errcode: null, errmsg: outcome.reason }
}

export type { Failure }
