/** The deploy plan: what would be uploaded, with which settings, and the refusal without credentials. */
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './support/emulator'

const deploy = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync('npx', ['tsx', 'scripts/deploy.ts', '--no-build', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  })

describe('npm run deploy -- --dry-run', () => {
  it('prints the plan and the exact files, and stages only those', () => {
    const run = deploy(['--dry-run', '--env', 'prod-1a2b3c'])
    expect(run.status).toBe(0)
    const functions = readdirSync(join(ROOT, 'cloudfunctions')).filter((name) => !name.startsWith('.')).sort()
    expect(run.stdout).toMatch(/Deploy to environment prod-1a2b3c/)
    for (const name of functions) {
      for (const file of ['index.js', 'package.json', 'config.json']) {
        expect(run.stdout).toMatch(new RegExp(`upload build/deploy/cloudfunctions/${name}/${file.replace('.', '\\.')} \\(\\d+ bytes, sha256 [0-9a-f]{16}\\)`))
      }
      expect(readdirSync(join(ROOT, 'build/deploy/cloudfunctions', name)).sort()).toEqual(['config.json', 'index.js', 'package.json'])
    }
    expect(run.stdout).not.toMatch(/\.ts \(/)
    expect(run.stdout).toMatch(/openapi permissions \(config\.json\) apply after a WeChat DevTools upload/)
    // Without a target to read, the migration plan is every declaration, made to exist.
    expect(run.stdout).toMatch(/Database, schema version [0-9a-f]{16}:/)
    expect(run.stdout).toMatch(/- messages: create the collection; .*create index idempotencyKey \(unique, idempotencyKey 1\)/)
    expect(run.stdout).toMatch(/- _meta: create the collection/)

    const config = JSON.parse(readFileSync(join(ROOT, 'build/deploy/cloudbaserc.json'), 'utf8'))
    expect(config.envId).toBe('prod-1a2b3c')
    expect(config.functions.map((f: { name: string }) => f.name).sort()).toEqual(functions)
    for (const f of config.functions) {
      expect(f.installDependency).toBe(false)
      expect(f.runtime).toMatch(/^Nodejs(1[6-9]|[2-9]\d)\./)
    }
    const send = config.functions.find((f: { name: string }) => f.name === 'send')
    // Every delivery setting is inlined from settings.json; timing.functionTimeoutMs is this timeout, checked at build.
    expect(send).toMatchObject({ timeout: 60, envVariables: {} })
    expect(send.triggers).toEqual(JSON.parse(readFileSync(join(ROOT, 'cloudfunctions/send/config.json'), 'utf8')).triggers)
  })

  it('without credentials, and not to an emulator, says what is missing before doing anything', () => {
    const run = deploy(['--env', 'prod-1a2b3c'])
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/missing TCB_SECRET_ID, TCB_SECRET_KEY: set them to deploy to the cloud, pass --emulator <url>/)
    expect(run.stdout).toBe('')
    const none = deploy([])
    expect(none.stderr).toMatch(/missing TCB_SECRET_ID, TCB_SECRET_KEY, TCB_ENV_ID \(or --env\)/)
  })
})
