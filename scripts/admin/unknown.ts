/**
 * `unknown`: the messages whose outcome was never known, newest first, read
 * straight from the database as the other listings are.
 */
import { ISO_8601 } from '../../src/input'
import type { Connection } from './connect'
import { UsageError } from './connect'
import { checked } from './replies'

/** The newest `unknown` messages the listing shows at most, read a page at a time. */
const UNKNOWN_SHOWN = 1000
const UNKNOWN_PAGE = 100

interface UnknownRow {
  _id: string
  touser: string
  templateId: string
  updatedAt: Date
  errmsg: string | null
}

export interface UnknownMessages {
  /** The newest, at most UNKNOWN_SHOWN. */
  rows: UnknownRow[]
  /** How many there are in all. */
  total: number
}

/** `--since <ISO 8601>`, a time with its offset, as `send`'s `sendAt` takes. */
export function parseSince(raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined
  const at = ISO_8601.test(raw) ? new Date(raw) : undefined
  if (!at || Number.isNaN(at.getTime())) throw new UsageError(`--since takes a time in ISO 8601 with its offset, such as 2026-12-01T09:00:00+08:00, not ${raw}`)
  return at
}

/**
 * The newest `unknown` messages, by when they became so, paged on the
 * (status, updatedAt, _id) index from where the page before ended, never by
 * skip: each page is a range up to the last time read, less the messages of
 * that time already listed.
 */
export async function unknownMessages(c: Connection, since: Date | undefined): Promise<UnknownMessages> {
  const db = c.app.database()
  const _ = db.command
  const messages = db.collection('messages')
  const scope = { status: 'unknown', ...(since ? { updatedAt: _.gte(since) } : {}) }
  const { total } = checked(await messages.where(scope).count())
  const rows: UnknownRow[] = []
  while (rows.length < Math.min(total, UNKNOWN_SHOWN)) {
    const last = rows.at(-1)
    const upTo = last && (since ? _.gte(since).and(_.lte(last.updatedAt)) : _.lte(last.updatedAt))
    const listed = last ? rows.filter((m) => m.updatedAt.getTime() === last.updatedAt.getTime()).map((m) => m._id) : []
    const after = last ? { ...scope, updatedAt: upTo, _id: _.nin(listed) } : scope
    const { data } = checked(
      await messages
        .where(after)
        .orderBy('updatedAt', 'desc')
        .orderBy('_id', 'desc')
        .limit(Math.min(UNKNOWN_PAGE, UNKNOWN_SHOWN - rows.length))
        .field({ _id: true, touser: true, templateId: true, updatedAt: true, errmsg: true })
        .get(),
    )
    rows.push(...(data as UnknownRow[]))
    if (data.length === 0) break
  }
  return { rows, total }
}

/** One line a message under a header, and a last line that says how many there are and whether the list was cut. */
export function unknownListing({ rows, total }: UnknownMessages, since: Date | undefined): string[] {
  const when = since ? ` since ${since.toISOString()}` : ''
  if (rows.length === 0) return [`no unknown messages${when}`]
  return [
    `${'updatedAt'.padEnd(24)}  ${'messageId'.padEnd(32)}  ${'touser'.padEnd(30)}  ${'templateId'.padEnd(45)}  errmsg`,
    ...rows.map((m) => `${m.updatedAt.toISOString()}  ${m._id.padEnd(32)}  ${m.touser.padEnd(30)}  ${m.templateId.padEnd(45)}  ${m.errmsg ?? ''}`),
    `${total} unknown message${total === 1 ? '' : 's'}${when}${rows.length < total ? `; the newest ${rows.length} shown` : ''}`,
  ]
}
