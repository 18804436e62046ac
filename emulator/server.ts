import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { HttpError, localOnlyGuard, readForm, readJson, sendBytes, sendJson } from './http'
import { loadProject, type ProjectDefinition } from './project'
import type { AdminAction, Route, RouteEntry, Service } from './service'
import { CpuMeter } from './cpu'
import { Stats } from './stats'
import { createAccessService } from './services/access'
import { createConsoleService } from './services/console'
import { createDatabaseService } from './services/database'
import { Store } from './services/database/store'
import { createFunctionsService } from './services/functions'
import { createManagementService } from './services/management'
import { SOURCE_CHAIN } from './services/functions/runtime'
import { createOpenApiService } from './services/openapi'
import { createWechatService, type WechatService } from './services/wechat'

export interface EmulatorOptions {
  projectDir: string
  port: number
  host?: string
  /** Folder for the database file; undefined keeps everything in memory. */
  dataDir?: string
  /** Folder of collection declarations; defaults to `<project>/db`. */
  schemaDir?: string
  timers: boolean
  maxInstancesPerFunction?: number
  /** Environment variables set on functions, over their deploy configuration's. */
  functionEnv?: Record<string, Record<string, string>>
  /** Timeouts in ms set on functions, over their deploy configuration's (at most 900 s). */
  functionTimeouts?: Record<string, number>
  /** Lets a trigger's `time` move the clock of the run it starts, and of the calls that run makes. */
  timeTravel?: boolean
  /**
   * The SOURCE a message push carries: `wx_unknown` by default, as the platform does not
   * document it; an empty string sets none.
   */
  pushSource?: string
  /** The app's AppSecret for WeChat's HTTPS API; the AppID is the project's. "local-app-secret" by default. */
  appSecret?: string
  /**
   * An access token's lifetime in seconds, 7200 by default as on WeChat; the 300 s overlap and
   * renewal window (lifetime/24, at least 1 s) and the 30 s between force refreshes (lifetime/240)
   * scale with it, for tests.
   */
  tokenLifetimeS?: number
  envId?: string
  /**
   * Start as an empty environment: none of the project's functions, collections or indexes
   * (a deploy through the management API brings them); the WeChat side still comes from the
   * project. With a data folder, the functions deployed to it before are served again.
   */
  empty?: boolean
  /** The built worker script that hosts a function instance. */
  workerScript: string
  log?: (line: string) => void
}

export interface Emulator {
  url: string
  project: ProjectDefinition
  close(): Promise<void>
}

/** Form fields as text, but for the protobuf payload, which stays bytes. */
function formParams(fields: Record<string, Buffer>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, key === 'requestData' ? value : value.toString('utf8')]))
}

/** A path part as text; a malformed `%` escape is the caller's error. */
function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw new HttpError(400, `the path holds a malformed % escape: ${part}`)
  }
}

const MAX_TIMEOUT_MS = 900_000
/** The emulator's AppSecret unless one is given: any value works locally, as long as calls send the same. */
export const DEFAULT_APP_SECRET = 'local-app-secret'
/** WeChat's access token lifetime. */
export const DEFAULT_TOKEN_LIFETIME_S = 7200

/** The command line's settings for named functions, over the project's own. */
function applyFunctionOverrides(project: ProjectDefinition, options: EmulatorOptions): void {
  const functionOf = (option: string, name: string) => {
    const definition = project.functions.get(name)
    if (!definition) throw new Error(`${option} names ${name}, which is not a function of the project`)
    return definition
  }
  for (const [name, variables] of Object.entries(options.functionEnv ?? {})) {
    Object.assign(functionOf('--function-env', name).envVariables, variables)
  }
  for (const [name, timeoutMs] of Object.entries(options.functionTimeouts ?? {})) {
    const definition = functionOf('--function-timeout', name)
    if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) throw new Error(`--function-timeout for ${name} must be over 0 and at most 900 seconds`)
    definition.timeoutMs = timeoutMs
  }
}

/**
 * Starts the offline CloudBase: `/admin` for the SDKs, `/_emulator/*` for tools and tests,
 * WeChat's HTTPS paths (`/sns/…`, `/cgi-bin/…`, `/wxaapi/…`) for the functions' routed
 * requests, `/_http/*` for HTTP access, composed of its services.
 */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const log = options.log ?? (() => {})
  const project = loadProject(options.projectDir, { envId: options.envId, empty: options.empty })
  const pushSource = options.pushSource ?? 'wx_unknown'
  if (pushSource !== '' && !SOURCE_CHAIN.test(pushSource)) throw new Error(`--push-source ${pushSource} is not a SOURCE`)
  const appSecret = options.appSecret ?? DEFAULT_APP_SECRET
  if (appSecret === '') throw new Error('--app-secret must not be empty')
  const tokenLifetimeS = options.tokenLifetimeS ?? DEFAULT_TOKEN_LIFETIME_S
  const maxInstancesPerFunction = options.maxInstancesPerFunction ?? 10
  // At least 2 s, so that the overlap (at least 1 s) is shorter than a lifetime.
  if (!Number.isInteger(tokenLifetimeS) || tokenLifetimeS < 2 || tokenLifetimeS > DEFAULT_TOKEN_LIFETIME_S) throw new Error('--token-lifetime must be whole seconds from 2 to 7200')
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true })
  const store = new Store(options.dataDir ? join(options.dataDir, 'cloudbase.sqlite') : ':memory:')
  const stats = new Stats()
  let url = ''
  // Built once the port is known; no request arrives before.
  let guardLocalOnly = localOnlyGuard(0)

  const database = createDatabaseService({ store, stats, schemaDir: options.schemaDir ?? join(project.root, 'db'), declare: !options.empty, now: Date.now })
  let wechat: WechatService | undefined
  const functions = createFunctionsService({
    project,
    workerScript: options.workerScript,
    adminUrl: () => `${url}/admin`,
    maxInstancesPerFunction,
    timeTravel: options.timeTravel,
    timers: options.timers,
    onUser: (openid) => wechat!.gateway.meetUser(openid),
    onFrozen: (name) => stats.countFrozen(name),
    log,
  })
  const { runtime } = functions
  wechat = createWechatService({ connection: store.connection, project, invoke: runtime.invoke.bind(runtime), pushSource, appSecret, tokenLifetimeS, stats, log })
  const openapi = createOpenApiService({
    resolveCaller: (token) => {
      const found = runtime.callerOf(token)
      return found && { ...found, openapi: project.functions.get(found.function)?.openapi ?? [] }
    },
    apis: wechat.apis,
  })
  const access = createAccessService({ connection: store.connection, project, runtime, declare: !options.empty, now: Date.now, log })
  const localConsole = createConsoleService({ assetsDir: join(dirname(options.workerScript), 'console'), config: project.console })
  const management = createManagementService({
    project,
    store,
    database: database.gateway,
    access: access.gateway,
    runtime,
    syncTimers: functions.syncTimers,
    stats,
    dataDir: options.dataDir,
    restore: options.empty === true,
    now: Date.now,
    log,
  })
  // After the deployed functions are back, so that the command line may name them too.
  applyFunctionOverrides(project, options)
  const services: Service[] = [database, functions, wechat, openapi, access, localConsole, management]
  /** What each service serves and how it runs, for the console's overview. */
  const serviceStates = () => [
    { name: 'database', state: options.dataDir ? `file ${join(options.dataDir, 'cloudbase.sqlite')}` : 'in memory' },
    { name: 'functions', state: `${project.functions.size} functions, at most ${maxInstancesPerFunction} instances each` },
    { name: 'timers', state: options.timers ? (options.timeTravel ? 'on, time travel' : 'on') : 'off (--no-timers)' },
    { name: 'wechat', state: `appid ${project.appid}` },
    { name: 'openapi', state: 'cloud call' },
    { name: 'access', state: 'HTTP access at /_http' },
    { name: 'management', state: 'Tencent Cloud API at POST /' },
    { name: 'console', state: 'this page' },
  ]
  const actions: Record<string, AdminAction> = Object.assign({}, ...services.map((service) => service.actions))

  /** Invocations already told that their env is not served, each once per env id. */
  const warnedEnv = new Set<string>()
  const admin: Route = async (req, res) => {
    const requestId = randomUUID()
    const isForm = (req.headers['content-type'] ?? '').startsWith('multipart/form-data')
    const params = isForm ? formParams(await readForm(req)) : ((await readJson(req)) as Record<string, unknown>)
    const action = String(params.action ?? '')
    stats.countRequest(action)
    const envName = params.envName
    if (typeof envName === 'string' && envName !== '' && envName !== project.envId) {
      // The function's log says why at once: its cloud.init named an env this emulator does not serve.
      const from = runtime.callerOf(params.wxCloudApiToken)
      if (from && !warnedEnv.has(`${from.requestId} ${envName}`)) {
        if (warnedEnv.size > 1000) warnedEnv.clear()
        warnedEnv.add(`${from.requestId} ${envName}`)
        runtime.note(from.function, from.requestId, 'error', `cloud.init asked for env "${envName}", which this emulator does not serve: it serves "${project.envId}". Start it with --env ${envName} to serve that id, or call cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV }).`)
      }
      return sendJson(res, 200, { code: 'INVALID_ENV', message: `env ${envName} is not ${project.envId}`, requestId })
    }
    const handler = actions[action]
    if (!handler) return sendJson(res, 200, { code: 'INVALID_ACTION', message: `action ${action} is not served by the local emulator`, requestId })
    const reply = await handler(params)
    // Dropped without a word: the caller's request fails as on a reset connection.
    if ('reset' in reply) return void req.socket.destroy()
    if ('bytes' in reply) return sendBytes(res, 200, reply.bytes, reply.contentType)
    sendJson(res, 200, { ...reply.json, requestId })
  }

  const cpu = new CpuMeter(() => runtime.activeMs(), () => runtime.cpuMs())
  const controlStats: Route = async (req, res) => {
    if (req.method === 'DELETE') {
      stats.reset()
      cpu.reset()
    }
    sendJson(res, 200, { ...stats.snapshot(), cpu: cpu.snapshot(), instances: runtime.instanceCounts(), memory: { rss: process.memoryUsage().rss } })
  }

  const routes: RouteEntry[] = [
    ['POST', /^\/admin$/, admin],
    ...services.flatMap((service) => service.routes),
    ['GET', /^\/_emulator\/stats$/, controlStats],
    ['DELETE', /^\/_emulator\/stats$/, controlStats],
    ['GET', /^\/_emulator\/health$/, async (_req, res) => sendJson(res, 200, { ok: true, envId: project.envId, services: serviceStates() })],
    // Every route served, so that a test's list of the control routes is held against what runs.
    ['GET', /^\/_emulator\/routes$/, async (_req, res) => sendJson(res, 200, { data: routes.map(([method, pattern]) => ({ method, pattern: pattern.source })) })],
  ]

  const server = createServer(async (req, res) => {
    // No other site may frame the console: a framed page's clicks would carry its own Origin past the guard.
    res.setHeader('content-security-policy', "frame-ancestors 'none'")
    res.setHeader('x-frame-options', 'DENY')
    let path = req.url ?? '/'
    try {
      // A target no URL can be made of (`//[`) is the client's error, not the emulator's.
      const url = parseTarget(req.url)
      path = url.pathname
      const match = routes.find(([method, pattern]) => method === req.method && pattern.test(url.pathname))
      guardLocalOnly(req)
      if (!match) throw new HttpError(404, `no route for ${req.method} ${url.pathname}`)
      const params = (url.pathname.match(match[1]) ?? []).slice(1).map(decodePathPart)
      await match[2](req, res, params, url)
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500
      if (status === 500) log(`internal error on ${req.method} ${path}: ${(error as Error).stack}`)
      if (!res.headersSent) sendJson(res, status, { error: (error as Error).message })
      else res.end()
    }
  })
  // Longer than an idle instance lives (IDLE_RECYCLE_MS): a frozen instance's kept-alive connections are never closed under it.
  server.keepAliveTimeout = 5 * 60_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '127.0.0.1', resolve)
  })
  const address = server.address() as AddressInfo
  guardLocalOnly = localOnlyGuard(address.port)
  url = `http://${options.host ?? '127.0.0.1'}:${address.port}`
  for (const service of services) service.start?.()

  return {
    url,
    project,
    async close() {
      for (const service of services) await service.close?.()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      store.close()
    },
  }
}

function parseTarget(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://localhost')
  } catch {
    throw new HttpError(400, `not a request target: ${String(target).slice(0, 200)}`)
  }
}
