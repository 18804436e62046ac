/**
 * What a tick does before it claims: messages that waited for a grant in
 * vain end `expired` (NO_QUOTA, their queue slot and key given back), and,
 * inside quiet hours, due messages that are not urgent move to the window's
 * end, so that `get` says when they will go. The claim itself takes only
 * urgent messages while the window holds (claiming.ts), so a message that
 * comes due between the two is held all the same.
 */
import { expiredChange } from '../outbox/outcome'
import { MESSAGES, type MessageRecord } from '../outbox/outbox'
import type { DispatchContext } from './context'
import { quietUntil } from './quiet'

/** Ends the waits that are over, a batch per tick (the rest the next): returns how many. */
export async function expireWaiting(ctx: DispatchContext, now: number): Promise<number> {
  const { db, settings } = ctx
  const _ = db.command
  const { data } = await db
    .collection(MESSAGES)
    .where({ status: 'waiting', dueAt: _.lte(new Date(now)) })
    .orderBy('dueAt', 'asc')
    .limit(settings.batchSize)
    .get()
  let expired = 0
  for (const message of data as unknown as MessageRecord[]) {
    // Conditional: an accept that released it meanwhile, or a cancel, stands.
    const { stats } = await db
      .collection(MESSAGES)
      .where({ _id: message._id, status: 'waiting' })
      .update({
        data: { ...expiredChange(message, 'no grant came while it waited'), updatedAt: db.serverDate() },
      })
    expired += stats.updated
  }
  return expired
}

/** Inside quiet hours: every due message that is not urgent is due at the window's end instead. Returns how many moved. */
export async function holdForQuiet(ctx: DispatchContext, now: number): Promise<number> {
  const until = quietUntil(now, ctx.quiet)
  if (!until) return 0
  const { db } = ctx
  const _ = db.command
  const { stats } = await db
    .collection(MESSAGES)
    .where({ status: 'scheduled', dueAt: _.lte(new Date(now)), urgent: _.neq(true) })
    .update({ data: { dueAt: until, updatedAt: db.serverDate() } })
  return stats.updated
}
