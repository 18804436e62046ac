/**
 * What a deploy uploads: each function's staged folder (index.js,
 * package.json, config.json only, since each index.js holds its
 * dependencies) with the settings of cloudbaserc.json (runtime, timeout,
 * memory, environment variables; no cloud npm install) and the timer trigger
 * of its config.json.
 */
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
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
  triggers: Array<{ name: string; type: string; config: string }>
  files: Array<{ path: string; bytes: number; sha256: string }>
}

export interface DeployPlan {
  envId: string
  functions: FunctionPlan[]
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))

/** Stages each function's upload and writes the deploy configuration; returns what would be done. */
export function planDeploy(envId?: string): DeployPlan {
  const rc = readJson(join(root, 'cloudbaserc.json')) as { envId: string; functions: Array<Record<string, any>> }
  const target = envId ?? rc.envId
  rmSync(STAGE, { recursive: true, force: true })
  const functions: FunctionPlan[] = functionNames().map((name) => {
    const settings = rc.functions.find((f) => f.name === name) ?? {}
    const config = readJson(join(root, 'cloudfunctions', name, 'config.json')) as { triggers?: FunctionPlan['triggers'] }
    const runtime = String(settings.runtime ?? MIN_RUNTIME)
    if (!/^Nodejs(1[6-9]|[2-9]\d)\./.test(runtime)) throw new Error(`${name}: runtime ${runtime} is older than ${MIN_RUNTIME}`)
    const dir = join(STAGE, 'cloudfunctions', name)
    mkdirSync(dir, { recursive: true })
    for (const file of UPLOADED) cpSync(join(root, 'cloudfunctions', name, file), join(dir, file))
    return {
      name,
      runtime,
      timeout: Number(settings.timeout ?? 3),
      memorySize: Number(settings.memorySize ?? 256),
      installDependency: false,
      envVariables: settings.envVariables ?? {},
      triggers: config.triggers ?? [],
      files: UPLOADED.map((file) => {
        const path = join(dir, file)
        return { path: relative(root, path), bytes: statSync(path).size, sha256: createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16) }
      }),
    }
  })
  writeFileSync(
    join(STAGE, 'cloudbaserc.json'),
    `${JSON.stringify({ version: '2.0', envId: target, functionRoot: 'cloudfunctions', functions: functions.map(({ files: _files, ...f }) => f) }, null, 2)}\n`,
  )
  return { envId: target, functions }
}

export function describePlan(plan: DeployPlan): string[] {
  const lines = [`Functions, from ${relative(root, STAGE)}/cloudbaserc.json:`]
  for (const f of plan.functions) {
    lines.push(`- ${f.name}: ${f.runtime}, timeout ${f.timeout} s, ${f.memorySize} MB, no cloud npm install`)
    for (const [key, value] of Object.entries(f.envVariables)) lines.push(`    env ${key}=${value}`)
    for (const t of f.triggers) lines.push(`    trigger ${t.name}: ${t.type} "${t.config}"`)
    for (const file of f.files) lines.push(`    upload ${file.path} (${file.bytes} bytes, sha256 ${file.sha256})`)
  }
  return lines
}
