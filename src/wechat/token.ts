/**
 * The environment's one WeChat access token (HTTPS transport), in one
 * document of `wechat_tokens` (its `_id` the AppID) that every instance of
 * every function reads, and keeps in memory until its refresh time.
 *
 * Tokens from different fetchers break each other (WeChat's 40001), so one
 * instance fetches at a time: it claims a short lease on the document with a
 * conditional update (only while the lease is free and the document is still
 * the one it read), fetches with stable_token in normal mode, and writes the
 * token back with the lease released. The others keep using the current
 * token while it is valid (WeChat keeps old and new valid together for 5
 * minutes), or, with none valid, poll the document until a deadline. So N
 * instances starting at once fetch once.
 *
 * A token WeChat refuses is expired in the document only while the document
 * still holds that very token (compare-and-expire), so a refusal of a token
 * another instance has already replaced costs nothing. Force mode runs only
 * when an operator asks.
 */
import { createHash, randomBytes } from 'node:crypto'
import { beijingDate, nextBeijingMidnight } from '../beijing'
import { isDatabaseFailure, isDuplicateKey, type Database, type Doc } from '../cloud'

export const WECHAT_TOKENS = 'wechat_tokens'

/** WeChat's limits on force mode. */
export const FORCES_PER_DAY = 20
export const FORCE_SPACING_MS = 30_000
/** How often a waiter looks at the document again. */
const POLL_MS = 50
/** How long a waiter that holds a valid token keeps it in memory before looking for the new one. */
const RECHECK_MS = 1000

/** What stable_token gave. */
export interface FetchedToken {
  token: string
  expiresInMs: number
}

/** No token: WeChat refused one (its errcode), did not answer, or another instance's fetch did not finish in time (null). */
export class TokenUnavailable extends Error {
  constructor(
    message: string,
    readonly errcode: number | null,
  ) {
    super(message)
  }
}

/** The document. Times are epoch ms; `day` is WeChat's (UTC+8), for the daily counts. */
export interface TokenDocument {
  _id: string
  token: string | null
  /** When the request that got the token started: its lifetime counts from there. */
  fetchedAt: number
  expiresAt: number
  /** From then on, one instance fetches again: min(5 minutes, a 24th of the lifetime) before expiry. */
  refreshAt: number
  fetchesToday: number
  forcesToday: number
  day: string
  lastForcedAt: number
  /** 0, or until when `leaseHolder` alone may fetch. */
  leaseUntil: number
  leaseHolder: string | null
}

/** The document as `token status` shows it: never the token, only a digest to tell one from the next. */
export type TokenStatus = Omit<TokenDocument, '_id' | 'token' | 'leaseUntil' | 'leaseHolder'> & {
  digest: string | null
  refreshing: boolean
}

export type ForceOutcome =
  | { kind: 'refreshed'; status: TokenStatus }
  /** Past WeChat's limits (20 a day, 30 s apart), or another instance is fetching: `retryAt` says when it may. */
  | { kind: 'daily_limit' | 'too_soon' | 'busy'; retryAt: number }

export interface TokenDeps {
  db: Database
  appid: string
  /** stable_token (force mode when `force`) within `timeoutMs`; throws TokenUnavailable. */
  fetch: (force: boolean, timeoutMs: number) => Promise<FetchedToken>
  /** The longest fetch. */
  fetchTimeoutMs: number
  /** How long a claim holds: a fetch, its write, and the skew. */
  leaseMs: number
  /** How far clocks may disagree: a token is not used this close to its expiry. */
  skewMs: number
  clock?: () => number
  sleep?: (ms: number) => Promise<void>
}

/** Before expiry, when a token is fetched again: 5 minutes, or less for a short-lived token (a scaled-down emulator). */
export const refreshWindowMs = (lifetimeMs: number) => Math.min(300_000, lifetimeMs / 24)


export class AccessTokens {
  private cached?: { token: string; until: number }
  /** The instance's one read or fetch under way: its concurrent calls share it. */
  private pending?: Promise<string>
  private readonly clock: () => number
  private readonly sleep: (ms: number) => Promise<void>

  constructor(private readonly deps: TokenDeps) {
    this.clock = deps.clock ?? Date.now
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
  }

  /** A valid token, from memory, the document, or a fetch; throws TokenUnavailable when none can be had by `deadline`. */
  async token(deadline: number): Promise<string> {
    if (this.cached && this.clock() < this.cached.until) return this.cached.token
    this.pending ??= this.acquire(deadline).finally(() => (this.pending = undefined))
    return this.pending
  }

  /** WeChat refused `token`: expired in the document only if it still holds that one. */
  async expire(token: string): Promise<void> {
    if (this.cached?.token === token) this.cached = undefined
    await this.collection()
      .where({ _id: this.deps.appid, token })
      .update({ data: { expiresAt: 0, refreshAt: 0 } })
  }

  async status(): Promise<TokenStatus | null> {
    const doc = await this.read()
    if (!doc) return null
    const today = beijingDate(this.clock())
    const { token, fetchedAt, expiresAt, refreshAt, day, lastForcedAt, leaseUntil } = doc
    return {
      digest: token ? createHash('sha256').update(token).digest('hex').slice(0, 8) : null,
      fetchedAt,
      expiresAt,
      refreshAt,
      fetchesToday: day === today ? doc.fetchesToday : 0,
      forcesToday: day === today ? doc.forcesToday : 0,
      day: today,
      lastForcedAt,
      refreshing: leaseUntil > this.clock(),
    }
  }

  async forceRefresh(): Promise<ForceOutcome> {
    const doc = await this.read()
    const now = this.clock()
    if (doc?.day === beijingDate(now) && doc.forcesToday >= FORCES_PER_DAY) return { kind: 'daily_limit', retryAt: nextBeijingMidnight(now) }
    if (doc && now - doc.lastForcedAt < FORCE_SPACING_MS) return { kind: 'too_soon', retryAt: doc.lastForcedAt + FORCE_SPACING_MS }
    const holder = newHolder()
    if ((doc && doc.leaseUntil > now) || !(await this.claim(doc, now, holder))) return { kind: 'busy', retryAt: Math.max(doc?.leaseUntil ?? 0, now + POLL_MS) }
    await this.refresh(doc, holder, true, this.deps.fetchTimeoutMs)
    return { kind: 'refreshed', status: (await this.status())! }
  }

  private async acquire(deadline: number): Promise<string> {
    const { skewMs, fetchTimeoutMs } = this.deps
    for (;;) {
      const doc = await this.read()
      const now = this.clock()
      if (doc?.token && now < doc.refreshAt) return this.keep(doc.token, doc.refreshAt)
      const usable = doc?.token && now + skewMs < doc.expiresAt ? doc.token : undefined
      if (!doc || doc.leaseUntil <= now) {
        const holder = newHolder()
        if (await this.claim(doc, now, holder)) {
          try {
            return await this.refresh(doc, holder, false, Math.max(1, Math.min(fetchTimeoutMs, deadline - now)))
          } catch (error) {
            // WeChat would not give a new one: the current token still serves while it lasts.
            if (usable && error instanceof TokenUnavailable) return usable
            throw error
          }
        }
      }
      // Another instance fetches: the current token stays valid meanwhile (WeChat's overlap).
      if (usable) return this.keep(usable, Math.min(doc!.expiresAt - skewMs, now + RECHECK_MS))
      if (this.clock() + POLL_MS > deadline) throw new TokenUnavailable('no access token yet: another instance is still fetching it', null)
      await this.sleep(POLL_MS)
    }
  }

  /**
   * The lease, claimed with one conditional write: a new document (its `_id`
   * unique), or, on the one read, only while its lease is free and no fetch
   * has replaced what was read.
   */
  private async claim(doc: TokenDocument | null, now: number, holder: string): Promise<boolean> {
    const lease = { leaseUntil: now + this.deps.leaseMs, leaseHolder: holder }
    if (!doc) {
      const empty: TokenDocument = { _id: this.deps.appid, token: null, fetchedAt: 0, expiresAt: 0, refreshAt: 0, fetchesToday: 0, forcesToday: 0, day: '', lastForcedAt: 0, ...lease }
      try {
        await this.collection().add({ data: empty as unknown as Doc })
        return true
      } catch (error) {
        if (isDuplicateKey(error)) return false
        throw error
      }
    }
    const _ = this.deps.db.command
    const { stats } = await this.collection()
      .where({ _id: this.deps.appid, fetchedAt: doc.fetchedAt, leaseUntil: _.lte(now) })
      .update({ data: lease })
    return stats.updated === 1
  }

  /** Fetches under the lease `holder` claimed, and writes the token back with the lease released. */
  private async refresh(doc: TokenDocument | null, holder: string, force: boolean, timeoutMs: number): Promise<string> {
    const started = this.clock()
    let fetched: FetchedToken
    try {
      fetched = await this.deps.fetch(force, timeoutMs)
    } catch (error) {
      // Free at once, so that the next call may try again without waiting for the lease to end.
      await this.collection()
        .where({ _id: this.deps.appid, leaseHolder: holder })
        .update({ data: { leaseUntil: 0, leaseHolder: null } })
        .catch(() => undefined)
      throw error
    }
    const lifetime = fetched.expiresInMs
    const day = beijingDate(started)
    const sameDay = doc?.day === day
    const next = {
      token: fetched.token,
      fetchedAt: started,
      expiresAt: started + lifetime,
      refreshAt: started + lifetime - refreshWindowMs(lifetime),
      fetchesToday: (sameDay ? doc.fetchesToday : 0) + 1,
      forcesToday: (sameDay ? doc.forcesToday : 0) + (force ? 1 : 0),
      day,
      lastForcedAt: force ? started : (doc?.lastForcedAt ?? 0),
      leaseUntil: 0,
      leaseHolder: null,
    }
    // Only while the lease is still this fetch's; a failed write costs the others a fetch of the same token, not this call.
    await this.collection()
      .where({ _id: this.deps.appid, leaseHolder: holder })
      .update({ data: next })
      .catch((error: unknown) => {
        if (!isDatabaseFailure(error)) throw error
      })
    return this.keep(fetched.token, next.refreshAt)
  }

  private keep(token: string, until: number): string {
    this.cached = { token, until }
    return token
  }

  private async read(): Promise<TokenDocument | null> {
    const { data } = await this.collection().doc(this.deps.appid).get()
    return (data as unknown as TokenDocument | null) ?? null
  }

  private collection() {
    return this.deps.db.collection(WECHAT_TOKENS)
  }
}

const newHolder = () => randomBytes(6).toString('hex')
