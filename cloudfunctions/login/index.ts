import { database } from '../../src/cloud'
import { door } from '../../src/door'
import { CODES, refuse } from '../../src/replies'
import { SETTINGS } from '../../src/settings'
import { sessionSecret } from '../../src/session/token'
import { appIdFor, codeOf, loginWithCode } from '../../src/users/code-login'
import { recordLogin } from '../../src/users/users'

/**
 * Who the caller is. With a `code` from wx.login: WeChat's jscode2session
 * says, and the reply carries a session for calls over HTTP access. Without
 * one: the platform's context says (a mini-program user, no AppSecret), or
 * the session the HTTP request presented.
 */
export const main = door({ name: 'login', allow: ['user', 'visitor'] }, async (caller, event) => {
  const code = codeOf(event)
  if (code !== undefined) {
    return loginWithCode(database(), code, {
      appid: appIdFor(caller.kind === 'user' ? caller.appid : undefined),
      secret: process.env.WECHAT_APP_SECRET || undefined,
      sessionKey: sessionSecret(),
      lifetimeMs: SETTINGS.session.lifetimeMs,
      timeoutMs: SETTINGS.timing.wechatTimeoutMs,
    })
  }
  if (caller.kind === 'visitor') return refuse(CODES.UNAUTHENTICATED, 'log in with a code from wx.login: { "code": "…" }')
  await recordLogin(database(), { openid: caller.openid, appid: caller.appid, unionid: caller.unionid })
  return {
    ok: true,
    openid: caller.openid,
    appid: caller.appid,
    ...(caller.unionid ? { unionid: caller.unionid } : {}),
  }
})
