/**
 * send's `{ action: "token" }` (server-side callers only): the environment's
 * access token as its document says (never the token itself), and, with
 * `force: true`, a new one in stable_token's force mode, for a token that
 * leaked. The secret stays in the function; WeChat's limits on force mode
 * (20 a day, 30 s apart) are refused here with when it may be asked again.
 */
import { readEvent } from '../input'
import { CODES, failure, refuse, success } from '../replies'
import type { WechatApi } from '../wechat/contract'
import { FORCES_PER_DAY, FORCE_SPACING_MS, TokenUnavailable, type TokenStatus } from '../wechat/token'

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null)

function view(status: TokenStatus | null, now: number) {
  if (!status) return null
  const { digest, fetchedAt, expiresAt, refreshAt, fetchesToday, forcesToday, day, lastForcedAt, refreshing } = status
  return {
    digest,
    fetchedAt: iso(fetchedAt),
    expiresAt: iso(expiresAt),
    refreshAt: iso(refreshAt),
    ageMs: fetchedAt > 0 ? now - fetchedAt : null,
    expiresInMs: expiresAt - now,
    fetchesToday,
    forcesToday,
    forcesPerDay: FORCES_PER_DAY,
    day,
    lastForcedAt: iso(lastForcedAt),
    refreshing,
  }
}

export async function tokenAction(wechat: WechatApi, event: unknown, clock: () => number = Date.now): Promise<Record<string, unknown>> {
  const input = readEvent(event, ['action', 'force'])
  if (input.force !== undefined && input.force !== true) refuse(CODES.INVALID_ARGUMENT, 'force must be true or left out', { field: 'force' })
  const { transport, accessToken } = wechat
  if (!accessToken) {
    if (input.force) refuse(CODES.INVALID_ARGUMENT, 'the functions use cloud call (wechat.transport is cloud): there is no access token to refresh', { field: 'force' })
    return success({ transport, token: null })
  }
  if (!input.force) return success({ transport, token: view(await accessToken.status(), clock()) })
  let outcome
  try {
    outcome = await accessToken.forceRefresh()
  } catch (error) {
    if (!(error instanceof TokenUnavailable)) throw error
    return failure(CODES.RETRYABLE, `WeChat gave no new token: ${error.message}`, error.errcode === null ? {} : { errcode: error.errcode })
  }
  const retryAt = 'retryAt' in outcome ? new Date(outcome.retryAt).toISOString() : undefined
  switch (outcome.kind) {
    case 'refreshed':
      return success({ transport, refreshed: true, token: view(outcome.status, clock()) })
    case 'daily_limit':
      return failure(CODES.DAILY_LIMIT, `WeChat allows ${FORCES_PER_DAY} forced refreshes a day: none is left today`, { retryAt })
    case 'too_soon':
      return failure(CODES.RETRYABLE, `WeChat allows a forced refresh only ${FORCE_SPACING_MS / 1000} s after the last one`, { retryAt })
    case 'busy':
      return failure(CODES.RETRYABLE, 'another instance is fetching the token right now', { retryAt })
  }
}
