/**
 * The real deploy into an empty emulator: `doctor` fails naming what is
 * missing, `npm run deploy -- --emulator` makes it through the management
 * API, `doctor` passes, and the deployed functions serve the mini-program's
 * journey. Then the migration's own promises: a second deploy changes
 * nothing, a changed declaration is applied, a colliding unique index fails
 * and leaves the schema record as it was.
 */
import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretsOrRefuse } from '../scripts/deploy/functions'
import { openTarget } from '../scripts/deploy/management'
import { planDeploy, type FunctionPlan } from '../scripts/deploy/plan'
import { ROOT, spawnEmulator, type RunningEmulator } from './support/emulator'
import { overHttp } from './support/http'
import { APPOINTMENT, ORDER, Product, exampleData, newOpenid } from './support/product'

interface Run {
  status: number | null
  stdout: string
  stderr: string
  ms: number
}

function run(script: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }))
  })
}

let cloud: RunningEmulator
const DECLARED = readdirSync(join(ROOT, 'db')).filter((file) => file.endsWith('.json')).length
const deploy = (...args: string[]) => run('scripts/deploy.ts', ['--no-build', '--emulator', cloud.url, ...args])
const deployWith = (env: Record<string, string>) => run('scripts/deploy.ts', ['--no-build', '--emulator', cloud.url], env)
const doctor = () => run('scripts/admin.ts', ['--emulator', cloud.url, 'doctor'])
const byAction = async (): Promise<Record<string, number>> => (await cloud.request('GET', '/_emulator/stats')).body.management.byAction
const record = async () => (await cloud.request('GET', '/_emulator/db/_meta')).body.data.find((doc: { _id: string }) => doc._id === 'schema')

async function until<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 20_000): Promise<T> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const found = await probe()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

beforeAll(async () => {
  cloud = await spawnEmulator({ project: ROOT, args: ['--empty', '--no-timers', '--time-travel'] })
})
afterAll(() => cloud?.stop())

describe('npm run deploy -- --emulator, into an empty emulator', () => {
  const product = () => new Product(cloud)

  it('doctor first fails, naming the missing functions, collections and indexes', async () => {
    expect((await cloud.request('GET', '/_emulator/functions')).body.data).toEqual([])
    const check = await doctor()
    expect(check.status).toBe(1)
    for (const name of ['login', 'send', 'subscribe-record', 'wechat-events']) expect(check.stdout).toContain(`✗ function ${name}: not deployed`)
    expect(check.stdout).toContain('✗ collection messages: missing')
    expect(check.stdout).toMatch(/✗ index messages\.idempotencyKey: missing \(unique idempotencyKey 1\)/)
    expect(check.stdout).toMatch(/✗ schema record _meta\/schema: missing/)
    console.log(`doctor on an empty cloud: ${check.ms} ms`)
  })

  it('--dry-run reads the cloud, prints the exact migration and changes nothing', async () => {
    const before = await byAction()
    const dry = await deploy('--dry-run')
    expect(dry.status).toBe(0)
    expect(dry.stdout).toMatch(/- messages: create the collection; create index byRecipient/)
    const after = await byAction()
    expect(after.DescribeTable).toBe(before.DescribeTable! + DECLARED + 1)
    for (const change of ['CreateTable', 'UpdateTable', 'CreateFunction']) expect(after[change]).toBeUndefined()
  })

  it('deploys through the management API, and doctor then passes', { timeout: 60_000 }, async () => {
    const deployed = await deploy()
    expect(deployed.stderr).toBe('')
    expect(deployed.status).toBe(0)
    const actions = await byAction()
    expect(actions.CreateFunction).toBe(4)
    expect(actions.UpdateFunctionCode).toBeUndefined()
    expect(actions.CreateTable).toBe(DECLARED + 1)
    expect(actions.UpdateTable).toBeGreaterThanOrEqual(DECLARED)
    expect(actions.BatchCreateTrigger).toBe(1)
    console.log(`deploy into an empty cloud: ${deployed.ms} ms; management requests ${JSON.stringify(actions)}`)

    const check = await doctor()
    expect(check.stdout).not.toMatch(/^✗/m)
    expect(check.stdout).toMatch(/doctor: \d+ ✓, 0 ✗/)
    expect(check.status).toBe(0)
    expect(check.stdout).toContain('✓ openapi permission (send → getTemplateList)')
    console.log(`doctor on the deployed cloud: ${check.ms} ms`)
  })

  it('the deployed functions serve the journey: login, a popup recorded, a send delivered, a scheduled message sent by the timer', async () => {
    const openid = newOpenid('oDeployed')
    expect(await cloud.result('login', {}, { openid })).toMatchObject({ ok: true, openid })
    await product().subscribe(openid, { [APPOINTMENT]: 'accept', [ORDER]: 'accept' })
    const now = await product().send({ touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) }, { openid })
    expect(now).toMatchObject({ ok: true, status: 'sent' })
    const later = await product().send({ touser: openid, templateId: ORDER, data: exampleData(ORDER), sendAt: new Date(Date.now() + 60_000).toISOString() })
    expect(later).toMatchObject({ ok: true, status: 'scheduled' })
    // The deployed timer trigger, run two minutes ahead of the clock.
    await cloud.trigger('send', new Date(Date.now() + 120_000).toISOString())
    const delivered = await until('both messages', async () => {
      const list = await product().delivered(openid)
      return list.length === 2 ? list : undefined
    })
    expect(delivered.map((m) => m.template_id).sort()).toEqual([APPOINTMENT, ORDER].sort())
  })

  it('holds the unique index on idempotencyKey: the same request twice under one key is one message', async () => {
    const indexes = (await cloud.request('GET', '/_emulator/db/messages/indexes')).body.data
    expect(indexes).toContainEqual({ name: 'idempotencyKey', unique: true, keys: [{ field: 'idempotencyKey', direction: 1 }] })
    const openid = newOpenid('oKeyed')
    await product().subscribe(openid, { [APPOINTMENT]: 'accept' })
    const request = { touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT), idempotencyKey: `key-${openid}` }
    const [first, second] = await Promise.all([product().send(request), product().send(request)])
    expect(second.messageId).toBe(first.messageId)
    expect((await cloud.request('GET', `/_emulator/db/messages/count?filter=${encodeURIComponent(JSON.stringify({ touser: openid }))}`)).body.total).toBe(1)
  })

  it('a second deploy changes nothing in the database', { timeout: 60_000 }, async () => {
    const before = await byAction()
    const again = await deploy()
    expect(again.status).toBe(0)
    expect(again.stdout).toContain('nothing to change')
    expect(again.stdout).toMatch(/schema record [0-9a-f]{16} already there/)
    const after = await byAction()
    for (const action of ['CreateTable', 'UpdateTable']) expect(after[action] ?? 0).toBe(before[action] ?? 0)
    console.log(`a second deploy: ${again.ms} ms`)
  })
})

describe('a deploy for HTTP callers: the secrets from the deployer\'s environment, the paths from cloudbaserc.json', () => {
  // The emulator's default AppSecret, as the deployer would set its own app's.
  const secrets = { WECHAT_APP_SECRET: 'local-app-secret', SESSION_SECRET: 'deployed-session-key-41c7e2' }
  const variables = async (name: string): Promise<string[]> => {
    const target = openTarget({ emulator: cloud.url, env: {} })
    const detail = (await target.manager.functions.getFunctionDetail(name)) as { Environment?: { Variables?: Array<{ Key: string }> } }
    return (detail.Environment?.Variables ?? []).map((v) => v.Key).sort()
  }
  const codeLogin = async (openid: string) => {
    const code = (await cloud.request('POST', '/_emulator/wechat/login-code', { openid })).body.code
    return overHttp(cloud, 'login', { code })
  }

  it('sets each secret where it is used, says so without its value, and the paths serve', { timeout: 60_000 }, async () => {
    const openid = newOpenid('oHttpDeploy')
    // The first deploy made the paths already; without a session key, a code login is not configured.
    expect((await codeLogin(openid)).body).toMatchObject({ ok: false, code: 'NOT_CONFIGURED' })
    const deployed = await deployWith(secrets)
    expect(deployed.status).toBe(0)
    expect(deployed.stdout).toContain("env SESSION_SECRET: from the deployer's environment (not shown)")
    expect(deployed.stdout).toContain('http path /login')
    for (const value of Object.values(secrets)) expect(deployed.stdout + deployed.stderr).not.toContain(value)
    expect(await variables('login')).toEqual(['SESSION_SECRET', 'WECHAT_APP_SECRET'])
    // wechat-events has no HTTP path, so no session key.
    expect(await variables('wechat-events')).toEqual(['WECHAT_APP_SECRET'])

    const login = await codeLogin(openid)
    expect(login.status).toBe(200)
    const popup = await cloud.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { [APPOINTMENT]: 'accept' } })
    expect((await overHttp(cloud, 'subscribe-record', { results: popup.body }, login.body.session)).body).toMatchObject({ ok: true })
    const sent = await overHttp(cloud, 'send', { touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) }, login.body.session)
    expect(sent.body).toMatchObject({ ok: true, status: 'sent' })
    expect(await new Product(cloud).delivered(openid)).toHaveLength(1)

    const check = await doctor()
    expect(check.status).toBe(0)
    for (const path of ['/login', '/subscribe-record', '/send']) expect(check.stdout).toContain(`✓ http path ${path}: ${path.slice(1)}`)
    expect(check.stdout).not.toContain('has no SESSION_SECRET')
    for (const value of Object.values(secrets)) expect(check.stdout + check.stderr).not.toContain(value)
  })

  it('a deploy from an environment without them keeps the deployed ones', { timeout: 60_000 }, async () => {
    expect((await deploy()).status).toBe(0)
    expect(await variables('send')).toEqual(['SESSION_SECRET', 'WECHAT_APP_SECRET'])
    expect((await codeLogin(newOpenid('oHttpDeploy'))).status).toBe(200)
  })

  it('a function that needs the AppSecret and has none anywhere stops the deploy before it changes anything, naming it and no value', async () => {
    const target = openTarget({ emulator: cloud.url, env: {} })
    const plan = planDeploy(undefined, {})
    const https = (f: FunctionPlan): FunctionPlan => ({ ...f, needs: ['WECHAT_APP_SECRET'] })
    // Deployed with it: kept, so nothing is missing.
    expect((await secretsOrRefuse(target, { ...plan, functions: plan.functions.map(https) })).get('send')).toEqual(secrets)
    const fresh = { ...plan, functions: [https({ ...plan.functions[0]!, name: 'never-deployed' })] }
    await expect(secretsOrRefuse(target, fresh)).rejects.toThrow(/^never-deployed needs WECHAT_APP_SECRET, which neither the deployer's environment nor the deployed function has/)
  })
})

describe('the migration, with changed declarations', () => {
  let schema: string
  beforeAll(() => {
    schema = mkdtempSync(join(tmpdir(), 'schema-'))
    cpSync(join(ROOT, 'db'), schema, { recursive: true })
  })
  afterAll(() => rmSync(schema, { recursive: true, force: true }))

  const declare = (collection: string, change: (declaration: { indexes: any[] }) => void) => {
    const path = join(schema, `${collection}.json`)
    const declaration = JSON.parse(readFileSync(path, 'utf8'))
    change(declaration)
    writeFileSync(path, JSON.stringify(declaration, null, 2))
  }

  it('drops and makes again an index declared otherwise, and keeps an undeclared one unless --prune', { timeout: 60_000 }, async () => {
    declare('users', (d) => d.indexes.push({ name: 'byCity', keys: [{ field: 'city', direction: 1 }] }))
    expect((await deploy('--only', 'database', '--schema', schema)).status).toBe(0)
    declare('users', (d) => {
      d.indexes = d.indexes.filter((index) => index.name !== 'byCity')
      d.indexes.push({ name: 'byCity', keys: [{ field: 'city', direction: -1 }, { field: 'logins', direction: 1 }] })
    })
    const changed = await deploy('--only', 'database', '--schema', schema)
    expect(changed.status).toBe(0)
    expect(changed.stdout).toMatch(/users: drop and create again index byCity \(city -1, logins 1\)/)
    const indexes = (await cloud.request('GET', '/_emulator/db/users/indexes')).body.data
    expect(indexes).toContainEqual({ name: 'byCity', unique: false, keys: [{ field: 'city', direction: -1 }, { field: 'logins', direction: 1 }] })

    declare('users', (d) => (d.indexes = d.indexes.filter((index) => index.name !== 'byCity')))
    const kept = await deploy('--only', 'database', '--schema', schema)
    expect(kept.stdout).toMatch(/keep undeclared index byCity/)
    expect((await cloud.request('GET', '/_emulator/db/users/indexes')).body.data.map((i: { name: string }) => i.name)).toContain('byCity')
    const pruned = await deploy('--only', 'database', '--schema', schema, '--prune')
    expect(pruned.stdout).toMatch(/drop undeclared index byCity \(--prune\)/)
    expect((await cloud.request('GET', '/_emulator/db/users/indexes')).body.data.map((i: { name: string }) => i.name)).not.toContain('byCity')
  })

  it("gives a message the earlier dispatcher left 'sending' (its lease's end in dueAt) the leaseUntil the current one takes over by", { timeout: 60_000 }, async () => {
    const dueAt = { $date: new Date(Date.now() - 60_000).toISOString() }
    const legacy = { _id: 'msg_legacy_sending', status: 'sending', dueAt, touser: 'oLegacy', templateId: APPOINTMENT, claimToken: 'tok_old' }
    expect((await cloud.request('POST', '/_emulator/db/messages/import', [legacy])).status).toBe(200)
    const migrated = await deploy('--only', 'database')
    expect(migrated.stdout).toMatch(/messages left 'sending' without leaseUntil: leaseUntil set to their dueAt: 1/)
    const filter = encodeURIComponent(JSON.stringify({ _id: 'msg_legacy_sending' }))
    const [doc] = (await cloud.request('GET', `/_emulator/db/messages?limit=1&after=0&filter=${filter}`)).body.data
    expect(doc.leaseUntil).toEqual(dueAt)
    expect((await deploy('--only', 'database')).stdout).not.toMatch(/leaseUntil set to their dueAt/)
  })

  it('fails loudly on a unique index that documents violate, and records no schema version', { timeout: 60_000 }, async () => {
    const before = await record()
    const twins = ['oTwinA', 'oTwinB', 'oTwinC'].map((_id) => ({ _id, nickname: 'twin' }))
    expect((await cloud.request('POST', '/_emulator/db/users/import', twins)).status).toBe(200)
    declare('users', (d) => d.indexes.push({ name: 'byNickname', unique: true, keys: [{ field: 'nickname', direction: 1 }] }))
    const refused = await deploy('--only', 'database', '--schema', schema)
    expect(refused.status).toBe(1)
    // A unique index holds a missing field as null, as MongoDB's does: the users earlier tests made without a nickname share it too.
    const users: Array<{ nickname?: string }> = (await cloud.request('GET', '/_emulator/db/users?limit=1000&after=0')).body.data
    const withoutNickname = users.filter((u) => u.nickname === undefined || u.nickname === null).length
    const shared = withoutNickname > 1 ? { documents: 3 + withoutNickname, keys: 2 } : { documents: 3, keys: 1 }
    expect(refused.stderr).toContain(`users: unique index byNickname cannot be made: ${shared.documents} documents share ${shared.keys} values of nickname`)
    expect((await cloud.request('GET', '/_emulator/db/users/indexes')).body.data.map((i: { name: string }) => i.name)).not.toContain('byNickname')
    expect((await record()).version).toBe(before.version)
  })
})
