/**
 * `POST /`: TencentCloud API 3.0, as @cloudbase/manager-node (and so
 * @cloudbase/cli) sends it once its endpoints are pointed at the emulator.
 * The service comes from the credential scope of the TC3-HMAC-SHA256
 * Authorization (`<secretId>/<date>/<service>/tc3_request`), the action from
 * X-TC-Action, the parameters from the JSON body. Any credentials are taken,
 * since the secret key that signed is not known here, but the request must be
 * well-formed and fresh, as the platform requires. Every reply is HTTP 200:
 * `{ Response: { …, RequestId } }`, or `{ Response: { Error: { Code, Message }, RequestId } }`.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { readBody, sendJson } from '../../http'
import type { Route } from '../../service'
import type { Stats } from '../../stats'
import { isPlainObject } from '../database/values'
import { ManagementError, invalidParameter, missingParameter, signatureExpired, signatureFailure, unsupportedAction } from './errors'
import type { Params } from './schemas'

export type ActionHandler = (params: Params) => Record<string, unknown>
/** Per service (`tcb`, `scf`), the actions served. */
export type ActionTable = Record<string, Record<string, ActionHandler>>

/** How far a request's timestamp may be from the server's clock, as the platform allows. */
const MAX_SKEW_S = 300

const AUTHORIZATION =
  /^TC3-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{4}-\d{2}-\d{2})\/([a-z0-9]+)\/tc3_request,\s*SignedHeaders=([a-z0-9;._-]+),\s*Signature=([0-9a-f]{64})$/

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** The service a request is for, once its signature's shape, scope and time are checked. */
function signedService(req: IncomingMessage, nowS: number): string {
  const authorization = header(req, 'authorization')
  if (!authorization) throw signatureFailure('the Authorization header is missing')
  const match = AUTHORIZATION.exec(authorization)
  if (!match) throw signatureFailure('the Authorization header is not "TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request, SignedHeaders=…, Signature=<hex>"')
  const [, , date, service, signedHeaders] = match
  const signed = signedHeaders!.split(';')
  if (!signed.includes('content-type') || !signed.includes('host')) throw signatureFailure('SignedHeaders must include content-type and host')
  const raw = header(req, 'x-tc-timestamp')
  if (raw === undefined || !/^\d+$/.test(raw)) throw signatureFailure('X-TC-Timestamp must be the request time in Unix seconds')
  const timestamp = Number(raw)
  if (Math.abs(nowS - timestamp) > MAX_SKEW_S) throw signatureExpired(timestamp, nowS)
  // The scope's date is the timestamp's UTC date: a signature over another day's key is not this request's.
  const timestampDate = new Date(timestamp * 1000).toISOString().slice(0, 10)
  if (date !== timestampDate) throw signatureFailure(`the credential's date ${date} is not the date of X-TC-Timestamp (${timestampDate})`)
  return service!
}

function paramsOf(body: Buffer): Params {
  if (body.length === 0) return {}
  let params: unknown
  try {
    params = JSON.parse(body.toString('utf8'))
  } catch {
    throw invalidParameter('the request body is not JSON: send the parameters as a JSON object (Content-Type: application/json)')
  }
  if (!isPlainObject(params)) throw invalidParameter('the request body must be a JSON object of parameters')
  return params
}

export function managementRoute(actions: ActionTable, stats: Stats, log: (line: string) => void): Route {
  return async (req, res) => {
    const requestId = randomUUID()
    const action = header(req, 'x-tc-action') ?? ''
    stats.countManagement(action || '(none)')
    let reply: Record<string, unknown>
    try {
      // Read whole before anything is answered, so that the connection can serve the next request.
      const body = await readBody(req)
      const service = signedService(req, Math.floor(Date.now() / 1000))
      if (!action) throw missingParameter('Action')
      const params = paramsOf(body)
      const handler = Object.hasOwn(actions, service) && Object.hasOwn(actions[service]!, action) ? actions[service]![action]! : undefined
      if (!handler) throw unsupportedAction(service, action)
      reply = handler(params)
    } catch (error) {
      if (!(error instanceof ManagementError)) {
        log(`internal error on management ${action}: ${(error as Error).stack}`)
        error = new ManagementError('InternalError', `the local emulator failed: ${(error as Error).message}`)
      }
      const { code, message } = error as ManagementError
      reply = { Error: { Code: code, Message: message } }
    }
    sendJson(res, 200, { Response: { ...reply, RequestId: requestId } })
  }
}
