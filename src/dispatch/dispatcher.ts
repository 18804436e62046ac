/**
 * The dispatcher, run by `send`'s timer: claims due messages in batches under
 * a lease (a conditional update that stamps a claim token), sends them with
 * bounded concurrency and never two at once to one user, and settles each
 * with one write that holds only while its claim does (run.ts). WeChat is
 * called for a message only while the claim is sure to outlive the call and
 * its settling, so an overlapping or retried run never sends what another
 * holds; a crashed run's messages are taken over when their lease ends, and
 * one whose WeChat call may have started ends `unknown`, never sent twice.
 * When one run could not send everything due, the next tick splits the work
 * over parallel invocations, one per shard of recipients.
 */
import { Ledger } from '../ledger/ledger'
import { SHARDS } from '../limits'
import { Outbox } from '../outbox/outbox'
import type { DispatchContext, DispatchDeps, RunWindow } from './context'
import { emptyReport, merge, stoppedByDatabase, type DispatchReport } from './report'
import { Run } from './run'
import { DispatchState } from './state'
import { expireWaiting, holdForQuiet } from './holds'

export type { DispatchDeps, RunWindow } from './context'
export { emptyReport, stoppedByDatabase, type DispatchReport, type StopReason } from './report'

export class Dispatcher {
  private readonly ctx: DispatchContext

  constructor(deps: DispatchDeps) {
    this.ctx = { ...deps, ledger: new Ledger(deps.db), outbox: new Outbox(deps.db), state: new DispatchState(deps.db) }
  }

  /**
   * The window of an invocation that started at `started`: it takes up
   * messages for the budget, and answers within the function's timeout
   * with a write's time to spare.
   */
  windowFrom(started: number): RunWindow {
    const { timing, settings } = this.ctx
    return { deadline: started + settings.budgetMs, until: started + timing.functionTimeoutMs - timing.writeMs }
  }

  /** One timer tick: nothing while WeChat's daily limit holds; else one run, or one per shard when the last run fell behind. */
  async tick(window: RunWindow): Promise<DispatchReport> {
    const { state, clock } = this.ctx
    let current
    try {
      current = await state.read()
    } catch (error) {
      return stoppedByDatabase(emptyReport(), error)
    }
    if (current.pausedUntil > clock()) return { ...emptyReport(), stoppedBy: 'daily-limit' }
    let expired: number
    let held: number
    try {
      expired = await expireWaiting(this.ctx, clock())
      held = await holdForQuiet(this.ctx, clock())
    } catch (error) {
      return stoppedByDatabase(emptyReport(), error)
    }
    const report = { ...(await this.dispatch(window, current.fanOut)) }
    report.expired += expired
    report.held += held
    return report
  }

  /** One run, or one per shard when the last run fell behind. */
  private async dispatch(window: RunWindow, fannedOut: boolean): Promise<DispatchReport> {
    const { state, settings } = this.ctx
    if (settings.fanOut && fannedOut) return this.fanOutTick(window)
    const report = await this.run(undefined, window)
    if (settings.fanOut && report.stoppedBy === 'deadline') await state.setFanOut(true).catch((error) => stoppedByDatabase(report, error))
    return report
  }

  private async fanOutTick(window: RunWindow): Promise<DispatchReport> {
    // Each shard answers before the tick must: its window ends a write earlier.
    const shardWindow = { deadline: window.deadline, until: window.until - this.ctx.timing.writeMs }
    const reports = await Promise.all(
      Array.from({ length: SHARDS }, (_s, shard) =>
        this.ctx.fanOut(shard, shardWindow).catch(() => ({ ...emptyReport(), stoppedBy: 'deadline' as const, shardFailures: 1 })),
      ),
    )
    const report = reports.reduce(merge, { ...emptyReport(), fannedOut: SHARDS })
    if (report.stoppedBy === 'drained') await this.ctx.state.setFanOut(false).catch((error) => stoppedByDatabase(report, error))
    return report
  }

  /** Claims and sends until nothing is due, the deadline, WeChat's daily limit, a lost claim or a failed request. */
  run(shard: number | undefined, window: RunWindow): Promise<DispatchReport> {
    return new Run(this.ctx, shard, window).execute()
  }
}

