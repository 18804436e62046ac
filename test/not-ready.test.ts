/**
 * A function serves only a database migrated to the schema it was built for
 * (src/schema/readiness.ts). Without the schema record (`_meta/schema`), or
 * with another version in it, every admitted call answers NOT_READY, naming
 * what is missing and `npm run deploy`, at the cost of one read and with
 * nothing written and nothing sent. Once the record is right, a warm
 * instance serves its next call without a restart, and never reads the
 * record again: one read of `_meta` per instance.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SCHEMA_RECORD, schemaVersion } from '../scripts/schema-version'
import { database } from '../src/cloud'
import { notReady } from '../src/schema/readiness'
import { ROOT, spawnEmulator } from './support/emulator'
import { connectSdk } from './support/sdk'
import { APPOINTMENT, exampleData, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct()

/** What the functions were built for: the hash of the project's db/. */
const VERSION = schemaVersion(join(ROOT, 'db'))
const OTHER = '0123456789abcdef'
const META = SCHEMA_RECORD.collection
const FUNCTIONS = ['login', 'subscribe-record', 'send', 'wechat-events'] as const

/** Sets the schema record's version through the control API (creating `_meta` and the record if need be), or removes the record. */
async function setRecord(version: string | null): Promise<void> {
  if (version === null) {
    const removed = await emulator.request('DELETE', `/_emulator/db/${META}/doc/${SCHEMA_RECORD.id}`)
    expect([200, 404]).toContain(removed.status)
    return
  }
  const record = { _id: SCHEMA_RECORD.id, version, by: 'not-ready.test' }
  if ((await emulator.request('PUT', `/_emulator/db/${META}/doc/${SCHEMA_RECORD.id}`, record)).status === 200) return
  // No record, or no collection: the emulator's own start may not have written them.
  await emulator.request('POST', '/admin', { envName: 'local', action: 'database.addCollection', collectionName: META })
  const imported = await emulator.request('POST', `/_emulator/db/${META}/import`, [record])
  expect(imported.status, JSON.stringify(imported.body)).toBe(200)
}

/** Every collection's document count, `_meta` left out (the test writes it), and every message WeChat delivered. */
async function state(): Promise<{ counts: Record<string, number>; delivered: number }> {
  const names = ((await emulator.request('GET', '/_emulator/db')).body.data as string[]).filter((name) => name !== META).sort()
  const counts: Record<string, number> = {}
  for (const name of names) counts[name] = (await emulator.request('GET', `/_emulator/db/${name}/count`)).body.total
  return { counts, delivered: (await product.delivered()).length }
}

/**
 * Every request to `_meta` is given a 1 ms latency, which the stats count
 * (`databaseFaults.latency`): so the stats say exactly how many reads of the
 * record were made, beside all requests by action.
 */
const tagMetaReads = async () => product.databaseFaults({ latencyMs: 1, collections: [META] })

async function stats(): Promise<{ total: number; byAction: Record<string, number>; metaReads: number; instances: Record<string, number> }> {
  const body = (await emulator.request('GET', '/_emulator/stats')).body
  const instances = Object.fromEntries(Object.entries(body.instances as Record<string, { busy: number; idle: number }>).map(([name, { busy, idle }]) => [name, busy + idle]))
  return { total: body.requests.total, byAction: body.requests.byAction, metaReads: body.databaseFaults.latency, instances }
}
const resetStats = () => emulator.request('DELETE', '/_emulator/stats')

/** A push-shaped call (an OPENID, from no client), as WeChat's message push is. */
const pushed = (openid: string) =>
  emulator.call(
    'wechat-events',
    { ToUserName: 'gh_0123456789ab', FromUserName: openid, CreateTime: 1_764_000_000, MsgType: 'event', Event: 'subscribe_msg_change_event', List: { TemplateId: APPOINTMENT, SubscribeStatusString: 'reject' } },
    { openid },
    { source: 'wx_unknown' },
  )

/** One admitted call of each kind to each function: its reply (the function's result, or the failed call's body). */
function calls(openid: string): Array<[string, () => Promise<{ status: number; body: Record<string, any> }>]> {
  const request = { touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) }
  return [
    ['login', () => emulator.call('login', {}, { openid })],
    ['subscribe-record, a report', () => emulator.call('subscribe-record', { results: { errMsg: 'requestSubscribeMessage:ok', [APPOINTMENT]: 'accept' }, requestId: `r-${openid}` }, { openid })],
    ['subscribe-record, a status', () => emulator.call('subscribe-record', { action: 'status', templateIds: [APPOINTMENT] }, { openid })],
    ["send, a user's send", () => emulator.call('send', request, { openid })],
    ["send, a server's send", () => emulator.call('send', { ...request, idempotencyKey: `k-${openid}` })],
    ["send, its timer's tick", () => emulator.trigger('send')],
    ['wechat-events, a push', () => pushed(openid)],
  ]
}

const resultOf = (reply: { status: number; body: Record<string, any> }) => {
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return reply.body.result as Record<string, unknown>
}

/** The replies wechat-events gave WeChat's own pushes about a user, once there are `count`. */
async function pushReplies(openid: string, count: number): Promise<unknown[]> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const { data } = (await emulator.request('GET', '/_emulator/invocations')).body as { data: Array<{ function: string; caller: { openid: string | null }; reply: string }> }
    const replies = data.filter((e) => e.function === 'wechat-events' && e.caller.openid === openid).map((e) => JSON.parse(e.reply))
    if (replies.length >= count) return replies
    if (Date.now() > deadline) throw new Error(`${replies.length} of ${count} pushes answered`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const NEVER_MIGRATED = /^the database has no schema record \(_meta\/schema\): its collections and indexes were never migrated\. Run `npm run deploy`/
const atOther = (found: string) => new RegExp(`^the database is at schema ${found}, this function was built for ${VERSION}\\. Run \`npm run deploy\``)

describe('a database not at the schema the functions were built for', () => {
  it('a failed read of the record is a database fault, not NOT_READY: the call fails, and the next call reads again', async () => {
    // The file's first call: login's one instance was never ready, so it reads the record.
    await setRecord(null)
    const openid = newOpenid('oN')
    await product.databaseFaults({ rate: 1, ops: ['get'], collections: [META] })
    const before = await state()
    const failed = await emulator.call('login', {}, { openid })
    // As any database error a handler meets: the invocation fails (-504002) with the SDK's error for the read.
    expect(failed).toMatchObject({ status: 500, body: { errCode: -504002, errMsg: expect.stringMatching(/document\.get:fail -502001 .*fault injected/) } })
    await product.databaseFaults(null)
    expect(resultOf(await emulator.call('login', {}, { openid }))).toEqual({ ok: false, code: 'NOT_READY', message: expect.stringMatching(NEVER_MIGRATED) })
    expect(await state()).toEqual(before)
  }, 60_000)

  it('refuses a caller the function does not admit with FORBIDDEN first, without reading the record', async () => {
    // Instances that were never ready: they would read the record for an admitted call.
    await setRecord(OTHER)
    await tagMetaReads()
    await resetStats()
    const openid = newOpenid('oN')
    // A push-shaped call to send, and an HTTP access call to login: neither is admitted, whatever the database.
    expect(resultOf(await emulator.call('send', { action: 'templates' }, { openid }, { source: 'wx_unknown' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect(resultOf(await emulator.call('login', {}, { openid }, { source: 'wx_http' }))).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect((await stats()).total).toBe(0)
  }, 60_000)

  it('every function answers NOT_READY to every kind of caller, at one read a call, writing and sending nothing; then a warm instance serves with no restart, and reads the record once', async () => {
    expect(VERSION).toMatch(/^[0-9a-f]{16}$/)
    await tagMetaReads()
    const openid = newOpenid('oN')
    // Each case with the message it must give (no _meta collection at all is the last test's).
    const cases: Array<[string, () => Promise<void>, RegExp]> = [
      ['no schema record', () => setRecord(null), NEVER_MIGRATED],
      ['another version', () => setRecord(OTHER), atOther(OTHER)],
    ]
    const before = await state()
    for (const [name, arrange, message] of cases) {
      await arrange()
      for (const [what, call] of calls(openid)) {
        await resetStats()
        const reply = resultOf(await call())
        expect(reply, `${name}: ${what}`).toEqual({ ok: false, code: 'NOT_READY', message: expect.stringMatching(message) })
        // The record's read and nothing else: no write, no other read.
        const cost = await stats()
        expect({ what, total: cost.total, byAction: cost.byAction, metaReads: cost.metaReads }).toEqual({ what, total: 1, byAction: { 'database.getDocument': 1 }, metaReads: 1 })
      }
    }
    // WeChat's own push, after a popup, is answered the same.
    const popper = newOpenid('oN')
    const popup = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid: popper, choices: { [APPOINTMENT]: 'accept' } })
    expect(popup.status).toBe(200)
    expect(await pushReplies(popper, 1)).toEqual([{ ok: false, code: 'NOT_READY', message: expect.stringMatching(atOther(OTHER)) }])
    expect(await state()).toEqual(before)

    // Migrated: the instances that refused serve now, each after one read of the record.
    const { instances } = await stats()
    for (const name of FUNCTIONS) expect(instances[name], name).toBe(1)
    await setRecord(VERSION)
    await resetStats()
    expect(resultOf(await emulator.call('login', {}, { openid }))).toMatchObject({ ok: true, openid })
    expect(resultOf(await emulator.call('subscribe-record', { action: 'status', templateIds: [APPOINTMENT] }, { openid }))).toMatchObject({ ok: true })
    expect(resultOf(await emulator.call('send', { action: 'templates' }))).toMatchObject({ ok: true })
    expect(resultOf(await pushed(openid))).toMatchObject({ ok: true, event: 'subscribe_msg_change_event' })
    let cost = await stats()
    expect(cost.metaReads).toBe(FUNCTIONS.length)
    expect(cost.instances).toEqual(instances)

    // Ready for the instance's life: no read of the record on any later call, of any kind.
    await resetStats()
    for (const [what, call] of calls(openid)) expect(resultOf(await call()), what).toMatchObject({ ok: expect.any(Boolean) })
    expect(resultOf(await emulator.call('login', {}, { openid }))).toMatchObject({ ok: true })
    cost = await stats()
    expect(cost.total).toBeGreaterThan(calls(openid).length)
    expect(cost.metaReads).toBe(0)
    expect(cost.instances).toEqual(instances)
  }, 60_000)

  it('reads the record once per instance: new instances read it once each, warm ones never', async () => {
    await setRecord(VERSION)
    await tagMetaReads()
    const openid = newOpenid('oN')
    const status = () => emulator.call('subscribe-record', { action: 'status', templateIds: [APPOINTMENT] }, { openid })
    // A warm instance that is ready.
    expect(resultOf(await status())).toMatchObject({ ok: true })
    await resetStats()
    const before = (await stats()).instances['subscribe-record']!
    expect(resultOf(await status())).toMatchObject({ ok: true })
    expect((await stats()).metaReads).toBe(0)
    // Calls at once need instances at once: the ones started for them read the record, once each; the warm ones do not.
    const replies = await Promise.all(Array.from({ length: 6 }, status))
    for (const reply of replies) expect(resultOf(reply)).toMatchObject({ ok: true })
    const after = await stats()
    expect(after.instances['subscribe-record']).toBeGreaterThan(before)
    expect(after.metaReads).toBe(after.instances['subscribe-record']! - before)
    // And a ready instance is ready for its life: the record changing under it is not read again.
    await setRecord(OTHER)
    await resetStats()
    expect(resultOf(await status())).toMatchObject({ ok: true })
    expect((await stats()).metaReads).toBe(0)
    await setRecord(VERSION)
  }, 60_000)

  it('no _meta collection at all (-502005) is a database never migrated; the verdict is read through the real SDK, and kept only once ready', async () => {
    // An empty environment, as before a first deploy: not one collection.
    const empty = await spawnEmulator({ project: ROOT, args: ['--empty', '--no-timers'] })
    try {
      connectSdk(empty)
      expect((await empty.request('GET', '/_emulator/db')).body.data).not.toContain(META)
      expect(await notReady(database, VERSION)).toMatch(NEVER_MIGRATED)
      expect(await notReady(database, undefined)).toMatch(/^this function was built without a schema version .*`npm run deploy`/)
      await empty.request('POST', '/admin', { envName: 'local', action: 'database.addCollection', collectionName: META })
      expect(await notReady(database, VERSION)).toMatch(NEVER_MIGRATED)
      expect((await empty.request('POST', `/_emulator/db/${META}/import`, [{ _id: SCHEMA_RECORD.id, version: OTHER }])).status).toBe(200)
      expect(await notReady(database, VERSION)).toMatch(atOther(OTHER))
      expect((await empty.request('PUT', `/_emulator/db/${META}/doc/${SCHEMA_RECORD.id}`, { version: VERSION })).status).toBe(200)
      // A fault of the read is thrown as the database's, not taken for a verdict.
      await empty.request('PUT', '/_emulator/database/faults', { rate: 1, collections: [META] })
      await expect(notReady(database, VERSION)).rejects.toMatchObject({ errCode: expect.any(Number) })
      await empty.request('DELETE', '/_emulator/database/faults')
      expect(await notReady(database, VERSION)).toBeUndefined()
      // Ready for good: the record is not read again, whatever it becomes.
      await empty.request('DELETE', `/_emulator/db/${META}/doc/${SCHEMA_RECORD.id}`)
      await empty.request('DELETE', '/_emulator/stats')
      expect(await notReady(database, VERSION)).toBeUndefined()
      expect((await empty.request('GET', '/_emulator/stats')).body.requests.total).toBe(0)
    } finally {
      await empty.stop()
    }
  }, 60_000)
})
