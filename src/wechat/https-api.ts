/**
 * WeChat over HTTPS (api.weixin.qq.com), for an environment without cloud
 * call: the AppID, WECHAT_APP_SECRET from the function's environment, and
 * the environment's one access token (./token.ts). The same requests as the
 * cloud calls, in WeChat's snake_case, answered in the same shapes, so that
 * one table (src/outbox/deliver.ts) reads both.
 *
 * A token WeChat refuses (40001, 40014, 42001) is expired if it is still the
 * shared one, a new one is had, and the call is made once more. The secret
 * never leaves the stable_token request: no reply, error or log line
 * carries it.
 */
import { msgidText, type AccountTemplate, type Database, type SubscribeMessageRequest } from '../cloud'
import type { Timing } from '../timing'
import type { SendOutcome, WechatApi } from './contract'
import { TOKEN_REFUSALS } from './contract'
import { NoAnswer, callWechat, type WechatReply, type WechatRequest } from './https'
import { AccessTokens, TokenUnavailable, type FetchedToken } from './token'
import { appid as builtAppid } from '../../project.config.json'

export interface Credentials {
  appid: string
  secret: string | undefined
}

/** The AppID from WECHAT_APP_ID when set, else project.config.json's (inlined by the build); the secret from WECHAT_APP_SECRET. */
export function credentials(env: Record<string, string | undefined>): Credentials {
  return { appid: env.WECHAT_APP_ID || builtAppid, secret: env.WECHAT_APP_SECRET || undefined }
}

export interface HttpsDeps {
  db: () => Database
  credentials: Credentials
  timing: Pick<Timing, 'wechatTimeoutMs' | 'sdkTimeoutMs' | 'writeMs' | 'clockSkewMs'>
  call?: (request: WechatRequest) => Promise<WechatReply>
  clock?: () => number
}

const SEND = '/cgi-bin/message/subscribe/send'
const TEMPLATES = '/wxaapi/newtmpl/gettemplate'

export function httpsApi(deps: HttpsDeps): WechatApi & { accessToken: AccessTokens } {
  const call = deps.call ?? callWechat
  const clock = deps.clock ?? Date.now
  const { appid, secret } = deps.credentials
  const { timing } = deps
  /** Any text that might echo the secret, with it hidden. */
  const scrub = (text: unknown) => (secret ? String(text).split(secret).join('…') : String(text))

  const fetchToken = async (force: boolean, timeoutMs: number): Promise<FetchedToken> => {
    if (!secret) throw new TokenUnavailable('WECHAT_APP_SECRET is not set in the function’s environment (wechat.transport is https)', null)
    let reply: WechatReply
    try {
      const body = { grant_type: 'client_credential', appid, secret, force_refresh: force }
      reply = await within(call({ method: 'POST', path: '/cgi-bin/stable_token', body, timeoutMs }), timeoutMs)
    } catch (error) {
      throw new TokenUnavailable(`stable_token: ${scrub(messageOf(error))}`, null)
    }
    const { access_token: token, expires_in: expiresIn } = reply
    if (typeof token === 'string' && token !== '' && typeof expiresIn === 'number') return { token, expiresInMs: expiresIn * 1000 }
    throw new TokenUnavailable(`stable_token: errcode ${reply.errcode} ${scrub(reply.errmsg ?? '')}`, typeof reply.errcode === 'number' ? reply.errcode : null)
  }

  let tokens: AccessTokens | undefined
  // Made at first use: choosing the transport opens nothing.
  const store = () =>
    (tokens ??= new AccessTokens({
      db: deps.db(),
      appid,
      fetch: fetchToken,
      fetchTimeoutMs: timing.wechatTimeoutMs,
      leaseMs: timing.wechatTimeoutMs + timing.writeMs + timing.clockSkewMs,
      skewMs: timing.clockSkewMs,
      clock,
    }))

  /** WeChat refused `token`: expired in the document if still the shared one. False when that could not be written by `deadline`. */
  const expire = (token: string, deadline: number) =>
    within(store().expire(token), deadline - clock()).then(
      () => true,
      () => false,
    )

  async function sendSubscribeMessage(request: SubscribeMessageRequest, timeoutMs: number): Promise<SendOutcome> {
    const deadline = clock() + timeoutMs
    // The token (its database reads and a fetch too) must be had while a third of the wait is left for the send.
    const tokenDeadline = deadline - timeoutMs / 3
    const body = {
      touser: request.touser,
      template_id: request.templateId,
      ...(request.page ? { page: request.page } : {}),
      data: request.data,
      ...(request.miniprogramState ? { miniprogram_state: request.miniprogramState } : {}),
      ...(request.lang ? { lang: request.lang } : {}),
    }
    for (let retried = false; ; retried = true) {
      let token: string
      try {
        token = await within(store().token(tokenDeadline), tokenDeadline - clock())
      } catch (error) {
        // Whatever kept the token away, the send was never asked.
        const errcode = error instanceof TokenUnavailable ? error.errcode : null
        return { kind: 'not_called', errcode, errmsg: `no access token: ${scrub(messageOf(error))}` }
      }
      let reply: WechatReply
      try {
        const left = deadline - clock()
        reply = await within(call({ method: 'POST', path: SEND, query: { access_token: token }, body, timeoutMs: left }), left)
      } catch (error) {
        // The request may have reached WeChat: unknown, as a cloud call without answer.
        return { kind: 'unknown', reason: messageOf(error) }
      }
      const errcode = reply.errcode ?? 0
      if (errcode === 0) return { kind: 'sent', msgid: msgidText(reply.msgid) }
      const refused: SendOutcome = { kind: 'refused', errcode, errmsg: String(reply.errmsg ?? '') }
      // A refused token: once more with a new one, while half the wait is left for both.
      if (!TOKEN_REFUSALS.includes(errcode) || retried || deadline - clock() < timeoutMs / 2 || !(await expire(token, tokenDeadline))) return refused
    }
  }

  async function getTemplateList(): Promise<AccountTemplate[]> {
    const deadline = clock() + timing.sdkTimeoutMs
    for (let retried = false; ; retried = true) {
      const token = await store().token(deadline)
      const reply = await within(call({ method: 'GET', path: TEMPLATES, query: { access_token: token }, timeoutMs: deadline - clock() }), deadline - clock())
      const errcode = reply.errcode ?? 0
      if (errcode === 0) return (reply.data as AccountTemplate[] | undefined) ?? []
      if (!TOKEN_REFUSALS.includes(errcode) || retried || !(await expire(token, deadline))) {
        throw Object.assign(new Error(`getTemplateList over HTTPS: errcode ${errcode} ${reply.errmsg ?? ''}`), { errCode: errcode, errMsg: reply.errmsg })
      }
    }
  }

  return {
    transport: 'https',
    sendSubscribeMessage,
    getTemplateList,
    get accessToken() {
      return store()
    },
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** The promise, or NoAnswer once `ms` have passed: https' own timeout counts only silence on the socket. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(`no answer within ${Math.round(ms)} ms`)), Math.max(1, ms))
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}
