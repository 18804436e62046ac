/**
 * Claiming due messages: queued ones whose time has come, and ones left
 * `sending` past their lease (a run or an immediate call that died, or lost
 * its way). Paged by the (status, shard, dueAt) and (status, shard,
 * leaseUntil) indexes, never by skip; one conditional update claims them
 * all, and only those it stamped with the run's token are the run's.
 */
import type { MessageRecord } from '../outbox/outbox'
import { MESSAGES } from '../outbox/outbox'
import { Claim } from './claim'
import type { DispatchContext } from './context'
import { quietUntil } from './quiet'

export interface Claimed {
  claim: Claim
  /** Of the claim's messages, those another sender had left `sending` (as that sender left them): a WeChat call for them may have started. */
  abandoned: MessageRecord[]
}

/**
 * Takes up to a batch under `token`: a read of the due index, a read of the
 * lease index when the first did not fill the batch, and one conditional
 * update; a read back of which are this run's only when another run took
 * some in between. `ours` says which messages the run already holds
 * (a lease of its own that ran out while the message waited in a lane: the
 * run renews it when it takes the message up).
 */
export async function claimDue(ctx: DispatchContext, shard: number | undefined, token: string, ours: (id: string) => boolean): Promise<Claimed | undefined> {
  const { db, settings, clock } = ctx
  const _ = db.command
  const now = new Date(clock())
  const scope = shard === undefined ? {} : { shard }
  // Inside quiet hours only urgent messages go (holds.ts moved the others to the window's end).
  const quiet = quietUntil(now.getTime(), ctx.quiet) ? { urgent: true } : {}
  const due = async (status: string, field: 'dueAt' | 'leaseUntil', limit: number) =>
    (await db
      .collection(MESSAGES)
      .where({ status, ...scope, [field]: _.lte(now), ...(field === 'dueAt' ? quiet : {}) })
      .orderBy(field, 'asc')
      .limit(limit)
      .get()).data as unknown as MessageRecord[]
  const found = await due('scheduled', 'dueAt', settings.batchSize)
  const left = found.length < settings.batchSize ? (await due('sending', 'leaseUntil', settings.batchSize - found.length)).filter((m) => !ours(m._id)) : []
  found.push(...left)
  if (found.length === 0) return undefined
  const leaseEnd = clock() + settings.leaseMs
  const stamp = { status: 'sending' as const, claimToken: token, leaseUntil: new Date(leaseEnd), claimedAt: now }
  const { stats } = await db
    .collection(MESSAGES)
    .where(
      // Still due, or still abandoned: a message a cancel, a settle or another run changed meanwhile is not taken.
      _.and([
        { _id: _.in(found.map((m) => m._id)) },
        _.or([
          { status: 'scheduled', dueAt: _.lte(now) },
          { status: 'sending', leaseUntil: _.lte(now) },
        ]),
      ]) as unknown as Record<string, unknown>,
    )
    .update({ data: stamp })
  // All stamped: they are the documents read (a message due now changes only by being claimed). Else read back which.
  const messages =
    stats.updated === found.length
      ? found.map((m) => ({ ...m, ...stamp }))
      : ((await db.collection(MESSAGES).where({ claimToken: token, status: 'sending' }).limit(settings.batchSize).get()).data as unknown as MessageRecord[])
  if (messages.length === 0) return undefined
  const claimedIds = new Set(messages.map((m) => m._id))
  return {
    claim: new Claim({ db, leaseMs: settings.leaseMs, clock }, token, messages, leaseEnd),
    // As read before the stamp: when their dead sender took them up, not this run.
    abandoned: left.filter((m) => claimedIds.has(m._id)),
  }
}
