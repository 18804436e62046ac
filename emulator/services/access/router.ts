/**
 * `/_http/<path>`: CloudBase's HTTP access service at the emulator's address.
 * The request becomes the integration request event a function gets there,
 * the caller is `wx_http` with no user (anyone with the URL may call), and
 * the function's reply becomes the HTTP response as CloudBase turns it
 * ("使用 HTTP 访问云函数"): an integration response `{ statusCode, headers,
 * body, isBase64Encoded }` as it says; a string or a number as text/plain; any
 * other value as its JSON.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { HttpError, readBody, sendJson } from '../../http'
import type { Route, RouteEntry } from '../../service'
import { isPlainObject } from '../database/values'
import { ERR_FUNCTION_NOT_FOUND, InvocationError, type FunctionsRuntime } from '../functions/runtime'
import type { AccessGateway } from './gateway'

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']
const PREFIX = '/_http'

/** The body as text when it is UTF-8, else base64 (CloudBase encodes a binary body so). */
function eventBody(raw: Buffer): { body: string; isBase64Encoded: boolean } {
  try {
    return { body: new TextDecoder('utf-8', { fatal: true }).decode(raw), isBase64Encoded: false }
  } catch {
    return { body: raw.toString('base64'), isBase64Encoded: true }
  }
}

/** The integration request: `path` as the service's own domain would see it, below `/_http`. */
async function integrationRequest(req: IncomingMessage, url: URL, envId: string) {
  const headers = Object.fromEntries(Object.entries(req.headers).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : String(value ?? '')]))
  return {
    path: url.pathname.slice(PREFIX.length) || '/',
    httpMethod: req.method ?? 'GET',
    headers,
    queryStringParameters: Object.fromEntries(url.searchParams),
    ...eventBody(await readBody(req)),
    requestContext: { requestId: randomUUID(), envId },
  }
}

const isIntegrationResponse = (value: unknown): value is Record<string, unknown> & { statusCode: number } =>
  isPlainObject(value) && Number.isInteger(value.statusCode) && (value.statusCode as number) >= 100 && (value.statusCode as number) <= 599

function respond(res: ServerResponse, result: unknown): void {
  if (isIntegrationResponse(result)) {
    const headers = isPlainObject(result.headers) ? Object.fromEntries(Object.entries(result.headers).map(([key, value]) => [key, String(value)])) : {}
    const body = result.body === undefined || result.body === null ? '' : typeof result.body === 'string' ? result.body : JSON.stringify(result.body)
    const bytes = result.isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8')
    res.writeHead(result.statusCode, { ...headers, 'content-length': bytes.length })
    res.end(bytes)
    return
  }
  const text = typeof result === 'string' || typeof result === 'number'
  const bytes = Buffer.from(text ? String(result) : JSON.stringify(result ?? null), 'utf8')
  res.writeHead(200, { 'content-type': text ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', 'content-length': bytes.length })
  res.end(bytes)
}

export function accessRoutes(gateway: AccessGateway, runtime: FunctionsRuntime): RouteEntry[] {
  const serve: Route = async (req, res, _params, url) => {
    const path = url.pathname.slice(PREFIX.length) || '/'
    const bound = gateway.match(path)
    if (!bound) throw new HttpError(404, `no HTTP access path serves ${path}: bind one with "path" in cloudbaserc.json, or CreateCloudBaseGWAPI`)
    const event = await integrationRequest(req, url, runtime.project.envId)
    try {
      const { result } = await runtime.invoke(bound.name, event, { source: 'wx_http' })
      respond(res, result)
    } catch (error) {
      if (!(error instanceof InvocationError)) throw error
      // The gateway answers for a function that failed; a path bound to no function is not found.
      const status = error.errCode === ERR_FUNCTION_NOT_FOUND ? 404 : 502
      sendJson(res, status, { errCode: error.errCode, errMsg: error.message, requestID: error.requestId })
    }
  }
  return METHODS.map((method): RouteEntry => [method, /^\/_http(?:\/.*)?$/, serve])
}
