/** What a dispatcher run, or a tick of several, did: counts, and why it stopped. */
import { isDatabaseFailure } from '../cloud'
import type { MessageChange } from '../outbox/outbox'

/**
 * drained: nothing more was due; deadline: the run's window ended first;
 * lost-claim: another run took its messages over; database: a database
 * request failed; daily-limit: WeChat's 45009.
 */
export type StopReason = 'drained' | 'deadline' | 'lost-claim' | 'database' | 'daily-limit'

export interface DispatchReport {
  claimed: number
  sent: number
  failed: number
  unknown: number
  rescheduled: number
  /** Found no grant and waits for one (send's waitForGrantMs). */
  waiting: number
  /** Waited for a grant in vain: ended expired before this tick claimed. */
  expired: number
  /** Due inside quiet hours, moved to the window's end before this tick claimed. */
  held: number
  /** Claimed but given back unsent, never taken to WeChat (a daily limit, the deadline, a database failure). */
  released: number
  /** Settles that found another run had taken the message over meanwhile: that run's record of it stands. */
  lostClaims: number
  stoppedBy: StopReason
  /** Parallel invocations this run fanned out to. */
  fannedOut: number
  /** Shards that failed or did not answer in time (their messages stay claimed or queued, never lost). */
  shardFailures: number
  /** What the failure that stopped it said, with `stoppedBy: "database"`. */
  error?: string
}

export const emptyReport = (): DispatchReport => ({
  claimed: 0,
  sent: 0,
  failed: 0,
  unknown: 0,
  rescheduled: 0,
  waiting: 0,
  expired: 0,
  held: 0,
  released: 0,
  lostClaims: 0,
  stoppedBy: 'drained',
  fannedOut: 0,
  shardFailures: 0,
})

const STOP_RANK: Record<StopReason, number> = { drained: 0, deadline: 1, 'lost-claim': 2, database: 3, 'daily-limit': 4 }
const COUNTS = ['claimed', 'sent', 'failed', 'unknown', 'rescheduled', 'waiting', 'expired', 'held', 'released', 'lostClaims', 'fannedOut', 'shardFailures'] as const

/** Adds `other` into `into`; the graver stop reason wins. */
export function merge(into: DispatchReport, other: DispatchReport): DispatchReport {
  for (const key of COUNTS) into[key] += other[key]
  if (STOP_RANK[other.stoppedBy] > STOP_RANK[into.stoppedBy]) into.stoppedBy = other.stoppedBy
  into.error ??= other.error
  return into
}

/** Counts one settled message by what became of it. */
export function count(report: DispatchReport, change: MessageChange): void {
  if (change.status === 'sent') report.sent += 1
  else if (change.status === 'failed') report.failed += 1
  else if (change.status === 'unknown') report.unknown += 1
  else if (change.status === 'waiting') report.waiting += 1
  else if (change.status === 'expired') report.expired += 1
  else report.rescheduled += 1
}

/** A failure's words for the report. */
export function describeFailure(error: unknown): string {
  const { errCode, code, errMsg, message } = (error ?? {}) as { errCode?: unknown; code?: unknown; errMsg?: unknown; message?: unknown }
  const text = String(errMsg ?? message ?? error)
  const named = errCode ?? code
  return named === undefined ? text : `${String(named)}: ${text}`
}

/** A request failed outside a run (the tick's state, a campaign's page): the report says so, and what was done stands. */
export function stoppedByDatabase(report: DispatchReport, error: unknown): DispatchReport {
  if (!isDatabaseFailure(error)) throw error
  if (STOP_RANK.database > STOP_RANK[report.stoppedBy]) report.stoppedBy = 'database'
  report.error ??= describeFailure(error)
  return report
}
