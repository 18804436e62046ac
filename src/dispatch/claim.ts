/**
 * A batch of messages claimed by one run: stamped with the run's token and a
 * lease (their `leaseUntil`) past which another run may take them over. The run
 * calls WeChat for a message only while the lease is sure to outlive the
 * call and its settling (`cover`), renewing it with one write for the whole
 * batch when it runs short; should a renewal find that some messages were
 * taken over meanwhile, they are no longer this run's to send.
 */
import type { Database } from '../cloud'
import { MESSAGES, type MessageRecord } from '../outbox/outbox'
import { READ_MAX } from '../limits'

export interface ClaimDeps {
  db: Database
  leaseMs: number
  clock: () => number
}

export class Claim {
  private readonly held: Set<string>
  private renewal?: Promise<void>

  /**
   * @param leaseEnd the lease as written, from the clock read before the
   *   write was sent: never later than what the database holds.
   */
  constructor(
    private readonly deps: ClaimDeps,
    readonly token: string,
    readonly messages: MessageRecord[],
    private leaseEnd: number,
  ) {
    this.held = new Set(messages.map((m) => m._id))
  }

  /** Whether the message is still this run's to send. */
  holds(id: string): boolean {
    return this.held.has(id)
  }

  /** Messages still this run's and not yet settled. */
  get pending(): number {
    return this.held.size
  }

  /** The message is settled (or given up): it no longer needs the lease. */
  done(id: string): void {
    this.held.delete(id)
  }

  /** Makes sure the lease outlives the next `ms`, renewing it if needed; false when it cannot. */
  async cover(ms: number): Promise<boolean> {
    if (this.leaseEnd - this.deps.clock() >= ms) return true
    this.renewal ??= this.renew().finally(() => (this.renewal = undefined))
    await this.renewal
    return this.held.size > 0 && this.leaseEnd - this.deps.clock() >= ms
  }

  private async renew(): Promise<void> {
    const { db, leaseMs, clock } = this.deps
    const started = clock()
    const expected = this.held.size
    const { stats } = await db
      .collection(MESSAGES)
      .where({ claimToken: this.token, status: 'sending' })
      .update({ data: { leaseUntil: new Date(started + leaseMs) } })
    this.leaseEnd = started + leaseMs
    // Fewer renewed than held: a settle landed meanwhile, or another run took some over. Ask which are still ours.
    if (stats.updated < expected) {
      const { data } = await db.collection(MESSAGES).where({ claimToken: this.token, status: 'sending' }).field({ _id: true }).limit(READ_MAX).get()
      const ours = new Set(data.map((d) => String(d._id)))
      for (const id of [...this.held]) if (!ours.has(id)) this.held.delete(id)
    }
  }
}
