/**
 * The operator's SDK, tcb-admin-node, speaks an older dialect of `/admin`
 * (@cloudbase/database 0.9): the emulator serves it too, so the operator's
 * tools run unchanged against it.
 */
import tcb from 'tcb-admin-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnEmulator, type RunningEmulator } from './support/emulator'

let emulator: RunningEmulator
let app: any

beforeAll(async () => {
  emulator = await spawnEmulator()
  app = tcb.init({ secretId: 'local', secretKey: 'local', env: 'local', serviceUrl: `${emulator.url}/admin` })
})
afterAll(() => emulator.stop())

describe('tcb-admin-node against the emulator', () => {
  it('adds, queries, counts, updates and removes documents', async () => {
    const db = app.database()
    const _ = db.command
    const users = db.collection('users')
    const at = new Date('2026-02-03T04:05:06.000Z')
    const added = await users.add({ _id: 'oAdmin1', unionid: 'u1', logins: 1, firstSeenAt: at })
    expect(added.id).toBe('oAdmin1')
    await users.add({ _id: 'oAdmin2', logins: 5, firstSeenAt: at })

    const found = await users.where({ logins: _.gte(1) }).orderBy('logins', 'desc').limit(10).get()
    expect(found.data.map((u: { _id: string }) => u._id)).toEqual(['oAdmin2', 'oAdmin1'])
    expect(found.data[1].firstSeenAt).toEqual(at)
    expect((await users.where({ unionid: 'u1' }).count()).total).toBe(1)

    const updated = await users.doc('oAdmin1').update({ logins: _.inc(2), note: 'x' })
    expect(updated.updated).toBe(1)
    const many = await users.where({ logins: _.gt(0) }).update({ seen: true })
    expect(many.updated).toBe(2)
    const one = (await users.doc('oAdmin1').get()).data[0]
    expect(one).toMatchObject({ _id: 'oAdmin1', logins: 3, note: 'x', seen: true })

    expect((await users.doc('oAdmin2').remove()).deleted).toBe(1)
    expect((await users.where({ seen: true }).count()).total).toBe(1)
  })

  it('aggregates', async () => {
    const db = app.database()
    const users = db.collection('users')
    await users.add({ _id: 'oAgg1', city: 'sh', logins: 2 })
    await users.add({ _id: 'oAgg2', city: 'sh', logins: 3 })
    await users.add({ _id: 'oAgg3', city: 'bj', logins: 4 })
    const $ = db.command.aggregate
    const reply = await users.aggregate().match({ city: db.command.exists(true) }).group({ _id: '$city', total: $.sum('$logins') }).sort({ total: -1 }).end()
    expect(reply.data).toEqual([
      { _id: 'sh', total: 5 },
      { _id: 'bj', total: 4 },
    ])
  })

  it('aggregates with stages whose value is a string', async () => {
    const db = app.database()
    const campaigns = db.collection('campaigns')
    await campaigns.add({ _id: 'cs1', status: 'done', tags: ['a', 'b'] })
    await campaigns.add({ _id: 'cs2', status: 'done', tags: ['b'] })
    await campaigns.add({ _id: 'cs3', status: 'open', tags: [] })
    expect((await campaigns.aggregate().match({ status: db.command.in(['done', 'open']) }).sortByCount('$status').end()).data).toEqual([
      { _id: 'done', count: 2 },
      { _id: 'open', count: 1 },
    ])
    const tags = await campaigns.aggregate().match({ status: db.command.in(['done', 'open']) }).unwind('$tags').sortByCount('$tags').end()
    expect(tags.data).toEqual([
      { _id: 'b', count: 2 },
      { _id: 'a', count: 1 },
    ])
  })

  it('stores serverDate as the server’s time, and set() says the id it inserted', async () => {
    const db = app.database()
    const before = Date.now()
    const set = await db.collection('users').doc('oAdminSet').set({ at: db.serverDate(), later: db.serverDate({ offset: 60_000 }) })
    expect(set.upsertedId).toBe('oAdminSet')
    const { at, later } = (await db.collection('users').doc('oAdminSet').get()).data[0]
    expect(at.getTime()).toBeGreaterThanOrEqual(before - 5)
    expect(later.getTime() - at.getTime()).toBe(60_000)
  })

  it('matches $elemMatch over an array of plain values, with the SDK’s own command names', async () => {
    const db = app.database()
    const _ = db.command
    const campaigns = db.collection('campaigns')
    await campaigns.add({ _id: 'em1', scores: [1, 5, 9] })
    await campaigns.add({ _id: 'em2', scores: [1, 1] })
    const ids = async (scores: unknown) => (await campaigns.where({ scores }).get()).data.map((d: { _id: string }) => d._id)
    expect(await ids(_.elemMatch(_.gt(2)))).toEqual(['em1'])
    expect(await ids(_.elemMatch(_.neq(1)))).toEqual(['em1'])
  })

  it('runs transactions', async () => {
    const db = app.database()
    await db.collection('users').add({ _id: 'oAdminTx', logins: 1 })
    const kept = await db.runTransaction(async (tx: any) => {
      const users = tx.collection('users')
      const { data } = await users.doc('oAdminTx').get()
      await users.doc('oAdminTx').update({ logins: db.command.inc(data.logins) })
      await users.add({ _id: 'oAdminTx2', logins: 0 })
      const replaced = await users.doc('oAdminTx3').set({ logins: 7 })
      expect(replaced.upserted).toEqual([{ _id: 'oAdminTx3' }])
      expect((await users.doc('oAdminTx2').delete()).deleted).toBe(1)
      return data.logins
    })
    expect(kept).toBe(1)
    const users = db.collection('users')
    expect((await users.doc('oAdminTx').get()).data[0].logins).toBe(2)
    expect((await users.doc('oAdminTx2').get()).data).toEqual([])
    expect((await users.doc('oAdminTx3').get()).data[0].logins).toBe(7)
  })

  it('calls a function as a server, with no user', async () => {
    const reply = await app.callFunction({ name: 'login', data: {} })
    expect(reply.result).toMatchObject({ ok: false, code: 'FORBIDDEN' })
  })

  it('gets the service error for a collection that does not exist', async () => {
    const reply = await app.database().collection('nowhere').get()
    expect(reply.code).toBe('DATABASE_COLLECTION_NOT_EXIST')
  })
})
