/**
 * `token status` and `token refresh --force`: the environment's WeChat
 * access token (HTTPS transport), through send's `{ action: "token" }`, so
 * that the AppSecret never leaves the functions. Shown by its digest, never
 * itself.
 */

interface TokenView {
  digest: string | null
  fetchedAt: string | null
  expiresAt: string | null
  refreshAt: string | null
  ageMs: number | null
  expiresInMs: number
  fetchesToday: number
  forcesToday: number
  forcesPerDay: number
  day: string
  lastForcedAt: string | null
  refreshing: boolean
}

/** 1 h 47 min, 12 min 3 s, 8 s. */
export function duration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000)
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60]
  if (h > 0) return `${h} h ${m} min`
  return m > 0 ? `${m} min ${sec} s` : `${sec} s`
}

/** The lines `token status` prints for send's reply. */
export function tokenLines(reply: Record<string, any>): string[] {
  if (reply.transport !== 'https') return [`the functions use cloud call (wechat.transport ${reply.transport}): there is no access token`]
  const token = reply.token as TokenView | null
  if (!token || !token.digest) return ['transport https', token?.refreshing ? 'no access token yet: one is being fetched' : 'no access token fetched yet (the first call over HTTPS fetches it)']
  const expiry = token.expiresInMs > 0 ? `in ${duration(token.expiresInMs)}` : `${duration(token.expiresInMs)} ago, expired`
  return [
    'transport https',
    `token    ${token.digest} (a digest), fetched ${token.fetchedAt} (${duration(token.ageMs ?? 0)} ago)`,
    `expires  ${token.expiresAt} (${expiry}); fetched again from ${token.refreshAt}${token.refreshing ? ', being fetched now' : ''}`,
    `today    ${token.fetchesToday} fetches (${token.day}, UTC+8); forced ${token.forcesToday} of ${token.forcesPerDay}${token.lastForcedAt ? `, last at ${token.lastForcedAt}` : ''}`,
  ]
}

/** The lines `token refresh --force` prints, and its exit code. */
export function refreshLines(reply: Record<string, any>): { lines: string[]; code: number } {
  if (!reply.ok) return { lines: [`refused (${reply.code}): ${reply.message}${reply.retryAt ? `; possible again from ${reply.retryAt}` : ''}`], code: 1 }
  return { lines: ['token refreshed in force mode: the previous token no longer works', ...tokenLines(reply).slice(1)], code: 0 }
}
