/**
 * Every function replies `{ ok: true, … }` or `{ ok: false, code, message, … }`.
 * The codes are a contract (listed in the README); a function throws only on a bug.
 */
export const CODES = {
  /** The request is malformed: wrong types, unknown fields, too large. Nothing was written. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The caller may not do this. Nothing was written and WeChat was not called. */
  FORBIDDEN: 'FORBIDDEN',
  /** The database is not at the schema the function was built for (no schema record, or another version): nothing was written and WeChat was not called. `npm run deploy` migrates it; call again after. */
  NOT_READY: 'NOT_READY',
  /** The data does not fit the template (`field` names the first bad key), or the page is not in app.json. */
  INVALID_DATA: 'INVALID_DATA',
  /** The user has no send left for this template. */
  NO_QUOTA: 'NO_QUOTA',
  /** WeChat failed for now (43108): nothing was sent and the grant was given back. Try later. */
  RETRYABLE: 'RETRYABLE',
  /** WeChat's daily limit of sends (45009) was reached: nothing was sent, and WeChat is not called until `retryAt` (the next 00:00 UTC+8). */
  DAILY_LIMIT: 'DAILY_LIMIT',
  /** WeChat did not answer in time: the message may have gone out, so the grant stays spent and nothing is retried. */
  UNKNOWN_OUTCOME: 'UNKNOWN_OUTCOME',
  /** 40003: touser is not an openid of this app. */
  INVALID_RECIPIENT: 'INVALID_RECIPIENT',
  /** 40037: WeChat does not know the template. */
  TEMPLATE_NOT_FOUND: 'TEMPLATE_NOT_FOUND',
  /** 41030: the page is not in the released version's app.json. */
  INVALID_PAGE: 'INVALID_PAGE',
  /** 43107: the template or the subscription capability is banned. */
  TEMPLATE_BANNED: 'TEMPLATE_BANNED',
  /** 45168: WeChat found a sensitive word in the content. */
  SENSITIVE_CONTENT: 'SENSITIVE_CONTENT',
  /** 47003: WeChat refused the data although it passed our validation. */
  DATA_REFUSED: 'DATA_REFUSED',
  /** -501007: the cloud call's parameters were refused. */
  INVALID_REQUEST: 'INVALID_REQUEST',
  /** -604101: the function lacks the openapi permission (config.json, applied by an upload). */
  NO_PERMISSION: 'NO_PERMISSION',
  /** The idempotency key was used before with a different request. */
  IDEMPOTENCY_MISMATCH: 'IDEMPOTENCY_MISMATCH',
  /** The first request with this idempotency key is still being processed. */
  IN_PROGRESS: 'IN_PROGRESS',
  /** WeChat reported, after sending, that the message did not reach the user (subscribe_msg_sent_event). */
  DELIVERY_FAILED: 'DELIVERY_FAILED',
  /** No message (or campaign) with that id. */
  NOT_FOUND: 'NOT_FOUND',
  /** The message is no longer scheduled (it is being sent, or has finished), so it cannot be cancelled. */
  NOT_CANCELLABLE: 'NOT_CANCELLABLE',
  /** Only a message whose outcome is unknown may be resent: this one went out, failed, or is still to go (`status` says which). Nothing was written. */
  NOT_RESENDABLE: 'NOT_RESENDABLE',
  /** The mini-program user already has the most scheduled messages pending that one user may (`limit`). Nothing was written. */
  QUEUE_FULL: 'QUEUE_FULL',
  /** Over HTTP access: no session where one is needed, or one expired, altered or signed with another key (HTTP 401). Nothing was written; log in with a code from wx.login for a new session. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** 40029 (or 40163): WeChat does not take the login code: wrong, expired (5 minutes) or used before (a code is good once). Get a new one from wx.login. */
  INVALID_CODE: 'INVALID_CODE',
  /** 45011: too many logins for this user; `retryAfterMs` says when to try again. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** 40226: WeChat blocks this user's login (a high-risk account). */
  LOGIN_BLOCKED: 'LOGIN_BLOCKED',
  /** The function lacks what a code login or a session needs (WECHAT_APP_SECRET, SESSION_SECRET in its environment), or WeChat refused the AppID or AppSecret (40013, 40125, 41002, 41004). */
  NOT_CONFIGURED: 'NOT_CONFIGURED',
} as const

export type Code = (typeof CODES)[keyof typeof CODES]

export type Failure = { ok: false; code: Code; message: string } & Record<string, unknown>
export type Success<T extends Record<string, unknown>> = { ok: true } & T

export const success = <T extends Record<string, unknown>>(body: T): Success<T> => ({ ok: true, ...body })
export const failure = (code: Code, message: string, extra: Record<string, unknown> = {}): Failure => ({
  ok: false,
  code,
  message,
  ...extra,
})

/** A domain rule was broken by the input: carries the reply to give. */
export class Refusal extends Error {
  constructor(readonly reply: Failure) {
    super(reply.message)
  }
}

export const refuse = (code: Code, message: string, extra: Record<string, unknown> = {}): never => {
  throw new Refusal(failure(code, message, extra))
}
