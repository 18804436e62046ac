import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { given, projectShape } from './project-shape'
import { declaredTimer, type DeclaredTriggers } from './project-triggers'
import { parseSecurityConfig, type SecurityConfig } from './services/wechat/security-config'

/**
 * What the emulator learns from a WeChat cloud project on disk: where its
 * functions live (`project.config.json` → `cloudfunctionRoot`, or what
 * project-shape.ts assumes without it), each function's `config.json`
 * (openapi permissions, timer trigger) and its deploy settings
 * (`cloudbaserc.json` → timeout, triggers). Nothing here is specific to one
 * project, so any WeChat cloud project can be served.
 */
export interface TimerTrigger {
  name: string
  /** 7 fields: second minute hour day month weekday year, evaluated in UTC+8. */
  cron: string
  /** The rule the trigger breaks, when the platform would refuse it: then it is listed, and never fires. */
  error?: string
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
  /** What start-up warns about: what was assumed for a missing file, and triggers refused alone. */
  warnings: string[]
  /** The words msgSecCheck holds as risky (emulator.config.json `security`). */
  security: SecurityConfig
}

/**
 * `emulator.config.json` → `console`: the collections that hold the project's
 * own view of WeChat's quota (documents with `openid`, `templateId`,
 * `available`, and `kind`, `status`, `uncertain` when kept) and its outgoing
 * messages (`touser`, `templateId`, `status`, `sendAt`, `tries`), its
 * campaigns, and the calls that cancel a queued message, report a campaign's
 * progress and stop one: each the function to call as a server and its data,
 * where `"{_id}"` stands for the document's id.
 */
export interface ConsoleConfig {
  ledger?: string
  queue?: string
  campaigns?: string
  cancel?: ConsoleCall
  /** What a campaign has come to (the counts and status the Queue panel draws as its progress). */
  campaign?: ConsoleCall
  /** Stops a campaign. */
  cancelCampaign?: ConsoleCall
}

/** A function the console calls as a server, `"{_id}"` in its data standing for the document's id. */
export interface ConsoleCall {
  function: string
  data: Record<string, unknown>
}

/** The console settings that are calls. */
const CALLS = ['cancel', 'campaign', 'cancelCampaign'] as const

/**
 * Optional `emulator.config.json` at the project root:
 *   { "templates": "templates.json", "messagePushReceiver": "<function name>" }
 */
interface EmulatorConfig {
  templates?: string
  messagePushReceiver?: string
  console?: ConsoleConfig
  /** Checked by parseSecurityConfig. */
  security?: unknown
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

/** The function's `config.json`: its openapi permissions, and its triggers as written (project-triggers.ts judges them). */
function parseFunctionConfig(path: string): { openapi: string[]; triggers: DeclaredTriggers } {
  const config = readJson(path) ?? {}
  const permissions = (config.permissions ?? {}) as Record<string, unknown>
  const openapi = Array.isArray(permissions.openapi) ? permissions.openapi.filter((x): x is string => typeof x === 'string') : []
  return { openapi, triggers: { file: path, triggers: config.triggers } }
}

interface DeploySettings {
  /** Seconds. */
  timeout?: number
  envVariables: Record<string, string>
  /** The HTTP access path, such as `/login`. */
  path?: string
  triggers: DeclaredTriggers
}

/** Per-function settings from the deploy configuration (`rc`, cloudbaserc.json): timeout, environment variables, HTTP access path, triggers. */
function deploySettings(rc: Record<string, unknown> | undefined, rcPath: string): Map<string, DeploySettings> {
  const out = new Map<string, DeploySettings>()
  const functions = Array.isArray(rc?.functions) ? (rc!.functions as Array<Record<string, unknown>>) : []
  for (const fn of functions) {
    if (typeof fn?.name !== 'string') continue
    const variables = (fn.envVariables ?? {}) as Record<string, unknown>
    out.set(fn.name, {
      timeout: typeof fn.timeout === 'number' ? fn.timeout : undefined,
      envVariables: Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)])),
      path: given(fn.path),
      triggers: { file: rcPath, triggers: fn.triggers },
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
  const rcPath = join(root, 'cloudbaserc.json')
  const rc = readJson(rcPath)
  const { functionsRoot, miniprogramRoot, appid, envId, assumptions } = projectShape(root, readJson(join(root, 'project.config.json')), rc, overrides.envId)
  const warnings = [...assumptions]
  const deploy = deploySettings(rc, rcPath)
  const functions = new Map<string, FunctionDefinition>()
  if (!overrides.empty && existsSync(functionsRoot)) {
    for (const name of readdirSync(functionsRoot).sort()) {
      const dir = join(functionsRoot, name)
      if (!statSync(dir).isDirectory()) continue
      if (!existsSync(join(dir, 'package.json')) && !existsSync(join(dir, 'index.js'))) continue
      const { openapi, triggers } = parseFunctionConfig(join(dir, 'config.json'))
      const settings = deploy.get(name)
      const { timer, warnings: triggerWarnings } = declaredTimer(name, triggers, settings?.triggers)
      warnings.push(...triggerWarnings)
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
    appJsonPath: join(miniprogramRoot, 'app.json'),
    messagePushReceiver: receiver,
    console: consoleConfig(emulatorConfig.console, overrides.empty ? undefined : functions),
    accessPaths: [...deploy].flatMap(([name, settings]) => (settings.path ? [{ path: settings.path, name }] : [])),
    warnings,
    security: parseSecurityConfig(emulatorConfig.security),
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
  for (const key of CALLS) {
    const call = config[key] as { function?: unknown; data?: unknown } | undefined
    if (call === undefined) continue
    if (!call || typeof call !== 'object' || Array.isArray(call)) fail(`${key} must be { "function": <name>, "data": { … } }`)
    if (typeof call.function !== 'string' || (functions && !functions.has(call.function))) fail(`${key}.function must name a function of the project`)
    if (!call.data || typeof call.data !== 'object' || Array.isArray(call.data)) fail(`${key}.data must be an object`)
  }
  // A campaign's calls are about the documents of the campaigns collection: without it there is nothing to call them for.
  for (const key of ['campaign', 'cancelCampaign']) if (config[key] !== undefined && config.campaigns === undefined) fail(`${key} needs console.campaigns, the collection of the campaigns it is called for`)
  return config as ConsoleConfig
}
