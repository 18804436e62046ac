/**
 * The management API as the real deploy client drives it: @cloudbase/manager-node
 * (what @cloudbase/cli deploys with), its endpoints pointed at an emulator started
 * `--empty`, deploys a function, its timer and its collections and indexes; the
 * function then runs as a project's own does, and a restart serves it again.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import CloudBase from '@cloudbase/manager-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, spawnEmulator, type RunningEmulator } from '../../../test/support/emulator'
import { schemaVersion } from '../database/schema-version'

let url = ''
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CloudService } = require('@cloudbase/manager-node/lib/utils/cloud-api-request') as { CloudService: { prototype: object } }
Object.defineProperty(CloudService.prototype, 'baseUrl', { get: () => url, configurable: true })

const ENV = 'local' // the repository's cloudbaserc.json
const work = mkdtempSync(join(tmpdir(), 'management-test-'))
const data = join(work, 'data')
const functionsRoot = join(work, 'functions')
const manager = new CloudBase({ secretId: 'local', secretKey: 'local', envId: ENV })
let emulator: RunningEmulator

const start = async () => {
  emulator = await spawnEmulator({ data, args: ['--empty'] })
  url = emulator.url
}

beforeAll(start)
afterAll(async () => {
  await emulator?.stop()
  rmSync(work, { recursive: true, force: true })
})

/** A function folder as a deploy uploads it: index.js, package.json, config.json. */
function writeFunction(name: string, source: string, openapi: string[] = []): void {
  const dir = join(functionsRoot, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'index.js'), source)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }))
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ permissions: { openapi } }))
}

const greeter = (version: number) => `exports.main = async (event) => ({ version: ${version}, greeting: process.env.GREETING, event })\n`

async function deploy(name: string, func: Record<string, unknown>): Promise<void> {
  await manager.functions.createFunction({
    func: { name, runtime: 'Nodejs16.13', installDependency: false, ...func } as never,
    functionRootPath: functionsRoot,
    force: true,
    deployMode: 'zip',
  })
}

/** The error a management call fails with: its code and message. */
async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = (await call.then(
    () => {
      throw new Error('the call succeeded')
    },
    (e: unknown) => e,
  )) as { code: string; message: string }
  return { code: error.code, message: error.message }
}

/** A request signed as the TencentCloud API takes it (the signature's hex itself goes unchecked). */
async function signed(service: string, action: string, body: unknown, options: { timestamp?: number; authorization?: string } = {}) {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000)
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10)
  const response = await fetch(`${url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tc-action': action,
      'x-tc-version': '2018-06-08',
      'x-tc-region': 'ap-shanghai',
      'x-tc-timestamp': String(timestamp),
      authorization: options.authorization ?? `TC3-HMAC-SHA256 Credential=local/${date}/${service}/tc3_request, SignedHeaders=content-type;host, Signature=${'ab'.repeat(32)}`,
    },
    body: JSON.stringify(body),
  })
  expect(response.status).toBe(200)
  return ((await response.json()) as { Response: Record<string, any> }).Response
}

async function until<T>(what: string, read: () => Promise<T | undefined>, deadlineMs = 10_000): Promise<T> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const value = await read()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

describe('an emulator started --empty, deployed to through the management API', () => {
  it('starts with no function and no collection, and its console still loads', async () => {
    expect((await emulator.request('GET', '/_emulator/functions')).body.data).toEqual([])
    expect((await emulator.request('GET', '/_emulator/db')).body.data).toEqual([])
    expect(await manager.functions.listFunctions()).toEqual([])
    expect((await manager.database.listCollections()).Collections).toEqual([])
    expect((await fetch(`${url}/`)).status).toBe(200)
  })

  it('deploys a function that then runs, with its timer firing, and redeploys it', async () => {
    writeFunction('greeter', greeter(1))
    const triggers = [{ name: 'everySecond', type: 'timer', config: '* * * * * * *' }]
    await deploy('greeter', { timeout: 5, memorySize: 128, envVariables: { GREETING: 'hi' }, triggers })
    expect(await emulator.result('greeter', { n: 1 })).toEqual({ version: 1, greeting: 'hi', event: { n: 1 } })

    const detail = (await manager.functions.getFunctionDetail('greeter')) as unknown as Record<string, any>
    expect(detail).toMatchObject({ FunctionName: 'greeter', Namespace: ENV, Runtime: 'Nodejs16.13', Handler: 'index.main', Timeout: 5, MemorySize: 128, Status: 'Active' })
    expect(detail.Environment.Variables).toEqual([{ Key: 'GREETING', Value: 'hi' }])
    expect(detail.Triggers).toMatchObject([{ Type: 'timer', TriggerName: 'everySecond', TriggerDesc: JSON.stringify({ cron: '* * * * * * *' }) }])
    const fired = await until('the timer to fire', async () => {
      const invocations = (await emulator.request('GET', '/_emulator/invocations')).body.data as Array<Record<string, any>>
      return invocations.find((entry) => entry.function === 'greeter' && entry.caller.trigger === 'everySecond' && entry.ok)
    })
    expect(fired.caller.source).toBe('wx_trigger')

    writeFunction('greeter', greeter(2))
    await deploy('greeter', { timeout: 7, memorySize: 256, envVariables: { GREETING: 'hello' }, triggers })
    expect(await emulator.result('greeter')).toMatchObject({ version: 2, greeting: 'hello' })
    expect(await manager.functions.getFunctionDetail('greeter')).toMatchObject({ Timeout: 7, MemorySize: 256 })
    expect(await manager.functions.listFunctions()).toMatchObject([{ FunctionName: 'greeter', Runtime: 'Nodejs16.13', Status: 'Active' }])

    await manager.functions.deleteFunctionTrigger('greeter', 'everySecond')
    expect(((await manager.functions.getFunctionDetail('greeter')) as unknown as { Triggers: unknown[] }).Triggers).toEqual([])
  }, 40_000)

  it("applies the openapi permissions of the upload's config.json, as a WeChat DevTools upload does", async () => {
    const sdk = JSON.stringify(join(ROOT, 'node_modules/wx-server-sdk'))
    const source = `const cloud = require(${sdk}); cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV })
exports.main = async () => { try { await cloud.openapi.subscribeMessage.getTemplateList(); return 'allowed' } catch (e) { return e.errCode } }\n`
    writeFunction('lister', source, ['subscribeMessage.getTemplateList'])
    await deploy('lister', { timeout: 10 })
    expect(await emulator.result('lister')).toBe('allowed')
    writeFunction('lister', source, [])
    await manager.functions.updateFunctionCode({ func: { name: 'lister', installDependency: false } as never, functionRootPath: functionsRoot, deployMode: 'zip' })
    expect(await emulator.result('lister')).toBe(-604101)
    await manager.functions.deleteFunction('lister')
    expect((await emulator.call('lister')).status).toBe(404)
  }, 30_000)

  it('deploys a function whose timer breaks a rule: the function runs, the trigger is refused naming the rule', async () => {
    writeFunction('nightly', greeter(1))
    const refused = await refusal(deploy('nightly', { triggers: [{ name: 'lateNight', type: 'timer', config: '0 0 24 * * * *' }] }))
    expect(refused.code).toBe('InvalidParameterValue')
    expect(refused.message).toMatch(/lateNight: TriggerDesc "0 0 24 \* \* \* \*": hour 24 is out of 0-23/)
    expect(await emulator.result('nightly')).toMatchObject({ version: 1 })
    expect(((await manager.functions.getFunctionDetail('nightly')) as unknown as { Triggers: unknown[] }).Triggers).toEqual([])
    const sixFields = await signed('scf', 'BatchCreateTrigger', { FunctionName: 'nightly', Triggers: JSON.stringify([{ TriggerName: 'six', Type: 'timer', TriggerDesc: '* * * * * *' }]) })
    expect(sixFields.Error).toEqual({ Code: 'InvalidParameterValue', Message: expect.stringMatching(/six: .*a cron has 7 fields .* this one has 6/) })
    await manager.functions.deleteFunction('nightly')
  }, 30_000)

  it('creates collections and their indexes (unique, compound, 2dsphere), and lists them as db/ declares them', async () => {
    expect(await manager.database.createCollectionIfNotExists('places')).toMatchObject({ IsCreated: true })
    expect(await manager.database.createCollectionIfNotExists('places')).toMatchObject({ IsCreated: false })
    const create = (name: string, keys: Array<[string, string]>, unique = false) => ({
      IndexName: name,
      MgoKeySchema: { MgoIsUnique: unique, MgoIndexKeys: keys.map(([Name, Direction]) => ({ Name, Direction })) },
    })
    const indexes = [create('byCode', [['code', '1']], true), create('byCityRank', [['city', '1'], ['rank', '-1']]), create('byPlace', [['location', '2dsphere']])]
    await manager.database.updateCollection('places', { CreateIndexes: indexes })
    // The same again changes nothing.
    await manager.database.updateCollection('places', { CreateIndexes: [indexes[0]] })

    const table = (await manager.database.describeCollection('places')) as unknown as { IndexNum: number; Indexes: Array<Record<string, any>> }
    expect(table.IndexNum).toBe(4)
    expect(table.Indexes.map(({ Name, Unique, Keys }) => ({ Name, Unique, Keys }))).toEqual([
      { Name: '_id_', Unique: true, Keys: [{ Name: '_id', Direction: '1' }] },
      { Name: 'byCode', Unique: true, Keys: [{ Name: 'code', Direction: '1' }] },
      { Name: 'byCityRank', Unique: false, Keys: [{ Name: 'city', Direction: '1' }, { Name: 'rank', Direction: '-1' }] },
      { Name: 'byPlace', Unique: false, Keys: [{ Name: 'location', Direction: '2dsphere' }] },
    ])
    expect((await emulator.request('GET', '/_emulator/db/places/indexes')).body.data).toEqual([
      { name: 'byCode', unique: true, keys: [{ field: 'code', direction: 1 }] },
      { name: 'byCityRank', unique: false, keys: [{ field: 'city', direction: 1 }, { field: 'rank', direction: -1 }] },
      { name: 'byPlace', unique: false, keys: [{ field: 'location', direction: '2dsphere' }] },
    ])

    const other = await refusal(manager.database.updateCollection('places', { CreateIndexes: [create('byCode', [['code', '-1']])] }))
    expect(other.code).toBe('InvalidParameter')
    expect(other.message).toMatch(/byCode/)
    expect((await refusal(manager.database.updateCollection('places', { DropIndexes: [{ IndexName: '_id_' }] }))).code).toBe('InvalidParameter')
    await manager.database.updateCollection('places', { DropIndexes: [{ IndexName: 'byPlace' }] })
    expect(((await manager.database.describeCollection('places')) as unknown as { IndexNum: number }).IndexNum).toBe(3)
    const listed = await manager.database.listCollections()
    expect(listed.Collections).toMatchObject([{ CollectionName: 'places', Count: 0, IndexCount: 3 }])
    expect(listed.Pager).toEqual({ Offset: 0, Limit: 100, Total: 1 })
    const missing = await refusal(manager.database.describeCollection('nowhere'))
    expect(missing).toMatchObject({ code: 'ResourceNotFound.TableNotExist', message: expect.stringMatching(/nowhere/) })
  })

  it('refuses a unique index that the documents violate, naming it, and changes nothing', async () => {
    await manager.database.createCollection('skus')
    const imported = await emulator.request('POST', '/_emulator/db/skus/import', [
      { _id: 'a', sku: 'X1', shelf: 1 },
      { _id: 'b', sku: 'X1', shelf: 2 },
    ])
    expect(imported.status).toBe(200)
    const index = (name: string, field: string, unique: boolean) => ({ IndexName: name, MgoKeySchema: { MgoIsUnique: unique, MgoIndexKeys: [{ Name: field, Direction: '1' }] } })
    const refused = await refusal(manager.database.updateCollection('skus', { CreateIndexes: [index('byShelf', 'shelf', false), index('bySku', 'sku', true)] }))
    expect(refused.code, refused.message).toBe('FailedOperation')
    expect(refused.message).toMatch(/E11000 duplicate key error collection: skus index: bySku dup key/)
    expect((await emulator.request('GET', '/_emulator/db/skus/indexes')).body.data).toEqual([])
  })

  it('answers what it does not serve, and malformed requests, as the platform does', async () => {
    const unknown = await signed('scf', 'ListLayers', {})
    expect(unknown.Error.Code).toBe('UnsupportedOperation')
    expect(unknown.Error.Message).toMatch(/scf ListLayers/)
    expect(unknown.RequestId).toMatch(/^[0-9a-f-]{36}$/)
    expect((await signed('tcb', 'DescribeEnvInfo', {}, { authorization: 'Bearer nothing' })).Error.Code).toBe('AuthFailure.SignatureFailure')
    expect((await signed('tcb', 'DescribeEnvInfo', {}, { timestamp: Math.floor(Date.now() / 1000) - 1000 })).Error.Code).toBe('AuthFailure.SignatureExpire')
    const otherEnv = await signed('tcb', 'DescribeEnvInfo', { EnvId: 'someone-else' })
    expect(otherEnv.Error).toMatchObject({ Code: 'ResourceNotFound', Message: expect.stringMatching(/someone-else/) })
    expect((await signed('tcb', 'DescribeEnvInfo', { EnvId: ENV })).EnvInfo.EnvBaseInfo).toMatchObject({ EnvId: ENV, Status: 'NORMAL' })
    const cos = await signed('scf', 'CreateFunction', { FunctionName: 'viaCos', Code: { CosBucketName: 'b', CosObjectName: '/x.zip' } })
    expect(cos.Error).toMatchObject({ Code: 'UnsupportedOperation', Message: expect.stringMatching(/deployMode "zip"/) })
    const triggers = [
      { TriggerName: 'sevenFields', Type: 'timer', TriggerDesc: '0 0 1 * * * *' },
      { TriggerName: 'fiveFields', Type: 'timer', TriggerDesc: '* * * * *' },
    ]
    const badCron = await signed('scf', 'BatchCreateTrigger', { FunctionName: 'greeter', Triggers: JSON.stringify(triggers), Count: 2 })
    expect(badCron.Error).toMatchObject({ Code: 'InvalidParameterValue', Message: expect.stringMatching(/fiveFields/) })
    expect(badCron.Error.Message).not.toMatch(/sevenFields/)
    expect((await signed('tcb', 'CreateTable', { TableName: 'places' })).Error.Code).toBe('ResourceInUse.TableExist')
    const notTimer = await signed('scf', 'BatchCreateTrigger', { FunctionName: 'greeter', Triggers: JSON.stringify([{ TriggerName: 'web', Type: 'apigw', TriggerDesc: '{}' }]) })
    expect(notTimer.Error.Code).toBe('InvalidParameter')
    expect((await signed('scf', 'GetFunction', { FunctionName: 'nobody' })).Error.Code).toBe('ResourceNotFound.Function')
  })

  it('counts the management requests per action, and DELETE /_emulator/stats resets them', async () => {
    const counts = (await emulator.request('GET', '/_emulator/stats')).body.management.byAction
    expect(counts.CreateFunction).toBeGreaterThanOrEqual(3)
    expect(counts.GetFunction).toBeGreaterThanOrEqual(3)
    expect(counts.ListLayers).toBe(1)
    expect((await emulator.request('DELETE', '/_emulator/stats')).body.management.byAction).toEqual({})
  })

  it('serves what was deployed again after a restart on the same data folder', async () => {
    await emulator.stop()
    await start()
    expect((await emulator.request('GET', '/_emulator/functions')).body.data).toMatchObject([{ name: 'greeter', timer: null, timeoutMs: 7000 }])
    expect(await emulator.result('greeter')).toMatchObject({ version: 2, greeting: 'hello' })
    const kept = (await emulator.request('GET', '/_emulator/db/places/indexes')).body.data as Array<{ name: string }>
    expect(kept.map((index) => index.name).sort()).toEqual(['byCityRank', 'byCode'])
  })
})

describe('a start that lays out db/', () => {
  it('writes the schema record with the version of the declarations', async () => {
    const own = await spawnEmulator({ args: ['--no-timers'] })
    try {
      const record = (await own.request('GET', '/_emulator/db/_meta')).body.data as Array<Record<string, unknown>>
      expect(record).toEqual([
        { _id: 'schema', version: schemaVersion(join(ROOT, 'db')), collections: expect.any(Array), migratedAt: { $date: expect.any(String) }, by: 'emulator' },
      ])
      const declared = ((await own.request('GET', '/_emulator/db')).body.data as string[]).filter((name) => name !== '_meta')
      expect(record[0]!.collections).toEqual(declared)
    } finally {
      await own.stop()
    }
  })
})
