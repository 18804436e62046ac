/**
 * One dispatcher run: a pipeline. `concurrency` sends stay in flight the
 * whole run, made by workers drawing from the lanes, and the next batch is
 * claimed as soon as fewer than `refillBelow` messages wait, while the ones
 * before it drain. It stops when nothing is due, at its deadline, at
 * WeChat's daily limit, on a lost claim, or when a database request fails;
 * then it gives back to the queue only what it never took to WeChat.
 */
import { randomBytes } from 'node:crypto'
import { isDatabaseFailure } from '../cloud'
import { deliver, type Delivery, type Gate, type Stage } from '../outbox/deliver'
import { MESSAGES, type Attempt, type MessageChange, type MessageRecord } from '../outbox/outbox'
import { persistently } from '../persist'
import { CODES } from '../replies'
import { findTemplate } from '../templates/registry'
import { attemptCoverMs, messageCoverMs } from '../timing'
import type { Claim } from './claim'
import { claimDue } from './claiming'
import type { DispatchContext, RunWindow } from './context'
import { Lanes, type Work } from './lanes'
import { count, describeFailure, emptyReport, type DispatchReport, type StopReason } from './report'
import { abandonedChange, settlement } from './settlement'
import { Slots } from './slots'
import { nextBeijingMidnight } from '../beijing'

/** Workers per send slot: enough that a slot never waits for a worker's reserving or settling write. */
const WORKERS_PER_SLOT = 2

export class Run {
  readonly report: DispatchReport = emptyReport()
  private readonly lanes = new Lanes()
  private readonly slots: Slots
  private readonly claims: Claim[] = []
  /** Tokens of claims whose messages this run knows. */
  private readonly answered: string[] = []
  /** Tokens of claim writes that failed or lost their reply: what they stamped, if anything, is not known here. */
  private readonly unanswered: string[] = []
  /** Messages a WeChat call may have started for (reserving on, or found so): never given back by this run. */
  private readonly mayBeAtWeChat = new Set<string>()
  private stop?: StopReason
  private failure?: unknown
  /** WeChat answered 45009 in this run: what goes back is due when its count starts again. */
  private dailyLimit = false

  constructor(
    private readonly ctx: DispatchContext,
    private readonly shard: number | undefined,
    private readonly window: RunWindow,
  ) {
    this.slots = new Slots(ctx.settings.concurrency)
  }

  async execute(): Promise<DispatchReport> {
    // More workers than send slots: while one reserves or settles, another's send keeps the slot busy.
    const workers = Array.from({ length: WORKERS_PER_SLOT * this.ctx.settings.concurrency }, () => this.work().catch((error) => this.fail(error)))
    await this.feed().catch((error) => this.fail(error))
    this.lanes.close()
    await Promise.all(workers)
    if (this.stop) {
      await this.giveBack().catch((error) => this.fail(error))
      this.report.stoppedBy = this.stop
    }
    if (this.failure !== undefined) {
      if (!isDatabaseFailure(this.failure)) throw this.failure
      this.report.error = describeFailure(this.failure)
    }
    return this.report
  }

  private halt(reason: StopReason): void {
    this.stop ??= reason
    this.lanes.close()
  }

  /** A request failed: the run takes up nothing more, and what it holds unsent goes back. */
  private fail(error: unknown): void {
    this.failure ??= error
    this.halt('database')
  }

  /** Claims batches while the lanes have room, until nothing is due or the run stops. */
  private async feed(): Promise<void> {
    const { clock, settings } = this.ctx
    // Enough waiting to keep every worker busy for about two sends: the next claim lands before they run dry.
    const refillBelow = Math.min(settings.batchSize, 2 * settings.concurrency)
    const ours = (id: string) => this.claims.some((claim) => claim.holds(id))
    // A claim that found nothing while lanes still ran: the next is tried once they are all done.
    let foundNothing = false
    while (this.stop === undefined) {
      if (clock() >= this.window.deadline) return this.halt('deadline')
      const token = randomBytes(12).toString('hex')
      const claimed = await claimDue(this.ctx, this.shard, token, ours).catch((error: unknown) => {
        this.unanswered.push(token)
        throw error
      })
      this.answered.push(token)
      if (claimed) {
        this.claims.push(claimed.claim)
        this.report.claimed += claimed.claim.messages.length
        await this.takeOver(claimed.claim, claimed.abandoned)
        this.lanes.add(claimed.claim)
      } else if (this.lanes.idle) return
      foundNothing = !claimed
      await this.lanes.until(() => this.stop !== undefined || (foundNothing ? this.lanes.idle : this.lanes.waiting < refillBelow))
    }
  }

  /**
   * Messages another sender left `sending`: one whose WeChat call may have
   * started (its grant still holds a reservation for it, or may have dropped
   * one) ends `unknown`, never sent again; the others are sent as any other.
   */
  private async takeOver(claim: Claim, abandoned: MessageRecord[]): Promise<void> {
    const { ledger, timing } = this.ctx
    for (const message of abandoned) this.mayBeAtWeChat.add(message._id)
    for (const message of abandoned) {
      const template = findTemplate(message.templateId)
      // No reservation for it is older than when its sender took it up (by that sender's clock, within the skew).
      const since = (message.claimedAt ? new Date(message.claimedAt).getTime() : 0) - timing.clockSkewMs
      const trace = template ? await ledger.reservationsFor(message.touser, template, message._id, since) : { keys: [] }
      if (trace !== 'unsure' && trace.keys.length === 0) {
        this.mayBeAtWeChat.delete(message._id)
        continue
      }
      // Counted uncertain under the reservation's own key: once, whoever wrote it first (the dead sender, or a takeover before).
      const keys = trace === 'unsure' ? [`${message._id}@unsure`] : trace.keys
      for (const key of keys) await this.persist(() => ledger.uncertain(message.touser, template!, key))
      await this.settle(message, claim, abandonedChange(message, this.ctx.clock()), [])
    }
  }

  /** A worker: runs one lane after another until the lanes close. */
  private async work(): Promise<void> {
    const { lanes } = this
    for (let recipient = await lanes.nextLane(); recipient !== undefined; recipient = await lanes.nextLane()) {
      for (let work = lanes.take(recipient); work; work = lanes.take(recipient)) {
        if (this.stop) return
        if (!(await this.sendOne(work))) return
      }
    }
  }

  /**
   * One message, only while its claim covers the call and its settling. It
   * reserves the message's grant, then waits for a send slot, which it holds
   * only until WeChat answers. False when the run must stop.
   */
  private async sendOne({ message, claim }: Work): Promise<boolean> {
    const { clock, timing } = this.ctx
    const { window } = this
    const cover = messageCoverMs(timing)
    const attemptCover = attemptCoverMs(timing)
    if (clock() >= window.deadline || clock() + cover > window.until) return this.halt('deadline'), false
    if (!claim.holds(message._id)) return true
    if (!(await claim.cover(cover))) return this.halt('lost-claim'), false
    if (!claim.holds(message._id)) return true
    // The slot may have taken a while: the run must still be on, and the claim cover the attempt (renewed if need be).
    const gate: Gate = async () => {
      const release = await this.slots.acquire()
      try {
        if (!this.stop && clock() + attemptCover > window.until) this.halt('deadline')
        if (!this.stop && !(await claim.cover(attemptCover))) this.halt('lost-claim')
        if (!this.stop && claim.holds(message._id)) return release
      } catch (error) {
        release()
        throw error
      }
      release()
      return undefined
    }
    // A 43108 retry starts only while the message is still the run's, and the claim and the invocation outlive it. A renewal
    // that fails ends the retries (what WeChat said stands) and the run.
    const mayRetry = async (waitMs: number) => {
      const need = waitMs + attemptCover
      if (this.stop || clock() + need > window.until) return false
      const covered = await claim.cover(need).catch((error: unknown) => (this.fail(error), false))
      return covered && claim.holds(message._id)
    }
    const progress = (stage: Stage) => (stage === 'returned' ? this.mayBeAtWeChat.delete(message._id) : this.mayBeAtWeChat.add(message._id))
    const delivery = await this.deliverOne(message, claim, { mayRetry, gate, progress })
    // Not sent, its grant given back: it stays claimed until the run gives it back, unless another run took it.
    if (!delivery) return true
    const { change, dailyLimit } = settlement(message, delivery, this.ctx.settings, clock())
    if (dailyLimit) {
      // Written whatever stopped the run first: the next tick, and every immediate send, must wait for the count too.
      this.dailyLimit = true
      this.halt('daily-limit')
      await this.persist(() => this.ctx.state.pause(change.dueAt!.getTime()))
    }
    await this.settle(message, claim, change, delivery.attempts)
    return true
  }

  private deliverOne(message: MessageRecord, claim: Claim, hooks: { mayRetry: (waitMs: number) => Promise<boolean>; gate: Gate; progress: (stage: Stage) => void }): Promise<Delivery | undefined> {
    const template = findTemplate(message.templateId)
    if (!template) {
      return Promise.resolve({ kind: 'refused', code: CODES.TEMPLATE_NOT_FOUND, errcode: 40037, errmsg: `template ${message.templateId} left the registry`, attempts: [] })
    }
    const { ledger, wechat, timing, sleep, clock } = this.ctx
    const persist = <T>(write: () => Promise<T>) => this.persist(write)
    return deliver({ ledger, holder: claim.token, wechat, timing, sleep, now: () => new Date(clock()), persist, ...hooks }, template, message)
  }

  /** Writes what became of a message under the run's claim, tried again while the run's window allows. */
  private async settle(message: MessageRecord, claim: Claim, change: MessageChange, attempts: Attempt[]): Promise<void> {
    const held = await this.persist(() => this.ctx.outbox.settle(message._id, change, attempts, claim.token))
    claim.done(message._id)
    this.mayBeAtWeChat.delete(message._id)
    if (!held) this.report.lostClaims += 1
    count(this.report, change)
  }

  /**
   * A write that must land: tried again while the wait, the try and the
   * write that gives back what the run holds still fit in the window (which
   * keeps a write for the reply); the first failure stops the run.
   */
  private persist<T>(write: () => Promise<T>): Promise<T> {
    const { clock, timing, sleep } = this.ctx
    return persistently(write, {
      mayRetry: (waitMs) => clock() + waitMs + 2 * timing.writeMs <= this.window.until,
      sleep,
      onFailure: (error) => this.fail(error),
    })
  }

  /**
   * Gives back what this run's claims hold but never took to WeChat, with one
   * write: due now, or when WeChat's count starts again. What a claim whose
   * reply never came stamped is not known here, and may include a message a
   * dead sender left: its lease is ended instead, so that the next run takes
   * it over and looks for its reservation first.
   */
  private async giveBack(): Promise<void> {
    const { db, clock } = this.ctx
    const _ = db.command
    const now = clock()
    if (this.unanswered.length > 0) {
      await db
        .collection(MESSAGES)
        .where({ claimToken: _.in(this.unanswered), status: 'sending' })
        .update({ data: { leaseUntil: new Date(now) } })
    }
    if (!this.claims.some((claim) => claim.pending > 0)) return
    const dueAt = new Date(this.dailyLimit ? nextBeijingMidnight(now) : now)
    const keep = [...this.mayBeAtWeChat]
    const { stats } = await db
      .collection(MESSAGES)
      .where({ claimToken: _.in(this.answered), status: 'sending', ...(keep.length > 0 ? { _id: _.nin(keep) } : {}) })
      .update({ data: { status: 'scheduled', claimToken: null, leaseUntil: null, dueAt } })
    this.report.released += stats.updated
  }
}
