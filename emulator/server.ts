import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { HttpError, readForm, readJson, sendBytes, sendJson } from './http'
import { loadProject, type ProjectDefinition } from './project'
import { Stats } from './stats'
import { DatabaseError } from './services/database/errors'
import { DatabaseGateway } from './services/database/gateway'
import { databaseActions } from './services/database/router'
import { loadDeclarations } from './services/database/schema'
import { Store } from './services/database/store'
import { FunctionsRuntime, SOURCE_CHAIN } from './services/functions/runtime'
import { TimerScheduler } from './services/functions/timers'
import { functionRoutes, invokeFromSdk } from './services/functions/router'
import { OpenApiRouter } from './services/openapi/router'
import type { WechatEvent } from './services/wechat/events'
import { Faults } from './services/wechat/faults'
import { WechatGateway } from './services/wechat/gateway'
import { templateManagement } from './services/wechat/management'
import { loadRegistry } from './services/wechat/registry'
import { wechatRoutes, type EventRecord } from './services/wechat/router'
import { WechatStore } from './services/wechat/store'

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
  envId?: string
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

type Route = (req: IncomingMessage, res: ServerResponse, params: string[], url: URL) => Promise<void>

const MAX_TIMEOUT_MS = 900_000

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

/** Starts the offline CloudBase: `/admin` for the SDKs, `/_emulator/*` for tools and tests. */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const log = options.log ?? (() => {})
  const project = loadProject(options.projectDir, { envId: options.envId })
  applyFunctionOverrides(project, options)
  const pushSource = options.pushSource ?? 'wx_unknown'
  if (pushSource !== '' && !SOURCE_CHAIN.test(pushSource)) throw new Error(`--push-source ${pushSource} is not a SOURCE`)
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true })
  const store = new Store(options.dataDir ? join(options.dataDir, 'cloudbase.sqlite') : ':memory:')
  const stats = new Stats()
  const now = () => Date.now()
  const gateway = new DatabaseGateway(store, stats, now)
  gateway.applyDeclarations(loadDeclarations(options.schemaDir ?? join(project.root, 'db')))
  const database = databaseActions(gateway, now)

  let url = ''
  const runtime = new FunctionsRuntime({
    project,
    workerScript: options.workerScript,
    adminUrl: () => `${url}/admin`,
    maxInstancesPerFunction: options.maxInstancesPerFunction ?? 10,
    timeTravel: options.timeTravel,
    onLog: (entry) => log(`[${entry.function} ${entry.requestId.slice(0, 8)}] ${entry.level}: ${entry.message}`),
  })
  const openapi = new OpenApiRouter((token) => {
    const found = runtime.callerOf(token)
    if (!found) return undefined
    return { ...found, openapi: project.functions.get(found.function)?.openapi ?? [] }
  })
  const timers = new TimerScheduler(runtime, log)

  // WeChat's side: quota, rules, messages, faults and the events it pushes.
  const events: EventRecord[] = []
  const pushEvent = (event: WechatEvent) => {
    const receiver = project.messagePushReceiver ?? null
    const record: EventRecord = { event, receiver, outcome: receiver ? 'pending' : 'no receiver' }
    events.push(record)
    if (!receiver) return
    // As the platform delivers a push: the context names the user the event is about (and the
    // app); the event is WeChat's own, without the userInfo of a mini-program call.
    runtime.invoke(receiver, event, { source: pushSource || undefined, openid: event.FromUserName }).then(
      () => (record.outcome = 'delivered'),
      (error: Error) => {
        record.outcome = 'failed'
        record.error = error.message
        log(`message push to ${receiver} failed: ${error.message.split('\n')[0]}`)
      },
    )
  }
  const wechatStore = new WechatStore(store.connection)
  const faults = new Faults()
  const wechat = new WechatGateway(wechatStore, faults, { appJsonPath: project.appJsonPath, appid: project.appid, emit: pushEvent })
  wechat.installRegistry(loadRegistry(project.templatesPath))
  const management = templateManagement(wechatStore)
  for (const [api, handler] of Object.entries(management)) openapi.register(api, (data) => handler(data))
  openapi.register('subscribeMessage.send', (data) => wechat.send(data))

  const admin: Route = async (req, res) => {
    const requestId = randomUUID()
    const isForm = (req.headers['content-type'] ?? '').startsWith('multipart/form-data')
    const params = isForm ? formParams(await readForm(req)) : ((await readJson(req)) as Record<string, unknown>)
    const action = String(params.action ?? '')
    stats.countRequest(action)
    const envName = params.envName
    if (typeof envName === 'string' && envName !== '' && envName !== project.envId) {
      return sendJson(res, 200, { code: 'INVALID_ENV', message: `env ${envName} is not ${project.envId}`, requestId })
    }
    if (action === 'wx.openApi') {
      const reply = await openapi.handle(params)
      if (reply.kind === 'protobuf') return sendBytes(res, 200, reply.body, 'application/octet-stream')
      return sendJson(res, 200, { code: reply.code, message: reply.message, requestId })
    }
    if (action === 'functions.invokeFunction') {
      return sendJson(res, 200, { ...(await invokeFromSdk(runtime, params)), requestId })
    }
    const handler = database[action]
    if (!handler) {
      return sendJson(res, 200, { code: 'INVALID_ACTION', message: `action ${action} is not served by the local emulator`, requestId })
    }
    try {
      sendJson(res, 200, { ...handler(params), requestId })
    } catch (error) {
      if (!(error instanceof DatabaseError)) throw error
      sendJson(res, 200, { code: error.code, message: error.message, requestId })
    }
  }

  const controlStats: Route = async (req, res) => {
    if (req.method === 'DELETE') stats.reset()
    sendJson(res, 200, { ...stats.snapshot(), instances: runtime.instanceCounts(), memory: { rss: process.memoryUsage().rss } })
  }

  const dbBrowse: Route = async (_req, res, [collection], url) => {
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 1000)
    const offset = Math.max(Number(url.searchParams.get('offset') ?? 0) || 0, 0)
    if (!store.hasCollection(collection!)) throw new HttpError(404, `collection ${collection} does not exist`)
    const data = []
    let index = 0
    for (const { doc } of store.scan(collection!)) {
      if (index++ < offset) continue
      if (data.length >= limit) break
      data.push(doc)
    }
    sendJson(res, 200, { data })
  }

  const routes: Array<[string, RegExp, Route]> = [
    ['POST', /^\/admin$/, admin],
    ...functionRoutes(runtime, (openid) => wechat.meetUser(openid)),
    ...wechatRoutes(wechat, faults, management, events),
    ['GET', /^\/_emulator\/db\/([^/]+)$/, dbBrowse],
    ['GET', /^\/_emulator\/stats$/, controlStats],
    ['DELETE', /^\/_emulator\/stats$/, controlStats],
    ['GET', /^\/_emulator\/health$/, async (_req, res) => sendJson(res, 200, { ok: true, envId: project.envId })],
  ]

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const match = routes.find(([method, pattern]) => method === req.method && pattern.test(url.pathname))
    try {
      if (!match) throw new HttpError(404, `no route for ${req.method} ${url.pathname}`)
      const params = (url.pathname.match(match[1]) ?? []).slice(1).map(decodeURIComponent)
      await match[2](req, res, params, url)
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500
      if (status === 500) log(`internal error on ${req.method} ${url.pathname}: ${(error as Error).stack}`)
      if (!res.headersSent) sendJson(res, status, { error: (error as Error).message })
      else res.end()
    }
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '127.0.0.1', resolve)
  })
  const address = server.address() as AddressInfo
  url = `http://${options.host ?? '127.0.0.1'}:${address.port}`
  if (options.timers) timers.start()

  return {
    url,
    project,
    async close() {
      timers.stop()
      await runtime.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      store.close()
    },
  }
}

