/**
 * A broadcast request, read from untrusted input, and the campaign it makes:
 * what every holder's message says, whom it is for (the audience) and when
 * queuing starts (sendAt). Everything is checked before anything is written.
 */
import { createHash, randomBytes } from 'node:crypto'
import { KEY, readEvent, text, timeAhead } from '../input'
import { KEY_MAX, SCHEDULE_AHEAD_MAX_MS } from '../limits'
import { digest } from '../outbox/outbox'
import { CONTENT_FIELDS, readContent } from '../templates/content'
import { prepareMessage, type MessageData } from '../templates/validate'
import { readAudience } from './audience'

/**
 * scheduled: waiting for `sendAt`, nothing queued yet; queuing: still paging
 * the ledger; queued: every holder in the audience has its message;
 * cancelled: stopped, nothing more is queued.
 */
export type CampaignStatus = 'scheduled' | 'queuing' | 'queued' | 'cancelled'

export interface Campaign {
  _id: string
  templateId: string
  data: MessageData
  page: string | null
  /** As asked, or the environment's default resolved when the broadcast was asked: every message of the campaign opens it. */
  miniprogramState: string
  lang: string
  /** A digest of the content, to tell a repeat of a keyed broadcast from another broadcast under the same key. */
  fingerprint: string
  /** The key the broadcast was asked with, if any; the `_id` is derived from it. */
  idempotencyKey: string | null
  /**
   * The audience as JSON text (absent or null: every holder). Kept as text
   * because a stored field name may not start with `$`; every page reads it again.
   */
  audience?: string | null
  /** When queuing starts, as asked (absent or null: at once). */
  sendAt?: Date | null
  /** Holders the audience left out, counted by the run that moves the cursor past them. */
  excluded?: number
  status: CampaignStatus
  /** The last grant `_id` queued. */
  cursor: string
}

const BROADCAST_FIELDS = ['action', ...CONTENT_FIELDS, 'idempotencyKey', 'audience', 'sendAt'] as const

/** A keyed campaign's id: 32 hex digits, never the shape of an unkeyed one (time in base 36 and 12 hex digits). */
export const campaignIdFor = (idempotencyKey: string) => `cmp_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}`

/**
 * `{ action: "broadcast", templateId, data, page?, miniprogramState?, lang?, idempotencyKey?, audience?, sendAt? }`
 * as the campaign to create. A sendAt already past starts it at once.
 */
export function readBroadcast(event: unknown, now: Date, audienceFields: readonly string[]): Campaign {
  const input = readEvent(event, BROADCAST_FIELDS)
  const content = readContent(input)
  const idempotencyKey = text(input, 'idempotencyKey', { pattern: KEY, max: KEY_MAX, optional: true }) ?? null
  const audience = readAudience(input, audienceFields)
  // When queuing starts: at most a year ahead.
  const sendAt = timeAhead(input, 'sendAt', now, SCHEDULE_AHEAD_MAX_MS) ?? null
  const { data } = prepareMessage(content.templateId, content.data, content.page)
  const { templateId, miniprogramState, lang } = content
  const page = content.page ?? null
  const audienceText = audience ? JSON.stringify(audience) : null
  // Audience and time join the digest only when asked, so a campaign made before them keeps its fingerprint.
  const asked = audienceText !== null || sendAt !== null ? [audienceText, sendAt?.toISOString() ?? null] : []
  return {
    _id: idempotencyKey ? campaignIdFor(idempotencyKey) : `cmp_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`,
    templateId,
    data,
    page,
    miniprogramState,
    lang,
    fingerprint: digest([templateId, data, page, miniprogramState, lang, ...asked]),
    idempotencyKey,
    audience: audienceText,
    sendAt,
    excluded: 0,
    status: sendAt && sendAt.getTime() > now.getTime() ? 'scheduled' : 'queuing',
    cursor: '',
  }
}
