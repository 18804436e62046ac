import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * What the emulator learns from a WeChat cloud project on disk: where its
 * functions live (`project.config.json` → `cloudfunctionRoot`), each
 * function's `config.json` (openapi permissions, timer trigger) and its
 * deploy settings (`cloudbaserc.json` → timeout). Nothing here is specific
 * to one project, so any WeChat cloud project can be served.
 */
export interface TimerTrigger {
  name: string
  /** 7 fields: second minute hour day month weekday year, evaluated in UTC+8. */
  cron: string
}

export interface FunctionDefinition {
  name: string
  dir: string
  bundle: string
  openapi: string[]
  timer?: TimerTrigger
  timeoutMs: number
  /** The function's environment variables from the deploy configuration (`envVariables`). */
  envVariables: Record<string, string>
  /** MB, as the function's context reports it (256 when not deployed with another). */
  memorySize?: number
}

export interface ProjectDefinition {
  root: string
  appid: string
  envId: string
  functionsRoot: string
  functions: Map<string, FunctionDefinition>
  /** The template registry file (`templates.json` unless emulator.config.json says otherwise). */
  templatesPath: string
  /** The mini-program's app.json, whose pages a message may link to. */
  appJsonPath: string
  /** The function WeChat pushes subscription events to, if any. */
  messagePushReceiver?: string
  /** Which of the project's collections the console's Ledger and Queue panels read. */
  console: ConsoleConfig
  /** HTTP access paths the deploy configuration gives functions (cloudbaserc.json `path`, as manager-node's `func.path`). */
  accessPaths: Array<{ path: string; name: string }>
}

/**
 * `emulator.config.json` → `console`: the collections that hold the project's
 * own view of WeChat's quota (documents with `openid`, `templateId`,
 * `available`, and `kind`, `status`, `uncertain` when kept) and its outgoing
 * messages (`touser`, `templateId`, `status`, `sendAt`, `tries`), and how to
 * cancel a queued message: the function to call as a server and its data,
 * where `"{_id}"` stands for the message's id.
 */
export interface ConsoleConfig {
  ledger?: string
  queue?: string
  campaigns?: string
  cancel?: { function: string; data: Record<string, unknown> }
}

/**
 * Optional `emulator.config.json` at the project root:
 *   { "templates": "templates.json", "messagePushReceiver": "<function name>" }
 */
interface EmulatorConfig {
  templates?: string
  messagePushReceiver?: string
  console?: ConsoleConfig
}

const DEFAULT_TIMEOUT_S = 3
const MAX_TIMEOUT_S = 900

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`)
  }
}

function parseFunctionConfig(path: string): { openapi: string[]; timer?: TimerTrigger } {
  const config = readJson(path) ?? {}
  const permissions = (config.permissions ?? {}) as Record<string, unknown>
  const openapi = Array.isArray(permissions.openapi) ? permissions.openapi.filter((x): x is string => typeof x === 'string') : []
  const triggers = Array.isArray(config.triggers) ? (config.triggers as Array<Record<string, unknown>>) : []
  const timers = triggers.filter((t) => t?.type === 'timer')
  if (timers.length > 1) throw new Error(`${path}: a function has at most one trigger`)
  const timer = timers[0]
  if (!timer) return { openapi }
  const name = timer.name
  const cron = timer.config
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,59}$/.test(name)) {
    throw new Error(`${path}: a trigger name starts with a letter and has at most 60 characters`)
  }
  if (typeof cron !== 'string' || cron.trim().split(/\s+/).length !== 7) {
    throw new Error(`${path}: a timer's config is a 7-field cron expression`)
  }
  return { openapi, timer: { name, cron: cron.trim() } }
}

interface DeploySettings {
  /** Seconds. */
  timeout?: number
  envVariables: Record<string, string>
  /** The HTTP access path, such as `/login`. */
  path?: string
}

/** Per-function settings from the deploy configuration: timeout, environment variables and HTTP access path. */
function deploySettings(root: string): Map<string, DeploySettings> {
  const rc = readJson(join(root, 'cloudbaserc.json'))
  const out = new Map<string, DeploySettings>()
  const functions = Array.isArray(rc?.functions) ? (rc!.functions as Array<Record<string, unknown>>) : []
  for (const fn of functions) {
    if (typeof fn?.name !== 'string') continue
    const variables = (fn.envVariables ?? {}) as Record<string, unknown>
    out.set(fn.name, {
      timeout: typeof fn.timeout === 'number' ? fn.timeout : undefined,
      envVariables: Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)])),
      path: typeof fn.path === 'string' && fn.path !== '' ? fn.path : undefined,
    })
  }
  return out
}

/**
 * `empty`: the project's functions are left out (a deploy brings them), and names of
 * functions in emulator.config.json are taken as they are, for functions yet to come.
 */
export function loadProject(rootDir: string, overrides: { envId?: string; empty?: boolean } = {}): ProjectDefinition {
  const root = resolve(rootDir)
  const projectConfig = readJson(join(root, 'project.config.json'))
  if (!projectConfig) throw new Error(`${root} has no project.config.json`)
  const functionsRoot = resolve(root, String(projectConfig.cloudfunctionRoot ?? 'cloudfunctions'))
  const rc = readJson(join(root, 'cloudbaserc.json'))
  const envId = overrides.envId ?? (typeof rc?.envId === 'string' && rc.envId ? rc.envId : 'local')
  const appid = typeof projectConfig.appid === 'string' ? projectConfig.appid : 'wx0000000000000000'
  const deploy = deploySettings(root)
  const functions = new Map<string, FunctionDefinition>()
  if (!overrides.empty && existsSync(functionsRoot)) {
    for (const name of readdirSync(functionsRoot).sort()) {
      const dir = join(functionsRoot, name)
      if (!statSync(dir).isDirectory()) continue
      if (!existsSync(join(dir, 'package.json')) && !existsSync(join(dir, 'index.js'))) continue
      const { openapi, timer } = parseFunctionConfig(join(dir, 'config.json'))
      const settings = deploy.get(name)
      const timeoutS = Math.min(settings?.timeout ?? DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S)
      functions.set(name, {
        name,
        dir,
        bundle: join(dir, 'index.js'),
        openapi,
        timer,
        timeoutMs: timeoutS * 1000,
        envVariables: settings?.envVariables ?? {},
      })
    }
  }
  const emulatorConfig = (readJson(join(root, 'emulator.config.json')) ?? {}) as EmulatorConfig
  const receiver = emulatorConfig.messagePushReceiver
  if (receiver !== undefined && !overrides.empty && !functions.has(receiver)) {
    throw new Error(`emulator.config.json: messagePushReceiver ${receiver} is not a function of ${functionsRoot}`)
  }
  return {
    root,
    appid,
    envId,
    functionsRoot,
    functions,
    templatesPath: resolve(root, emulatorConfig.templates ?? 'templates.json'),
    appJsonPath: resolve(root, String(projectConfig.miniprogramRoot ?? 'miniprogram'), 'app.json'),
    messagePushReceiver: receiver,
    console: consoleConfig(emulatorConfig.console, overrides.empty ? undefined : functions),
    accessPaths: [...deploy].flatMap(([name, settings]) => (settings.path ? [{ path: settings.path, name }] : [])),
  }
}

/** `functions`: the functions a name must be one of; undefined takes any name. */
function consoleConfig(raw: unknown, functions: Map<string, FunctionDefinition> | undefined): ConsoleConfig {
  if (raw === undefined) return {}
  const fail = (why: string): never => {
    throw new Error(`emulator.config.json: console.${why}`)
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail(' must be an object')
  const config = raw as Record<string, unknown>
  for (const key of ['ledger', 'queue', 'campaigns']) {
    if (config[key] !== undefined && (typeof config[key] !== 'string' || config[key] === '')) fail(`${key} must name a collection`)
  }
  const cancel = config.cancel as { function?: unknown; data?: unknown } | undefined
  if (cancel !== undefined) {
    if (typeof cancel?.function !== 'string' || (functions && !functions.has(cancel.function))) fail('cancel.function must name a function of the project')
    if (!cancel.data || typeof cancel.data !== 'object' || Array.isArray(cancel.data)) fail('cancel.data must be an object')
  }
  return config as ConsoleConfig
}
