import type { ServerResponse } from 'node:http'
import { HttpError, readJson, sendJson } from '../../http'
import type { FunctionDefinition } from '../../project'
import type { Route, RouteEntry } from '../../service'
import { isPlainObject } from '../database/values'
import { InvocationError, SOURCE_CHAIN, type Caller, type FunctionsRuntime } from './runtime'
import { nextFireTime, runTimer } from './timers'

const OPENID = /^[A-Za-z0-9_-]{1,64}$/

function parseUser(user: unknown): { openid: string; unionid?: string } | undefined {
  if (user === undefined || user === null) return undefined
  if (!isPlainObject(user)) throw new HttpError(400, '"user" must be an object { openid, unionid? }')
  const { openid, unionid } = user
  if (typeof openid !== 'string' || !OPENID.test(openid)) throw new HttpError(400, '"user.openid" must be 1 to 64 letters, digits, "_" or "-"')
  if (unionid !== undefined && (typeof unionid !== 'string' || !OPENID.test(unionid))) {
    throw new HttpError(400, '"user.unionid" must be 1 to 64 letters, digits, "_" or "-"')
  }
  return { openid, unionid: unionid as string | undefined }
}

/** Sources of a call from the mini-program itself: the platform adds userInfo to their event. */
const CLIENT_SOURCES = new Set(['wx_client', 'wx_devtools', 'wx_localdebug'])

function parseSource(source: unknown): string | undefined {
  if (source === undefined) return undefined
  if (typeof source !== 'string' || !SOURCE_CHAIN.test(source)) {
    throw new HttpError(400, '"source" must be a SOURCE such as wx_http, or a comma chain such as wx_client,scf: lower-case letters and "_"')
  }
  return source
}

const isClientCall = (source: string) => source.split(',').some((name) => CLIENT_SOURCES.has(name))

function failure(res: ServerResponse, error: unknown, api: string): void {
  if (!(error instanceof InvocationError)) throw error
  sendJson(res, error.errCode === -501000 ? 404 : 500, {
    errCode: error.errCode,
    errMsg: `${api}:fail ${error.errCode} ${error.message}`,
    requestID: error.requestId,
  })
}

/**
 * A function as the control API lists it. A refused timer is listed too, with its `error`
 * (the rule it breaks) and no next time; a valid one with the next time its cron fires.
 */
function listed(definition: FunctionDefinition) {
  const { timer } = definition
  const next = timer && timer.error === undefined ? nextFireTime(timer.cron, new Date()) : null
  return { name: definition.name, timer: timer ? { ...timer, ...(timer.error === undefined ? { next: next?.toISOString() ?? null } : {}) } : null, timeoutMs: definition.timeoutMs }
}

/**
 * The control API's function routes: a call as `wx.cloud.callFunction` makes
 * it (with a user) or as a server makes it (without), and a timer run.
 */
export function functionRoutes(runtime: FunctionsRuntime, onUser: (openid: string) => void, timersOn: boolean): RouteEntry[] {
  const call: Route = async (req, res, [name]) => {
    const body = await readJson(req)
    if (!isPlainObject(body)) throw new HttpError(400, 'the body must be an object { data, user?, source? }')
    const user = parseUser(body.user)
    const source = parseSource(body.source) ?? (user ? 'wx_client' : 'scf')
    const data = body.data
    let event: unknown = data ?? {}
    const caller: Caller = { source, ...user }
    if (user) onUser(user.openid)
    if (user && isClientCall(source)) {
      // The platform adds userInfo to the event of a mini-program call only.
      const userInfo = { appId: runtime.project.appid, openId: user.openid }
      event = isPlainObject(data) ? { ...data, userInfo } : data === undefined ? { userInfo } : data
    }
    try {
      const { result, requestId } = await runtime.invoke(name!, event, caller)
      sendJson(res, 200, { result, requestID: requestId, errMsg: 'cloud.callFunction:ok' })
    } catch (error) {
      failure(res, error, 'cloud.callFunction')
    }
  }

  const trigger: Route = async (req, res, [name]) => {
    const body = await readJson(req)
    if (!isPlainObject(body)) throw new HttpError(400, 'the body must be an object { time? }')
    const definition = runtime.project.functions.get(name!)
    if (!definition) throw new HttpError(404, `function ${name} not found`)
    const timer = definition.timer
    if (!timer) throw new HttpError(400, `function ${name} has no timer trigger (in its config.json or cloudbaserc.json)`)
    // Refused as the platform refuses its upload: it never runs, not even on demand.
    if (timer.error !== undefined) throw new HttpError(409, `function ${name}: timer trigger ${timer.name} "${timer.cron}" was refused, so it never fires: ${timer.error}`)
    const time = body.time === undefined ? new Date() : new Date(String(body.time))
    if (Number.isNaN(time.getTime())) throw new HttpError(400, '"time" must be an ISO 8601 date')
    try {
      // With --time-travel the run's clock starts at `time`; otherwise `time` is only the event's.
      const { result } = await runTimer(runtime, definition, time, { startsAt: time })
      sendJson(res, 200, { result })
    } catch (error) {
      failure(res, error, 'trigger')
    }
  }

  const logs: Route = async (_req, res, _params, url) => {
    sendJson(res, 200, {
      data: runtime.history.recent({
        function: url.searchParams.get('function') ?? undefined,
        requestId: url.searchParams.get('requestId') ?? undefined,
      }),
    })
  }

  const kill: Route = async (_req, res, [name]) => {
    if (!runtime.has(name!)) throw new HttpError(404, `function ${name} not found`)
    sendJson(res, 200, { killed: runtime.kill(name!) })
  }

  return [
    ['POST', /^\/_emulator\/functions\/([^/]+)\/call$/, call],
    ['POST', /^\/_emulator\/functions\/([^/]+)\/kill$/, kill],
    ['POST', /^\/_emulator\/functions\/([^/]+)\/trigger$/, trigger],
    ['GET', /^\/_emulator\/logs$/, logs],
    ['GET', /^\/_emulator\/invocations$/, async (_req, res) => sendJson(res, 200, { data: runtime.history.invocations() })],
    ['GET', /^\/_emulator\/functions$/, async (_req, res) => sendJson(res, 200, { timers: timersOn, data: [...runtime.project.functions.values()].map(listed) })],
  ]
}

/**
 * `functions.invokeFunction` from an SDK. Called from inside a function, the
 * callee inherits the caller's user and its SOURCE gains `,scf`, as on the platform,
 * and the caller's moved clock, so that a chain of calls shares one time.
 */
export async function invokeFromSdk(runtime: FunctionsRuntime, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const name = params.function_name
  if (typeof name !== 'string' || !name) return { code: 'INVALID_PARAM', message: 'function_name is required' }
  let event: unknown = {}
  const raw = params.request_data
  if (typeof raw === 'string' && raw !== '') {
    try {
      event = JSON.parse(raw)
    } catch {
      return { code: 'INVALID_PARAM', message: 'request_data is not JSON' }
    }
  }
  const parent = runtime.callerOf(params.wxCloudApiToken)
  const caller: Caller = parent
    ? {
        // A caller without a SOURCE (a message push with --push-source=) passes on none to chain to.
        source: parent.caller.source === undefined ? 'scf' : `${parent.caller.source},scf`,
        openid: parent.caller.openid,
        unionid: parent.caller.unionid,
        clockOffsetMs: parent.caller.clockOffsetMs,
      }
    : { source: 'scf' }
  try {
    const { result } = await runtime.invoke(name, event, caller)
    return { data: { response_data: JSON.stringify(result) } }
  } catch (error) {
    if (!(error instanceof InvocationError)) throw error
    const code = error.errCode === -501000 ? 'FUNCTIONS_REQUEST_FAIL' : 'FUNCTIONS_EXECUTE_FAIL'
    return { code, message: error.message }
  }
}
