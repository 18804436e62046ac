/**
 * WeChat's server API over HTTPS (https://api.weixin.qq.com), for the path
 * without cloud call: one JSON request, its JSON reply, or what went wrong
 * in words. Node's own https module, so that the platform (and the local
 * emulator, which routes this host to itself inside a function's instance)
 * sees an ordinary HTTPS request.
 */
import https from 'node:https'

export const WECHAT_API = 'https://api.weixin.qq.com'

/** WeChat's reply: `errcode` absent or 0 on success (jscode2session's success may carry none). */
export type WechatReply = Record<string, unknown> & { errcode?: number; errmsg?: string }

/**
 * No reply that says what WeChat did: the connection failed, the wait ran out,
 * or the body was not JSON. For a send, the message may or may not have gone out.
 */
export class NoAnswer extends Error {}

export interface WechatRequest {
  method: 'GET' | 'POST'
  /** `/sns/jscode2session`, `/cgi-bin/stable_token`, … */
  path: string
  query?: Record<string, string>
  body?: unknown
  timeoutMs: number
}

/** Query values that must never appear in an error message or a log line. */
const SECRET_QUERY = new Set(['secret', 'access_token', 'js_code'])

/** The request's address with its secrets hidden, for messages. */
export function describeRequest(request: Pick<WechatRequest, 'method' | 'path' | 'query'>): string {
  const query = Object.entries(request.query ?? {}).map(([key, value]) => `${key}=${SECRET_QUERY.has(key) ? '…' : value}`)
  return `${request.method} ${request.path}${query.length ? `?${query.join('&')}` : ''}`
}

export function callWechat(request: WechatRequest): Promise<WechatReply> {
  const url = new URL(request.path, WECHAT_API)
  for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value)
  const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body))
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new NoAnswer(`${describeRequest(request)}: ${why}`))
    const req = https.request(
      url,
      {
        method: request.method,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
        timeout: request.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', (error) => fail(error.message))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          try {
            const reply = JSON.parse(bigIntegersAsText(text)) as unknown
            if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) return fail(`HTTP ${res.statusCode}, not a JSON object`)
            resolve(reply as WechatReply)
          } catch {
            fail(`HTTP ${res.statusCode}, not JSON`)
          }
        })
      },
    )
    // A wait that runs out says nothing of what WeChat did.
    req.on('timeout', () => req.destroy(new Error(`no answer within ${request.timeoutMs} ms`)))
    req.on('error', (error) => fail(error.message))
    req.end(payload)
  })
}

/**
 * The JSON text with every integer too long for a number written as a
 * string: WeChat writes a msgid as a bare 19-digit number, which
 * JSON.parse would round (wx-server-sdk reads it as a BigNumber instead).
 */
export function bigIntegersAsText(json: string): string {
  // Strings are matched whole first, so that digits inside them are never touched.
  return json.replace(/("(?:[^"\\]|\\.)*")|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (token, string: string | undefined) =>
    string === undefined && /^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token)) ? `"${token}"` : token,
  )
}
