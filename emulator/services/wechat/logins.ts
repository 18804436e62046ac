/**
 * wx.login's codes and their exchange (code2Session, `/sns/jscode2session`):
 * a code names the user it was given to and is good once, for 5 minutes; one
 * user exchanges at most 100 a minute; a user WeChat holds as high-risk is
 * refused. Codes are kept in memory for the run, as they live 5 minutes.
 */
import { randomBytes } from 'node:crypto'
import { CODE_BLOCKED, INVALID_CODE, MINUTE_QUOTA, fail, type WechatReply } from './errors'
import type { WechatStore } from './store'

export const CODE_LIFETIME_MS = 5 * 60_000
/** "频率限制，每个用户每分钟 100 次" (code2Session's errcode table). */
export const EXCHANGES_PER_MINUTE = 100

interface IssuedCode {
  openid: string
  unionid?: string
  issuedAt: number
}

/** code2Session's success: no errcode at all, as WeChat now answers it. */
export interface Session {
  openid: string
  session_key: string
  unionid?: string
}

export class LoginCodes {
  /** In issue order, so the expired are pruned from the front. */
  private readonly codes = new Map<string, IssuedCode>()
  /** Exchanges per user in the current minute; WeChat's "retry next minute" reads as a calendar minute. */
  private readonly perMinute = new Map<string, number>()
  private minute = 0

  constructor(
    private readonly store: WechatStore,
    private readonly meetUser: (openid: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** What wx.login gives this user: WeChat learns the user, as when they open the app. */
  issue(openid: string, unionid?: string): string {
    const now = this.now()
    for (const [code, issued] of this.codes) {
      if (now - issued.issuedAt < CODE_LIFETIME_MS) break
      this.codes.delete(code)
    }
    this.meetUser(openid)
    // 32 URL-safe characters, the length of WeChat's codes.
    const code = randomBytes(24).toString('base64url')
    this.codes.set(code, { openid, unionid, issuedAt: now })
    return code
  }

  /**
   * Exchanges a code: 40029 for one unknown, used or expired (WeChat has also been seen answering
   * 40163 "code been used" for a reuse; its documentation lists 40029 only), then 45011 past the
   * user's minute quota, then 40226 for a blocked user. Only a success spends the code, so a code
   * refused for the rate can be tried again within its 5 minutes.
   */
  exchange(code: string): Session | WechatReply {
    const now = this.now()
    const issued = this.codes.get(code)
    if (!issued || now - issued.issuedAt >= CODE_LIFETIME_MS) return fail(INVALID_CODE, 'invalid code')
    const minute = Math.floor(now / 60_000)
    if (minute !== this.minute) {
      this.minute = minute
      this.perMinute.clear()
    }
    const count = this.perMinute.get(issued.openid) ?? 0
    if (count >= EXCHANGES_PER_MINUTE) return fail(MINUTE_QUOTA, 'api minute-quota reach limit mustslower retry next minute')
    this.perMinute.set(issued.openid, count + 1)
    if (this.store.isBlocked(issued.openid)) return fail(CODE_BLOCKED, 'code blocked')
    this.codes.delete(code)
    // A new session key at each login, which WeChat allows ("session_key 可能会被更新").
    const session: Session = { openid: issued.openid, session_key: randomBytes(16).toString('base64') }
    if (issued.unionid) session.unionid = issued.unionid
    return session
  }

  /** WeChat marks the user high-risk, or lifts it. */
  block(openid: string, blocked: boolean): void {
    this.meetUser(openid)
    this.store.setBlocked(openid, blocked)
  }
}
