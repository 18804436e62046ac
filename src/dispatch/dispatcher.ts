/**
 * The dispatcher, run by `send`'s timer: claims due messages in batches under
 * a lease (a conditional update that stamps a claim token), sends them with
 * bounded concurrency and never two at once to one user, and settles each
 * with one write that holds only while its claim does. WeChat is called for a
 * message only while the claim is sure to outlive the call and its settling
 * (the lease is renewed as the run goes), so an overlapping or retried run
 * never sends what another holds; a crashed run's messages are taken over
 * when their lease ends. When one run could not send everything due, the next
 * tick splits the work over parallel invocations, one per shard of recipients.
 */
import { randomBytes } from 'node:crypto'
import type { Database, SubscribeMessageRequest, WechatOutcome } from '../cloud'
import { Ledger } from '../ledger/ledger'
import { DAILY_LIMIT, deliver, type Delivery, type Gate } from '../outbox/deliver'
import { SHARDS } from '../limits'
import { MESSAGES, Outbox, PENDING, type MessageChange, type MessageRecord } from '../outbox/outbox'
import { finalChange } from '../outbox/outcome'
import { CODES } from '../replies'
import type { DispatchSettings } from '../settings'
import { findTemplate } from '../templates/registry'
import { Claim } from './claim'
import { Lanes } from './lanes'
import { Slots } from './slots'
import { DispatchState, nextBeijingMidnight } from './state'
import { attemptCoverMs, messageCoverMs, type Timing } from '../timing'

export type StopReason = 'drained' | 'deadline' | 'daily-limit' | 'lost-claim'

export interface DispatchReport {
  claimed: number
  sent: number
  failed: number
  unknown: number
  rescheduled: number
  /** Claimed but given back unsent (a daily limit, or the deadline). */
  released: number
  /** Settled after another run had taken the message over: the send may have been a duplicate. */
  lostClaims: number
  stoppedBy: StopReason
  /** Parallel invocations this run fanned out to. */
  fannedOut: number
  /** Shards that failed or did not answer in time (their messages stay claimed or queued, never lost). */
  shardFailures: number
}

/**
 * When an invocation must be done. `deadline`: no message is taken up after
 * it. `until`: no WeChat call starts unless it, and its settling, end before it.
 */
export interface RunWindow {
  deadline: number
  until: number
}

export interface DispatchDeps {
  db: Database
  wechat: (request: SubscribeMessageRequest, timeoutMs: number) => Promise<WechatOutcome>
  timing: Timing
  settings: DispatchSettings
  clock: () => number
  sleep: (ms: number) => Promise<void>
  /** Runs one shard in a parallel invocation (cloud.callFunction of `send` itself), within the window. */
  fanOut: (shard: number, window: RunWindow) => Promise<DispatchReport>
}

export const emptyReport = (): DispatchReport => ({
  claimed: 0,
  sent: 0,
  failed: 0,
  unknown: 0,
  rescheduled: 0,
  released: 0,
  lostClaims: 0,
  stoppedBy: 'drained',
  fannedOut: 0,
  shardFailures: 0,
})

/** Workers per send slot: enough that a slot never waits for a worker's reserving or settling write. */
const WORKERS_PER_SLOT = 2

const STOP_RANK: Record<StopReason, number> = { drained: 0, deadline: 1, 'lost-claim': 2, 'daily-limit': 3 }
const COUNTS = ['claimed', 'sent', 'failed', 'unknown', 'rescheduled', 'released', 'lostClaims', 'fannedOut', 'shardFailures'] as const

function merge(into: DispatchReport, other: DispatchReport): DispatchReport {
  for (const key of COUNTS) into[key] += other[key]
  if (STOP_RANK[other.stoppedBy] > STOP_RANK[into.stoppedBy]) into.stoppedBy = other.stoppedBy
  return into
}

export class Dispatcher {
  private readonly outbox: Outbox
  private readonly ledger: Ledger
  private readonly state: DispatchState

  constructor(private readonly deps: DispatchDeps) {
    this.outbox = new Outbox(deps.db)
    this.ledger = new Ledger(deps.db)
    this.state = new DispatchState(deps.db)
  }

  /**
   * The window of an invocation that started at `started`: it takes up
   * messages for the budget, and answers within the function's timeout
   * with a write's time to spare.
   */
  windowFrom(started: number): RunWindow {
    const { timing, settings } = this.deps
    return { deadline: started + settings.budgetMs, until: started + timing.functionTimeoutMs - timing.writeMs }
  }

  /** One timer tick: nothing while WeChat's daily limit holds; else one run, or one per shard when the last run fell behind. */
  async tick(window: RunWindow): Promise<DispatchReport> {
    const state = await this.state.read()
    if (state.pausedUntil > this.deps.clock()) return { ...emptyReport(), stoppedBy: 'daily-limit' }
    if (this.deps.settings.fanOut && state.fanOut) return this.fanOutTick(window)
    const report = await this.run(undefined, window)
    if (this.deps.settings.fanOut && report.stoppedBy === 'deadline') await this.state.setFanOut(true)
    return report
  }

  private async fanOutTick(window: RunWindow): Promise<DispatchReport> {
    // Each shard answers before the tick must: its window ends a write earlier.
    const shardWindow = { deadline: window.deadline, until: window.until - this.deps.timing.writeMs }
    const reports = await Promise.all(
      Array.from({ length: SHARDS }, (_s, shard) =>
        this.deps.fanOut(shard, shardWindow).catch(() => ({ ...emptyReport(), stoppedBy: 'deadline' as const, shardFailures: 1 })),
      ),
    )
    const report = reports.reduce(merge, { ...emptyReport(), fannedOut: SHARDS })
    if (report.stoppedBy === 'drained') await this.state.setFanOut(false)
    return report
  }

  /**
   * Claims and sends until nothing is due, the deadline, WeChat's daily
   * limit, or a lost claim. A pipeline: `concurrency` sends stay in flight
   * the whole run, made by workers drawing from the lanes, and the next batch is claimed as soon as
   * fewer than `refillBelow` messages wait, while the ones before it drain.
   */
  async run(shard: number | undefined, window: RunWindow): Promise<DispatchReport> {
    const { clock, settings } = this.deps
    const report = emptyReport()
    const lanes = new Lanes()
    const claims: Claim[] = []
    let stop: StopReason | undefined
    const halt = (reason: StopReason) => {
      stop ??= reason
      lanes.close()
    }
    // A request that failed ends the run as its deadline would (what it claimed is given back), then fails it.
    let failure: { error: unknown } | undefined
    const fail = (error: unknown) => {
      failure ??= { error }
      halt('deadline')
    }
    const slots = new Slots(settings.concurrency)
    // More workers than send slots: while one reserves or settles, another's send keeps the slot busy.
    const workers = Array.from({ length: WORKERS_PER_SLOT * settings.concurrency }, () =>
      this.work(lanes, slots, window, report, () => stop, halt).catch(fail),
    )
    // Enough waiting to keep every worker busy for about two sends: the next claim lands before they run dry.
    const refillBelow = Math.min(settings.batchSize, 2 * settings.concurrency)
    const ours = (id: string) => claims.some((claim) => claim.holds(id))
    try {
      // A claim that found nothing while lanes still ran: the next is tried once they are all done.
      let foundNothing = false
      while (stop === undefined) {
        if (clock() >= window.deadline) {
          halt('deadline')
          break
        }
        const claim = await this.claim(shard, ours)
        if (claim) {
          claims.push(claim)
          report.claimed += claim.messages.length
          lanes.add(claim)
        } else if (lanes.idle) break
        foundNothing = !claim
        await lanes.until(() => stop !== undefined || (foundNothing ? lanes.idle : lanes.waiting < refillBelow))
      }
    } catch (error) {
      fail(error)
    }
    lanes.close()
    await Promise.all(workers)
    if (stop) {
      const dueAt = stop === 'daily-limit' ? nextBeijingMidnight(clock()) : clock()
      const pending = claims.filter((claim) => claim.pending > 0).map((claim) => claim.token)
      if (pending.length > 0) report.released += await this.release(pending, dueAt)
      report.stoppedBy = stop
    }
    if (failure) throw failure.error
    return report
  }

  /**
   * Takes up to a batch of due messages: queued ones, and ones whose lease
   * ended (a crashed run's). Paged by the (status, shard, dueAt) index, never
   * by skip; one conditional update claims them all, and only those it
   * stamped with this run's token are this run's. Two requests when no other
   * run took any of them between the read and the update; a third reads back
   * which are this run's when one did.
   */
  private async claim(shard: number | undefined, ours: (id: string) => boolean): Promise<Claim | undefined> {
    const { db, settings, clock } = this.deps
    const _ = db.command
    const now = new Date(clock())
    const scope = shard === undefined ? {} : { shard }
    const due = async (status: string, limit: number) =>
      (await db
        .collection(MESSAGES)
        .where({ status, ...scope, dueAt: _.lte(now) })
        .orderBy('dueAt', 'asc')
        .limit(limit)
        .get()).data as unknown as MessageRecord[]
    const found = await due('scheduled', settings.batchSize)
    // Still `sending` past its lease: its run (or the immediate call) died, perhaps after reserving a unit. Not one
    // of this run's own, whose lease ran out while it waited in a lane: the run renews that lease when it takes it up.
    const abandoned = found.length < settings.batchSize ? (await due('sending', settings.batchSize - found.length)).filter((m) => !ours(m._id)) : []
    found.push(...abandoned)
    if (found.length === 0) return undefined
    const token = randomBytes(12).toString('hex')
    const leaseEnd = clock() + settings.leaseMs
    const stamp = { status: 'sending' as const, claimToken: token, dueAt: new Date(leaseEnd) }
    const { stats } = await db
      .collection(MESSAGES)
      .where({ _id: _.in(found.map((m) => m._id)), status: _.in(PENDING), dueAt: _.lte(now) })
      .update({ data: stamp })
    // All stamped: they are the documents read (a message due now changes only by being claimed). Else read back which.
    const messages =
      stats.updated === found.length
        ? found.map((m) => ({ ...m, ...stamp }))
        : ((await db.collection(MESSAGES).where({ claimToken: token }).limit(settings.batchSize).get()).data as unknown as MessageRecord[])
    if (messages.length === 0) return undefined
    // A unit the dead run may have reserved, and WeChat may still hold: the ledger says so.
    const abandonedIds = new Set(abandoned.map((m) => m._id))
    for (const message of messages) {
      const template = abandonedIds.has(message._id) ? findTemplate(message.templateId) : undefined
      if (template) await this.ledger.uncertain(message.touser, template)
    }
    return new Claim({ db, leaseMs: settings.leaseMs, clock }, token, messages, leaseEnd)
  }

  /**
   * One worker: runs one lane after another until the lanes close, each
   * message only while its claim covers the call and its settling. It
   * reserves the message's grant, then waits for a send slot, which it holds
   * only until WeChat answers: reserving and settling overlap other workers'
   * sends.
   */
  private async work(lanes: Lanes, slots: Slots, window: RunWindow, report: DispatchReport, stopped: () => StopReason | undefined, halt: (reason: StopReason) => void): Promise<void> {
    const { clock, timing } = this.deps
    const cover = messageCoverMs(timing)
    const attemptCover = attemptCoverMs(timing)
    for (let recipient = await lanes.nextLane(); recipient !== undefined; recipient = await lanes.nextLane()) {
      for (let work = lanes.take(recipient); work; work = lanes.take(recipient)) {
        if (stopped()) return
        if (clock() >= window.deadline || clock() + cover > window.until) return halt('deadline')
        const { message, claim } = work
        if (!claim.holds(message._id)) continue
        if (!(await claim.cover(cover))) return halt('lost-claim')
        if (!claim.holds(message._id)) continue
        // The slot may have taken a while: the run must still be on, and the claim cover the attempt.
        const gate = async () => {
          const release = await slots.acquire()
          try {
            if (!stopped() && clock() + attemptCover > window.until) halt('deadline')
            if (!stopped() && !(await claim.cover(attemptCover))) halt('lost-claim')
            if (!stopped() && claim.holds(message._id)) return release
          } catch (error) {
            release()
            throw error
          }
          release()
          return undefined
        }
        // A 43108 retry starts only while the claim, and the invocation, outlive it.
        const mayRetry = async (waitMs: number) => {
          const need = waitMs + attemptCover
          return clock() + need <= window.until && (await claim.cover(need))
        }
        const delivery = await this.deliverOne(message, mayRetry, gate)
        // Not sent, its grant given back: it stays claimed until the run's release, unless another run took it.
        if (!delivery) continue
        const { change, dailyLimit } = this.settle(message, delivery)
        if (dailyLimit && !stopped()) {
          halt('daily-limit')
          await this.state.pause(change.dueAt!.getTime())
        }
        const held = await this.outbox.update(message._id, { ...change, claimToken: null }, delivery.attempts, { claimToken: claim.token })
        claim.done(message._id)
        if (!held) report.lostClaims += 1
        count(report, change)
      }
    }
  }

  private async deliverOne(message: MessageRecord, mayRetry: (waitMs: number) => Promise<boolean>, gate: Gate): Promise<Delivery | undefined> {
    const template = findTemplate(message.templateId)
    if (!template) {
      return { kind: 'refused', code: CODES.TEMPLATE_NOT_FOUND, errcode: 40037, errmsg: `template ${message.templateId} left the registry`, attempts: [] }
    }
    const { wechat, timing, sleep, clock } = this.deps
    return deliver({ ledger: this.ledger, wechat, timing, sleep, now: () => new Date(clock()), mayRetry, gate }, template, message)
  }

  /** What one delivery does to a queued message: final (the shared table), or back in the queue. */
  private settle(message: MessageRecord, delivery: Delivery): { change: MessageChange; dailyLimit: boolean } {
    const tries = message.tries + 1
    if (delivery.kind === 'transient') {
      const now = this.deps.clock()
      const { errcode, errmsg } = delivery
      // The daily limit is nobody's fault: back in the queue as it was, due when WeChat's count starts again.
      if (errcode === DAILY_LIMIT) return { change: { status: 'scheduled', dueAt: new Date(nextBeijingMidnight(now)), errcode, errmsg }, dailyLimit: true }
      if (tries < this.deps.settings.maxTries) {
        return { change: { status: 'scheduled', dueAt: new Date(now + this.backoff(tries)), tries, errcode, errmsg }, dailyLimit: false }
      }
    }
    return { change: { ...finalChange(message, delivery), tries }, dailyLimit: false }
  }

  /** Exponential, capped, with ±20% jitter so that retries of a burst spread out. */
  private backoff(tries: number): number {
    const { retryBaseMs, retryMaxMs } = this.deps.settings
    const wait = Math.min(retryMaxMs, retryBaseMs * 2 ** (tries - 1))
    return Math.round(wait * (0.8 + Math.random() * 0.4))
  }

  /** Gives back what this run's claims hold but did not send, due at `dueAt`, with one write. */
  private async release(tokens: string[], dueAt: number): Promise<number> {
    const _ = this.deps.db.command
    const { stats } = await this.deps.db
      .collection(MESSAGES)
      .where({ claimToken: _.in(tokens), status: 'sending' })
      .update({ data: { status: 'scheduled', claimToken: null, dueAt: new Date(dueAt) } })
    return stats.updated
  }
}

function count(report: DispatchReport, change: MessageChange): void {
  if (change.status === 'sent') report.sent += 1
  else if (change.status === 'failed') report.failed += 1
  else if (change.status === 'unknown') report.unknown += 1
  else report.rescheduled += 1
}
