/** The requests `send` takes, read from untrusted input. */
import { openidOf, type Caller } from '../caller'
import { KEY, OPENID, readEvent, text, timeAhead, wholeNumber, type Json } from '../input'
import { CODES, refuse } from '../replies'
import { CONTENT_FIELDS, readContent, type MessageContent } from '../templates/content'
import { findTemplate } from '../templates/registry'
import { COLLAPSE_KEY_MAX, ID_MAX, KEY_MAX, SCHEDULE_AHEAD_MAX_MS, WAIT_FOR_GRANT_MAX_MS } from '../limits'


export interface SendRequest extends MessageContent {
  touser: string
  idempotencyKey?: string
  /** Set when the message is to go out later. */
  sendAt?: Date
  /** The time the caller named, even one already past (which sends now). */
  requestedAt?: Date
  /** The newest queued message to this user under this key replaces the older ones still queued. */
  collapseKey?: string
  /** With no grant, wait this long for the user to accept instead of refusing NO_QUOTA. */
  waitForGrantMs?: number
  /** Not held by quiet hours. */
  urgent?: boolean
}

const SEND_FIELDS = ['touser', ...CONTENT_FIELDS, 'idempotencyKey', 'sendAt', 'collapseKey', 'waitForGrantMs', 'urgent'] as const

/** true, or absent: anything else is a mistake worth saying. */
function flag(input: Json, field: string): boolean | undefined {
  const value = input[field]
  if (value === undefined) return undefined
  if (value !== true && value !== false) return refuse(CODES.INVALID_ARGUMENT, `${field} must be true or false`, { field })
  return value || undefined
}

export function parseSendRequest(event: unknown, now: Date): SendRequest {
  const input = readEvent(event, SEND_FIELDS)
  return {
    touser: text(input, 'touser', { pattern: OPENID, max: ID_MAX })!,
    ...readContent(input),
    idempotencyKey: text(input, 'idempotencyKey', { pattern: KEY, max: KEY_MAX, optional: true }),
    ...schedule(timeAhead(input, 'sendAt', now, SCHEDULE_AHEAD_MAX_MS), now),
    collapseKey: text(input, 'collapseKey', { pattern: KEY, max: COLLAPSE_KEY_MAX, optional: true }),
    waitForGrantMs: wholeNumber(input, 'waitForGrantMs', { min: 1, max: WAIT_FOR_GRANT_MAX_MS, unit: 'milliseconds' }),
    urgent: flag(input, 'urgent'),
  }
}

/** A time already past means now: it is kept as asked, and the message is not queued. */
function schedule(at: Date | undefined, now: Date): Pick<SendRequest, 'sendAt' | 'requestedAt'> {
  return { requestedAt: at, sendAt: at && at.getTime() > now.getTime() ? at : undefined }
}

/** `{ action, messageId }` for cancel, get and resend. */
export function parseMessageAction(event: unknown): string {
  const input = readEvent(event, ['action', 'messageId'])
  return text(input, 'messageId', { pattern: KEY, max: KEY_MAX })!
}

/** `{ action: "pause", clear?: true }`: whether to lift WeChat's daily-limit pause, or only show it. */
export function parsePauseAction(event: unknown): { clear: boolean } {
  const input = readEvent(event, ['action', 'clear'])
  if (input.clear !== undefined && input.clear !== true) refuse(CODES.INVALID_ARGUMENT, 'clear must be true or left out', { field: 'clear' })
  return { clear: input.clear === true }
}

/** A server may send to anyone; a mini-program user only to itself, and only a template the registry marks self-service. */
export function authorize(caller: Caller, touser: string, templateId: string): void {
  if (caller.kind === 'server') return
  // Send's door admits only users besides servers.
  if (touser !== openidOf(caller)) refuse(CODES.FORBIDDEN, 'a mini-program user may send only to itself')
  if (!findTemplate(templateId)?.selfService) refuse(CODES.FORBIDDEN, `template ${templateId} is not self-service`)
}
