/**
 * The delivery path's timing settings, a fifth of the real ones, as a
 * function's environment sets them: send's timeout 12 s (60 s), a claim's
 * lease 6 s (30 s), a run's budget 9 s (45 s), WeChat's timeout 600 ms (3 s),
 * the SDK's default wait 3 s (15 s). Every relation between them holds as it
 * does at full scale.
 */
export const SCALED: Record<string, number> = {
  TIMING_FUNCTION_TIMEOUT_MS: 12_000,
  TIMING_WECHAT_TIMEOUT_MS: 600,
  TIMING_BUSY_RETRY_MS: 40,
  TIMING_SDK_TIMEOUT_MS: 3000,
  TIMING_WRITE_MS: 200,
  TIMING_CLOCK_SKEW_MS: 200,
  DISPATCH_LEASE_MS: 6000,
  DISPATCH_BUDGET_MS: 9000,
  DISPATCH_RETRY_BASE_MS: 6000,
  DISPATCH_RETRY_MAX_MS: 120_000,
}

/** The emulator's arguments that give `send` the scaled settings and timeout. */
export const scaledArgs = ['--function-timeout', 'send:12', ...Object.entries(SCALED).flatMap(([name, value]) => ['--function-env', `send:${name}=${value}`])]
