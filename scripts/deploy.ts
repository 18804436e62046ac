/**
 * npm run deploy [-- --dry-run] [--env <envId>] [--no-build]: builds every function and deploys it with
 * @cloudbase/cli. The deploy configuration is generated from cloudbaserc.json
 * (runtime, timeout, memory, environment variables; no cloud npm install,
 * since each index.js holds its dependencies) and each function's
 * config.json (its timer trigger). Only index.js, package.json and
 * config.json of each function are uploaded. --dry-run prints the plan and
 * those exact files, and needs no credentials.
 *
 * What a deploy cannot do: the openapi permissions in config.json take effect
 * through a WeChat DevTools upload or the console, not through @cloudbase/cli.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { buildFunctions, functionNames, writeMiniprogramRegistry } from './build'

const root = resolve(__dirname, '..')
const STAGE = join(root, 'build/deploy')
const UPLOADED = ['index.js', 'package.json', 'config.json'] as const
const MIN_RUNTIME = 'Nodejs16.13'

interface FunctionPlan {
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
  commands: string[][]
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
  const commands = [
    ['tcb', 'login', '--apiKeyId', '$TCB_SECRET_ID', '--apiKey', '$TCB_SECRET_KEY'],
    ['tcb', 'fn', 'deploy', '--all', '--force', '--yes', '-e', target],
    ...functions.filter((f) => f.triggers.length > 0).map((f) => ['tcb', 'fn', 'trigger', 'create', f.name, '-e', target]),
  ]
  return { envId: target, functions, commands }
}

export function describePlan(plan: DeployPlan): string {
  const lines = [`Deploy to environment ${plan.envId}, from ${relative(root, STAGE)}/cloudbaserc.json:`]
  for (const f of plan.functions) {
    lines.push(`- ${f.name}: ${f.runtime}, timeout ${f.timeout} s, ${f.memorySize} MB, no cloud npm install`)
    for (const [key, value] of Object.entries(f.envVariables)) lines.push(`    env ${key}=${value}`)
    for (const t of f.triggers) lines.push(`    trigger ${t.name}: ${t.type} "${t.config}"`)
    for (const file of f.files) lines.push(`    upload ${file.path} (${file.bytes} bytes, sha256 ${file.sha256})`)
  }
  lines.push('Commands:', ...plan.commands.map((c) => `  ${c.join(' ')}`))
  lines.push('Not done by a deploy: openapi permissions (config.json) apply after a WeChat DevTools upload or a console change.')
  return lines.join('\n')
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const dryRun = args.includes('--dry-run')
  const envAt = args.indexOf('--env')
  const envId = envAt >= 0 ? args[envAt + 1] : process.env.TCB_ENV_ID
  // --no-build deploys the last build as it is (the tests use it, so as not to rewrite bundles others are running).
  if (!args.includes('--no-build')) {
    writeMiniprogramRegistry()
    await buildFunctions()
  }
  const plan = planDeploy(envId)
  console.log(describePlan(plan))
  if (dryRun) return
  const secretId = process.env.TCB_SECRET_ID
  const secretKey = process.env.TCB_SECRET_KEY
  if (!secretId || !secretKey) {
    console.error('deploy: set TCB_SECRET_ID and TCB_SECRET_KEY (and TCB_ENV_ID or --env), or pass --dry-run to see the plan')
    process.exit(2)
  }
  const tcb = join(root, 'node_modules/.bin/tcb')
  for (const command of plan.commands) {
    const args = command.slice(1).map((arg) => (arg === '$TCB_SECRET_ID' ? secretId : arg === '$TCB_SECRET_KEY' ? secretKey : arg))
    const run = spawnSync(tcb, args, { cwd: STAGE, stdio: 'inherit' })
    if (run.status !== 0) {
      console.error(`deploy: ${command.slice(0, 3).join(' ')} failed (exit ${run.status})`)
      process.exit(1)
    }
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(`deploy: ${error instanceof Error ? error.message : error}`)
    process.exit(1)
  })
}
