/**
 * The delivery path's timing model: every lease, budget and timeout, what is
 * derived from them, and the relations between them that keep a claim alive
 * for as long as the sends it covers, and a caller waiting for as long as
 * what it calls may run. Checked when the settings are loaded and at build.
 */

/** 43108 (another send to the user in flight) is retried within one delivery this many times. */
export const BUSY_RETRIES = 3

export interface Timing {
  /** The `send` function's timeout on the platform (cloudbaserc.json); the platform ends an invocation then. */
  functionTimeoutMs: number
  /** How long one WeChat call may take before its outcome counts as unknown. */
  wechatTimeoutMs: number
  /** The longest wait before a 43108 retry (the n-th retry waits up to n times this). */
  busyRetryMs: number
  /** The SDK's own wait for any request it makes, unless a call names another. */
  sdkTimeoutMs: number
  /** What one database write is budgeted to take, at most. */
  writeMs: number
  /** How far two instances' clocks may disagree (a lease is judged by the clock of the run that takes it over). */
  clockSkewMs: number
}

export interface LeaseTiming {
  /** How long a claim holds before another run may take its messages over. */
  leaseMs: number
  /** How long one invocation keeps drawing messages. */
  budgetMs: number
}

/** What a claim must still cover when a WeChat call starts: the call, the refund and the settle write, and the skew. */
export const attemptCoverMs = (t: Timing) => t.wechatTimeoutMs + 2 * t.writeMs + t.clockSkewMs

/** What a claim must still cover when a message is taken up: its reservation, then one attempt. */
export const messageCoverMs = (t: Timing) => t.writeMs + attemptCoverMs(t)

/** The wait before the n-th 43108 retry (1-based), at most. */
export const busyWaitMs = (t: Timing, retry: number) => t.busyRetryMs * retry

/** The longest one delivery can take: every 43108 retry used, each attempt to its timeout, and its writes. */
export function deliveryMs(t: Timing): number {
  let waits = 0
  for (let retry = 1; retry <= BUSY_RETRIES; retry++) waits += busyWaitMs(t, retry)
  return (BUSY_RETRIES + 1) * t.wechatTimeoutMs + waits + 3 * t.writeMs
}

/**
 * How long an immediate send holds its message before the dispatcher may take
 * it over: longer than `send` can run, so only a call that died leaves it.
 */
export const immediateLeaseMs = (t: Timing) => t.functionTimeoutMs + t.clockSkewMs

/** How long a repeat of an idempotency key waits for a first call still sending. */
export const repeatWaitMs = (t: Timing) => deliveryMs(t)

/**
 * The relations the numbers must keep, each as the sentence to refuse them
 * with. An empty list: consistent.
 */
export function timingProblems(t: Timing, lease: LeaseTiming): string[] {
  const problems: string[] = []
  const need = (holds: boolean, message: string) => holds || problems.push(message)
  const cover = messageCoverMs(t)
  need(
    lease.leaseMs >= cover + t.writeMs,
    `dispatcher.leaseMs (${lease.leaseMs}) must cover one message (timing.writeMs × 3 + timing.wechatTimeoutMs + timing.clockSkewMs = ${cover}) plus the write that renews it (timing.writeMs): at least ${cover + t.writeMs}`,
  )
  need(
    lease.budgetMs + cover + 2 * t.writeMs <= t.functionTimeoutMs,
    `dispatcher.budgetMs (${lease.budgetMs}) plus its last message (${cover}), the release and the reply (timing.writeMs × 2) must end within timing.functionTimeoutMs (${t.functionTimeoutMs}): at most ${t.functionTimeoutMs - cover - 2 * t.writeMs}`,
  )
  need(
    repeatWaitMs(t) + t.writeMs < t.functionTimeoutMs,
    `one delivery with every 43108 retry (${deliveryMs(t)}, from timing.wechatTimeoutMs, timing.busyRetryMs and timing.writeMs) must fit in timing.functionTimeoutMs (${t.functionTimeoutMs}) with a write to spare, so that a repeated request can wait for it`,
  )
  need(
    t.wechatTimeoutMs <= t.sdkTimeoutMs,
    `timing.wechatTimeoutMs (${t.wechatTimeoutMs}) must not exceed timing.sdkTimeoutMs (${t.sdkTimeoutMs}): the SDK would give up on the call first`,
  )
  need(t.writeMs <= t.sdkTimeoutMs, `timing.writeMs (${t.writeMs}) must not exceed timing.sdkTimeoutMs (${t.sdkTimeoutMs}): the SDK would give up on writes the budget expects to land`)
  return problems
}
