/**
 * A write that must land, tried again after a failure while its caller's
 * time allows. Only for writes that are safe to repeat: a conditional write,
 * or one that names what it records, so that a try that landed without its
 * reply changes nothing the second time.
 */
export interface RetryPolicy {
  /** Whether another try may start after waiting `waitMs`: it, and what must follow it, still fit in the caller's time. */
  mayRetry: (waitMs: number) => boolean
  sleep: (ms: number) => Promise<void>
  /** Told of each failure, before the next try. */
  onFailure?: (error: unknown) => void
}

/** The wait before the n-th try again (0-based): doubling from 25 ms, at most a second. */
export const retryWaitMs = (attempt: number) => Math.min(1000, 25 * 2 ** attempt)

export async function persistently<T>(write: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write()
    } catch (error) {
      policy.onFailure?.(error)
      const wait = retryWaitMs(attempt)
      if (!policy.mayRetry(wait)) throw error
      await policy.sleep(wait)
    }
  }
}
