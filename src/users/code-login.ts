/**
 * A login with a code from `wx.login`, for a caller WeChat's context does not
 * name (HTTP access): WeChat's jscode2session says whose code it is, the user
 * is recorded as any login is, and the caller gets a signed session
 * (src/session/token.ts) for its later calls. WeChat's session_key is
 * neither kept nor returned. The AppSecret travels only in the request to
 * WeChat: describeRequest hides it from every message.
 */
import project from '../../project.config.json'
import type { Database } from '../cloud'
import { CODES, refuse, type Success } from '../replies'
import { signSession } from '../session/token'
import { NoAnswer, callWechat, type WechatReply, type WechatRequest } from '../wechat/https'
import { recordLogin } from './users'

export interface CodeLoginConfig {
  /** WECHAT_APP_ID if set, else the caller's APPID from the context, else the project's (project.config.json, inlined by the build). */
  appid: string
  /** WECHAT_APP_SECRET. */
  secret: string | undefined
  /** SESSION_SECRET. */
  sessionKey: string | undefined
  lifetimeMs: number
  timeoutMs: number
}

/** The AppID a code is exchanged under: the environment's, the context's, or the project's own. */
export const appIdFor = (contextAppid?: string): string => process.env.WECHAT_APP_ID || contextAppid || project.appid

/** 45011 says only "too frequent"; WeChat's limit is counted per minute. */
export const RATE_LIMIT_WAIT_MS = 60_000

/** A `code` in the event: undefined when there is none, refused when it is not one. */
export function codeOf(event: unknown): string | undefined {
  const code = (event as { code?: unknown } | null)?.code
  if (code === undefined) return undefined
  if (typeof code !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(code)) return refuse(CODES.INVALID_ARGUMENT, 'code must be the string wx.login gave')
  return code
}

export type CodeLogin = Success<{ openid: string; unionid?: string; session: string; expiresAt: string }>

export async function loginWithCode(
  db: Database,
  code: string,
  config: CodeLoginConfig,
  exchange: (request: WechatRequest) => Promise<WechatReply> = callWechat,
): Promise<CodeLogin> {
  const missing = [!config.secret && 'WECHAT_APP_SECRET', !config.sessionKey && 'SESSION_SECRET'].filter(Boolean)
  if (missing.length) return refuse(CODES.NOT_CONFIGURED, `a code login needs ${missing.join(' and ')} in the login function's environment`)
  let reply: WechatReply
  try {
    reply = await exchange({
      method: 'GET',
      path: '/sns/jscode2session',
      query: { appid: config.appid, secret: config.secret!, js_code: code, grant_type: 'authorization_code' },
      timeoutMs: config.timeoutMs,
    })
  } catch (error) {
    if (error instanceof NoAnswer) return refuse(CODES.RETRYABLE, `WeChat did not answer the code exchange (${error.message}): log in again with a new code`)
    throw error
  }
  const openid = typeof reply.openid === 'string' && reply.openid !== '' ? reply.openid : undefined
  // A success may carry no errcode at all; the openid is what says it is one.
  if (!openid || (reply.errcode !== undefined && reply.errcode !== 0)) refuseExchange(reply, config.secret!)
  const unionid = typeof reply.unionid === 'string' && reply.unionid !== '' ? reply.unionid : undefined
  await recordLogin(db, { openid: openid!, appid: config.appid, unionid })
  const expiresAt = Date.now() + config.lifetimeMs
  return {
    ok: true,
    openid: openid!,
    ...(unionid ? { unionid } : {}),
    session: signSession({ openid: openid!, expiresAt }, config.sessionKey!),
    expiresAt: new Date(expiresAt).toISOString(),
  }
}

/** WeChat's refusal of a code, as the reply's code, with its errmsg (the secret cut out, should it ever echo it). */
function refuseExchange(reply: WechatReply, secret: string): never {
  const errcode = typeof reply.errcode === 'number' ? reply.errcode : undefined
  const errmsg = typeof reply.errmsg === 'string' ? reply.errmsg.split(secret).join('…') : ''
  const said = `WeChat answered ${errcode ?? 'no openid'}${errmsg ? ` (${errmsg})` : ''}`
  switch (errcode) {
    case 40029:
    case 40163:
      return refuse(CODES.INVALID_CODE, `the login code is wrong, expired or already used: ${said}; get a new one from wx.login`, { errcode })
    case 45011:
      return refuse(CODES.RATE_LIMITED, `too many logins for this user: ${said}`, { errcode, retryAfterMs: RATE_LIMIT_WAIT_MS })
    case 40226:
      return refuse(CODES.LOGIN_BLOCKED, `WeChat blocks this user's login: ${said}`, { errcode })
    case 40013:
    case 40125:
    case 41002:
    case 41004:
      return refuse(CODES.NOT_CONFIGURED, `WeChat refused the AppID or AppSecret: ${said}`, { errcode })
    default:
      // -1 (busy), or an answer we cannot read: the code may be spent, so a retry needs a new one.
      return refuse(CODES.RETRYABLE, `the code exchange failed: ${said}; log in again with a new code`, errcode === undefined ? {} : { errcode })
  }
}
