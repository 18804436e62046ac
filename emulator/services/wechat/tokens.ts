/**
 * WeChat's access tokens for its HTTPS server API: the stable token
 * (`/cgi-bin/stable_token`, getStableAccessToken) and the plain one
 * (`/cgi-bin/token`, getAccessToken), isolated from each other as the docs
 * say, and the check that every call with `?access_token=` meets first.
 * Kept in memory for the run: after a restart an old token answers 40001.
 */
import { randomBytes } from 'node:crypto'
import { ACCESS_TOKEN_EXPIRED, ACCESS_TOKEN_MISSING, DAILY_LIMIT, INVALID_CREDENTIAL, fail, type WechatReply } from './errors'
import { startOfBeijingDay } from './funnel'

export type TokenKind = 'stable' | 'token'

interface TokenRecord {
  kind: TokenKind
  expiresAt: number
  /** Set when replaced or invalidated before its expiry: valid until then, "not latest" (40001) after. */
  endsAt?: number
}

export interface TokenTimes {
  lifetimeMs: number
  /** 300 s of 7200: how long a replaced plain token still works, and how early a stable token is renewed. */
  overlapMs: number
  /** 30 s of 7200: the least time between two force refreshes that refresh. */
  forceGapMs: number
}

/** WeChat's token times (7200 s, 300 s, 30 s), scaled to another lifetime for tests: the overlap at least 1 s. */
export function tokenTimes(lifetimeS: number): TokenTimes {
  const lifetimeMs = lifetimeS * 1000
  return { lifetimeMs, overlapMs: Math.max(1000, Math.round(lifetimeMs / 24)), forceGapMs: Math.round(lifetimeMs / 240) }
}

/** Force refreshes that refresh, per UTC+8 day ("强制刷新模式每天限用20次"). */
export const MAX_FORCE_REFRESHES = 20
/** How long an expired token is still known (and answered 42001) before it is forgotten (40001). */
const REMEMBER_MS = 86_400_000

export interface IssuedToken {
  access_token: string
  expires_in: number
}

export class TokenAuthority {
  /** In issue order, which is expiry order (one lifetime for all), so the oldest are pruned from the front. */
  private readonly records = new Map<string, TokenRecord>()
  private current: Partial<Record<TokenKind, string>> = {}
  private force = { day: 0, count: 0, lastAt: -Infinity }
  private seq = 0

  constructor(
    readonly times: TokenTimes,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * getStableAccessToken. Normal mode answers the current token while more than the overlap is
   * left (so expires_in ≥ 300 s), else issues the next one; the old one works to its own expiry.
   * Force mode ends every stable token and issues a new one, at most 20 times a day (45009 after,
   * the code WeChat gives for a spent daily quota). The docs say a force call less than 30 s after
   * the last one "does not refresh" (否则不会刷新), without an error: it is answered as a normal
   * call (the current token, unchanged) and not counted.
   */
  stable(forceRefresh: boolean): IssuedToken | WechatReply {
    const now = this.now()
    if (forceRefresh && now - this.force.lastAt >= this.times.forceGapMs) {
      const day = startOfBeijingDay(now)
      if (this.force.day !== day) this.force = { ...this.force, day, count: 0 }
      if (this.force.count >= MAX_FORCE_REFRESHES) return fail(DAILY_LIMIT, 'reach max api daily quota limit')
      this.force.count += 1
      this.force.lastAt = now
      this.end('stable', now)
      return this.issue('stable', now)
    }
    const token = this.live('stable', now)
    const record = token === undefined ? undefined : this.records.get(token)!
    if (record && record.expiresAt - now >= this.times.overlapMs) return { access_token: token!, expires_in: Math.floor((record.expiresAt - now) / 1000) }
    return this.issue('stable', now)
  }

  /** getAccessToken: a new token each call; the one before works the overlap more (or to its own expiry, if sooner). */
  token(): IssuedToken {
    const now = this.now()
    const previous = this.live('token', now)
    if (previous !== undefined) {
      const record = this.records.get(previous)!
      if (record.expiresAt > now + this.times.overlapMs) record.endsAt = now + this.times.overlapMs
    }
    return this.issue('token', now)
  }

  /** WeChat's refusal of a call's access token, or undefined when the token is good. */
  check(token: string | null | undefined): WechatReply | undefined {
    if (!token) return fail(ACCESS_TOKEN_MISSING, 'access_token missing')
    const now = this.now()
    const record = this.records.get(token)
    if (!record || (record.endsAt !== undefined && now >= record.endsAt)) {
      return fail(INVALID_CREDENTIAL, 'invalid credential, access_token is invalid or not latest')
    }
    if (now >= record.expiresAt) return fail(ACCESS_TOKEN_EXPIRED, 'access_token expired')
    return undefined
  }

  /**
   * Ends every token now, of both kinds, as someone else's force refresh would (a leak dealt
   * with elsewhere): a call with one answers 40001 "not latest", which is what WeChat says of a
   * token another refresh replaced, not 42001, which is for a token past its lifetime. The next
   * stable_token call issues a new token. Counts as no force refresh. Returns how many ended.
   */
  expireAll(): number {
    const now = this.now()
    const ended = this.end('stable', now) + this.end('token', now)
    this.current = {}
    return ended
  }

  /** The current token of a kind while it still works. */
  private live(kind: TokenKind, now: number): string | undefined {
    const token = this.current[kind]
    const record = token === undefined ? undefined : this.records.get(token)
    if (!record || now >= record.expiresAt || (record.endsAt !== undefined && now >= record.endsAt)) return undefined
    return token
  }

  private end(kind: TokenKind, now: number): number {
    let ended = 0
    for (const record of this.records.values()) {
      const working = now < record.expiresAt && (record.endsAt === undefined || now < record.endsAt)
      if (record.kind === kind && working) {
        record.endsAt = now
        ended += 1
      }
    }
    return ended
  }

  private issue(kind: TokenKind, now: number): IssuedToken {
    for (const [token, record] of this.records) {
      if (record.expiresAt >= now - REMEMBER_MS) break
      this.records.delete(token)
    }
    this.seq += 1
    // WeChat's tokens are a number, "_", then about 130 URL-safe characters (the docs ask for 512 of storage).
    const token = `${this.seq}_${randomBytes(96).toString('base64url')}`
    this.records.set(token, { kind, expiresAt: now + this.times.lifetimeMs })
    this.current[kind] = token
    return { access_token: token, expires_in: Math.floor(this.times.lifetimeMs / 1000) }
  }
}
