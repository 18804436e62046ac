/**
 * WeChat's HTTPS server API, as api.weixin.qq.com serves it: the login code's
 * exchange, the two token endpoints, and subscribeMessage.send, template
 * management and msgSecCheck with `?access_token=`. A function instance
 * reaches it through its routing (functions/hosts.ts), so at the emulator's
 * own address and Host. The APIs behind are the very handlers the cloud
 * call reaches: rules, quota and faults are the same whichever transport
 * arrives. Every answer is HTTP 200 with WeChat's JSON, as WeChat answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readBody } from '../../http'
import type { Route, RouteEntry } from '../../service'
import type { Stats } from '../../stats'
import { isPlainObject } from '../database/values'
import { replyJson } from '../openapi/router'
import {
  APPID_MISSING,
  APPSECRET_MISSING,
  CODE_MISSING,
  DATA_FORMAT_ERROR,
  EMPTY_POST_DATA,
  INVALID_APPID,
  INVALID_APPSECRET,
  INVALID_GRANT_TYPE,
  REQUIRE_GET,
  REQUIRE_POST,
  fail,
  type WechatReply,
} from './errors'
import type { LoginCodes } from './logins'
import type { TokenAuthority } from './tokens'

/** One WeChat API, by its cloud-call name, taking the cloud call's snake_case data. */
export type WechatApi = (data: Record<string, unknown>) => Promise<WechatReply | 'hang'> | WechatReply

export interface HttpsOptions {
  appid: string
  appSecret: string
  tokens: TokenAuthority
  logins: LoginCodes
  apis: Record<string, WechatApi>
  stats: Stats
}

type Answer = Record<string, unknown> | 'hang'
type Handler = (req: IncomingMessage, url: URL) => Promise<Answer>

/** WeChat's refusal, thrown from deep in a handler and answered as it stands. */
class Refusal extends Error {
  constructor(readonly reply: WechatReply) {
    super(reply.errmsg)
  }
}

const refuse = (errcode: number, errmsg: string): never => {
  throw new Refusal(fail(errcode, errmsg))
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '')

/** A POST's JSON object: 44002 for none, 47001 for one that is not a JSON object. */
async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req)
  if (raw.length === 0) refuse(EMPTY_POST_DATA, 'empty post data')
  let parsed: unknown
  try {
    parsed = JSON.parse(raw.toString('utf8'))
  } catch {
    parsed = undefined
  }
  return isPlainObject(parsed) ? parsed : refuse(DATA_FORMAT_ERROR, 'data format error')
}

/** The HTTPS bodies are camelCase where the cloud call, after its wrapper, hands over snake_case. */
const snakeKeys = (data: Record<string, unknown>) => Object.fromEntries(Object.entries(data).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]))

const queryData = (url: URL) => Object.fromEntries([...url.searchParams].filter(([key]) => key !== 'access_token'))

/** WeChat writes a msgid as a bare number, so the JSON is written as the cloud call writes it. */
function answer(res: ServerResponse, reply: Record<string, unknown>): void {
  const json = replyJson(reply)
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) })
  res.end(json)
}

export function httpsRoutes(options: HttpsOptions): RouteEntry[] {
  const { tokens, logins, apis, stats } = options

  /** The app's credentials, in WeChat's order of checks: the AppID first, then its secret. */
  const checkApp = (appid: string, secret: string) => {
    if (!appid) refuse(APPID_MISSING, 'appid missing')
    if (appid !== options.appid) refuse(INVALID_APPID, 'invalid appid')
    if (!secret) refuse(APPSECRET_MISSING, 'appsecret missing')
    if (secret !== options.appSecret) refuse(INVALID_APPSECRET, 'invalid appsecret')
  }

  /** A call with ?access_token= meets the token check before anything else: a refused token spends nothing. */
  const withToken = (url: URL) => {
    const refusal = tokens.check(url.searchParams.get('access_token'))
    if (refusal) throw new Refusal(refusal)
  }

  const api = (name: string, input: 'query' | 'body'): Handler => async (req, url) => {
    withToken(url)
    return apis[name]!(input === 'query' ? queryData(url) : snakeKeys(await jsonBody(req)))
  }

  const endpoints: Array<['GET' | 'POST', string, Handler]> = [
    [
      'GET',
      '/sns/jscode2session',
      async (_req, url) => {
        const query = url.searchParams
        checkApp(text(query.get('appid')), text(query.get('secret')))
        if (query.get('grant_type') !== 'authorization_code') refuse(INVALID_GRANT_TYPE, 'invalid grant_type')
        const code = query.get('js_code')
        return code ? { ...logins.exchange(code) } : refuse(CODE_MISSING, 'missing code')
      },
    ],
    [
      'POST',
      '/cgi-bin/stable_token',
      async (req) => {
        stats.countTokenFetch('stable_token')
        const body = await jsonBody(req)
        checkApp(text(body.appid), text(body.secret))
        if (body.grant_type !== 'client_credential') refuse(INVALID_GRANT_TYPE, 'invalid grant_type')
        return { ...tokens.stable(body.force_refresh === true) }
      },
    ],
    [
      'GET',
      '/cgi-bin/token',
      async (_req, url) => {
        stats.countTokenFetch('token')
        checkApp(text(url.searchParams.get('appid')), text(url.searchParams.get('secret')))
        if (url.searchParams.get('grant_type') !== 'client_credential') refuse(INVALID_GRANT_TYPE, 'invalid grant_type')
        return { ...tokens.token() }
      },
    ],
    [
      'POST',
      '/cgi-bin/message/subscribe/send',
      async (req, url) => {
        // Every request counts, whatever its outcome, as a cloud call's does.
        stats.countSend('https')
        withToken(url)
        // The body is the cloud call's, already snake_case (touser, template_id, miniprogram_state).
        return apis['subscribeMessage.send']!(await jsonBody(req))
      },
    ],
    ['GET', '/wxaapi/newtmpl/gettemplate', api('subscribeMessage.getTemplateList', 'query')],
    ['POST', '/wxaapi/newtmpl/addtemplate', api('subscribeMessage.addTemplate', 'body')],
    ['POST', '/wxaapi/newtmpl/deltemplate', api('subscribeMessage.deleteTemplate', 'body')],
    ['GET', '/wxaapi/newtmpl/getcategory', api('subscribeMessage.getCategory', 'query')],
    ['GET', '/wxaapi/newtmpl/getpubtemplatetitles', api('subscribeMessage.getPubTemplateTitleList', 'query')],
    ['GET', '/wxaapi/newtmpl/getpubtemplatekeywords', api('subscribeMessage.getPubTemplateKeyWordsById', 'query')],
    // Both versions at one path: the body's `version` tells them apart (security.ts).
    ['POST', '/wxa/msg_sec_check', api('security.msgSecCheck', 'body')],
  ]

  const serve =
    (handler: Handler): Route =>
    async (req, res, _params, url) => {
      let reply: Answer
      try {
        reply = await handler(req, url)
      } catch (error) {
        if (!(error instanceof Refusal)) throw error
        reply = error.reply
      }
      // A hang fault: never answered, so the caller's own timeout decides, as for a cloud call.
      if (reply === 'hang') return
      answer(res, reply)
    }

  return endpoints.flatMap(([method, path, handler]): RouteEntry[] => {
    const pattern = new RegExp(`^${path.replace(/\//g, '\\/')}$`)
    const wrongMethod = method === 'GET' ? fail(REQUIRE_GET, 'require GET method') : fail(REQUIRE_POST, 'require POST method')
    return [
      [method, pattern, serve(handler)],
      [method === 'GET' ? 'POST' : 'GET', pattern, serve(async () => wrongMethod)],
    ]
  })
}
