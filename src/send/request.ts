/** The requests `send` takes, read from untrusted input. */
import { openidOf, type Caller } from '../caller'
import { KEY, OPENID, readEvent, text, type Json } from '../input'
import { CODES, refuse } from '../replies'
import { CONTENT_FIELDS, readContent, type MessageContent } from '../templates/content'
import { findTemplate } from '../templates/registry'
import { ID_MAX, KEY_MAX, SCHEDULE_AHEAD_MAX_MS } from '../limits'

/** A time in ISO 8601 with its offset (the operator's CLI takes the same). */
export const ISO_8601 = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)$/

export interface SendRequest extends MessageContent {
  touser: string
  idempotencyKey?: string
  /** Set when the message is to go out later. */
  sendAt?: Date
  /** The time the caller named, even one already past (which sends now). */
  requestedAt?: Date
}

const SEND_FIELDS = ['touser', ...CONTENT_FIELDS, 'idempotencyKey', 'sendAt'] as const

/** A time in ISO 8601 with its offset, at most a year ahead. */
function requestedAt(input: Json, now: Date): Date | undefined {
  const raw = text(input, 'sendAt', { pattern: ISO_8601, max: 40, optional: true })
  if (raw === undefined) return undefined
  const at = new Date(raw)
  if (Number.isNaN(at.getTime())) return refuse(CODES.INVALID_ARGUMENT, 'sendAt is not a valid time', { field: 'sendAt' })
  if (at.getTime() - now.getTime() > SCHEDULE_AHEAD_MAX_MS) refuse(CODES.INVALID_ARGUMENT, 'sendAt is more than a year ahead', { field: 'sendAt' })
  return at
}

export function parseSendRequest(event: unknown, now: Date): SendRequest {
  const input = readEvent(event, SEND_FIELDS)
  return {
    touser: text(input, 'touser', { pattern: OPENID, max: ID_MAX })!,
    ...readContent(input),
    idempotencyKey: text(input, 'idempotencyKey', { pattern: KEY, max: KEY_MAX, optional: true }),
    ...schedule(requestedAt(input, now), now),
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
