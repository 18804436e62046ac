/**
 * What a deploy uploads: each function's staged folder (index.js,
 * package.json, config.json only, since each index.js holds its
 * dependencies) with the settings of cloudbaserc.json (runtime, timeout,
 * memory, environment variables, HTTP access path; no cloud npm install)
 * and the timer trigger of its config.json. The secrets come from the
 * deployer's environment alone: never in a file, never printed.
 */
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { SECRET_NAMES, loadSettings, type SecretName } from '../../src/settings'
import { functionNames } from '../build'

export const root = resolve(__dirname, '../..')
export const STAGE = join(root, 'build/deploy')
const UPLOADED = ['index.js', 'package.json', 'config.json'] as const
const MIN_RUNTIME = 'Nodejs16.13'

export interface FunctionPlan {
  name: string
  runtime: string
  timeout: number
  memorySize: number
  installDependency: false
  envVariables: Record<string, string>
  /** The HTTP access path (cloudbaserc.json's `path`), created by the function's deploy. */
  path?: string
  /** The secrets this function gets from the deployer's environment; those not there are kept as deployed. */
  secrets: Partial<Record<SecretName, string>>
  /** The secrets it cannot run without: WECHAT_APP_SECRET under the https transport. */
  needs: SecretName[]
  triggers: Array<{ name: string; type: string; config: string }>
  files: Array<{ path: string; bytes: number; sha256: string }>
}

export interface DeployPlan {
  envId: string
  functions: FunctionPlan[]
}

export type { SecretName } from '../../src/settings'

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))

/**
 * Every function may call WeChat (so each gets the AppSecret); only those with
 * an HTTP path check sessions (so only they get the session key).
 */
function secretsFor(path: string | undefined, env: Record<string, string | undefined>): Partial<Record<SecretName, string>> {
  const given: Partial<Record<SecretName, string>> = {}
  for (const name of SECRET_NAMES) {
    const value = env[name]
    if (value && (name !== 'SESSION_SECRET' || path)) given[name] = value
  }
  return given
}

/**
 * The secrets a function of cloudbaserc.json cannot run without: the AppSecret
 * under the https transport. (Without SESSION_SECRET an HTTP path serves, but
 * its code login answers NOT_CONFIGURED: said, not refused.)
 */
export function secretsNeeded(settingsFile: unknown, entry: { envVariables?: Record<string, string> }): SecretName[] {
  return loadSettings(settingsFile, entry.envVariables ?? {}).wechat.transport === 'https' ? ['WECHAT_APP_SECRET'] : []
}

/** Stages each function's upload and writes the deploy configuration (without secrets); returns what would be done. */
export function planDeploy(envId?: string, env: Record<string, string | undefined> = process.env): DeployPlan {
  const rc = readJson(join(root, 'cloudbaserc.json')) as { envId: string; functions: Array<Record<string, any>> }
  const target = envId ?? rc.envId
  const settingsFile = readJson(join(root, 'settings.json')) as unknown
  rmSync(STAGE, { recursive: true, force: true })
  const functions: FunctionPlan[] = functionNames().map((name) => {
    const settings = rc.functions.find((f) => f.name === name) ?? {}
    const config = readJson(join(root, 'cloudfunctions', name, 'config.json')) as { triggers?: FunctionPlan['triggers'] }
    const runtime = String(settings.runtime ?? MIN_RUNTIME)
    if (!/^Nodejs(1[6-9]|[2-9]\d)\./.test(runtime)) throw new Error(`${name}: runtime ${runtime} is older than ${MIN_RUNTIME}`)
    const dir = join(STAGE, 'cloudfunctions', name)
    mkdirSync(dir, { recursive: true })
    for (const file of UPLOADED) cpSync(join(root, 'cloudfunctions', name, file), join(dir, file))
    const envVariables: Record<string, string> = settings.envVariables ?? {}
    const path = typeof settings.path === 'string' ? settings.path : undefined
    const needs = secretsNeeded(settingsFile, settings)
    return {
      name,
      runtime,
      timeout: Number(settings.timeout ?? 3),
      memorySize: Number(settings.memorySize ?? 256),
      installDependency: false,
      envVariables,
      ...(path ? { path } : {}),
      secrets: secretsFor(path, env),
      needs,
      triggers: config.triggers ?? [],
      files: UPLOADED.map((file) => {
        const path = join(dir, file)
        return { path: relative(root, path), bytes: statSync(path).size, sha256: createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16) }
      }),
    }
  })
  writeFileSync(
    join(STAGE, 'cloudbaserc.json'),
    `${JSON.stringify({ version: '2.0', envId: target, functionRoot: 'cloudfunctions', functions: functions.map(({ files: _files, secrets: _secrets, needs: _needs, ...f }) => f) }, null, 2)}\n`,
  )
  return { envId: target, functions }
}

export function describePlan(plan: DeployPlan): string[] {
  const lines = [`Functions, from ${relative(root, STAGE)}/cloudbaserc.json:`]
  for (const f of plan.functions) {
    lines.push(`- ${f.name}: ${f.runtime}, timeout ${f.timeout} s, ${f.memorySize} MB, no cloud npm install`)
    for (const [key, value] of Object.entries(f.envVariables)) lines.push(`    env ${key}=${value}`)
    for (const name of SECRET_NAMES) {
      if (f.secrets[name] !== undefined) lines.push(`    env ${name}: from the deployer's environment (not shown)`)
      else if (f.needs.includes(name)) lines.push(`    env ${name}: not in the deployer's environment: the deployed value is kept, and the deploy stops if there is none`)
      else if (name === 'SESSION_SECRET' && f.path) lines.push(`    env ${name}: not in the deployer's environment: the deployed value is kept; with none, code login answers NOT_CONFIGURED`)
    }
    if (f.path) lines.push(`    http path ${f.path}`)
    for (const t of f.triggers) lines.push(`    trigger ${t.name}: ${t.type} "${t.config}"`)
    for (const file of f.files) lines.push(`    upload ${file.path} (${file.bytes} bytes, sha256 ${file.sha256})`)
  }
  return lines
}
