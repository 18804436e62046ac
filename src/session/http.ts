/**
 * CloudBase HTTP access: the function is invoked with the HTTP request as its
 * event (an integration request: path, httpMethod, headers,
 * queryStringParameters, body, isBase64Encoded) and answers
 * `{ statusCode, headers, body }`. Here: telling such a call apart, reading
 * its JSON body as the function's event, who its session says it is, and
 * shaping a reply. Who may then do what is the door's (src/door.ts).
 */
import { verifySession } from './token'

export interface HttpRequest {
  httpMethod: string
  path: string
  headers: Record<string, unknown>
  body: unknown
  isBase64Encoded: boolean
}

export interface HttpResponse {
  statusCode: number
  headers: Record<string, string>
  body: string
}

/**
 * The integration request a call over HTTP access carries, or undefined for
 * any other call. Only a call whose SOURCE says HTTP access counts: an event
 * of that shape from a mini-program's callFunction is just its data.
 */
export function integrationRequest(source: string, event: unknown): HttpRequest | undefined {
  if (!source.split(',').some((part) => part.trim() === 'wx_http')) return undefined
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return undefined
  const { httpMethod, path, headers, body, isBase64Encoded } = event as Record<string, unknown>
  if (typeof httpMethod !== 'string' || typeof path !== 'string') return undefined
  return {
    httpMethod: httpMethod.toUpperCase(),
    path,
    headers: headers !== null && typeof headers === 'object' ? (headers as Record<string, unknown>) : {},
    body,
    isBase64Encoded: isBase64Encoded === true,
  }
}

/** The event a request's JSON body carries: a POST of one JSON object, or nothing for an empty body. */
export function eventOf(request: HttpRequest): { ok: true; event: Record<string, unknown> } | { ok: false; status: number; message: string } {
  if (request.httpMethod !== 'POST') return { ok: false, status: 405, message: `${request.httpMethod} is not answered: POST a JSON object` }
  if (request.body === undefined || request.body === null || request.body === '') return { ok: true, event: {} }
  if (typeof request.body !== 'string') return { ok: false, status: 400, message: 'the body is not text' }
  const text = request.isBase64Encoded ? Buffer.from(request.body, 'base64').toString('utf8') : request.body
  let event: unknown
  try {
    event = JSON.parse(text)
  } catch {
    return { ok: false, status: 400, message: 'the body is not JSON' }
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return { ok: false, status: 400, message: 'the body is not a JSON object' }
  return { ok: true, event: event as Record<string, unknown> }
}

export type HttpIdentity =
  /** A valid session: that user. */
  | { kind: 'session'; openid: string }
  /** No Authorization header: no one, who may only log in. */
  | { kind: 'anonymous' }
  /** A session that does not hold (malformed, altered, another key's, expired), or a header that is no Bearer session. */
  | { kind: 'refused'; message: string }
  /** A session presented, but no key to check it with. */
  | { kind: 'unconfigured' }

const header = (request: HttpRequest, name: string): unknown => Object.entries(request.headers).find(([key]) => key.toLowerCase() === name)?.[1]

/** Who a request's `Authorization: Bearer <session>` says it is, checked with `key`. */
export function identifyHttp(request: HttpRequest, key: string | undefined, now: number): HttpIdentity {
  const authorization = header(request, 'authorization')
  if (authorization === undefined || authorization === null || authorization === '') return { kind: 'anonymous' }
  // Anything else that is not one Bearer session (a list, another scheme) is refused, never taken for no header.
  const bearer = typeof authorization === 'string' ? /^Bearer (\S+)$/i.exec(authorization.trim()) : null
  if (!bearer) return { kind: 'refused', message: 'Authorization must be "Bearer <session>"' }
  if (!key) return { kind: 'unconfigured' }
  const verdict = verifySession(bearer[1]!, key, now)
  if (verdict.ok) return { kind: 'session', openid: verdict.openid }
  const why = { malformed: 'is not a session', signature: 'does not hold (altered, or signed with another key)', expired: 'has expired' }[verdict.why]
  return { kind: 'refused', message: `the session ${why}: log in again with a code from wx.login` }
}

/** HTTP statuses for the codes that have a natural one; any other reply, ok or not, is the function's answer: 200. */
const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  INVALID_ARGUMENT: 400,
  RATE_LIMITED: 429,
  NOT_CONFIGURED: 500,
  NOT_READY: 503,
}

/** The function's reply as HTTP access sends it: JSON, with a status for a refusal that has one. */
export function httpResponse(reply: unknown, status?: number): HttpResponse {
  const code = (reply as { ok?: unknown; code?: unknown } | null)?.code
  return {
    statusCode: status ?? (typeof code === 'string' ? (STATUS[code] ?? 200) : 200),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(reply),
  }
}
