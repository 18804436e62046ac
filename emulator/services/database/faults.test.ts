/**
 * Database faults: the SDKs' requests refused, applied with their reply lost,
 * applied but answered late, or delayed, as `PUT /_emulator/database/faults`
 * says; met through wx-server-sdk inside the fixture project's `probe`
 * function, and through raw `/admin` requests in both dialects.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { useProbe } from './probe'

const { run, ok, fresh, emulator } = useProbe()

const FAULTS = '/_emulator/database/faults'
const setFaults = async (settings: Record<string, unknown>) => expect((await emulator.request('PUT', FAULTS, settings)).status).toBe(200)
const docs = async (collection: string) => (await emulator.request('GET', `/_emulator/db/${collection}`)).body.data
const stats = async () => (await emulator.request('GET', '/_emulator/stats')).body

/** A raw request in the current dialect's wire form, as wx-server-sdk sends it. */
const admin = (body: Record<string, unknown>) => emulator.request('POST', '/admin', body)
const rawGet = (collection: string) => admin({ action: 'database.getDocument', collectionName: collection, query: '{}' })

afterEach(async () => {
  await emulator.request('DELETE', FAULTS)
})

describe('database faults: settings', () => {
  it('answers HTTP 400 naming the field for each value out of range or unknown key, and keeps what was set', async () => {
    await setFaults({ latencyMs: 1 })
    const refused: Array<[Record<string, unknown> | unknown[], RegExp]> = [
      [{ rate: 1.5 }, /^rate /],
      [{ rate: -0.1 }, /^rate /],
      [{ lostReply: '0.5' }, /^lostReply /],
      [{ stallRate: 2, stallMs: 10 }, /^stallRate /],
      [{ stallRate: 0.5, stallMs: 600_001 }, /^stallMs /],
      [{ stallMs: 100 }, /^stallRate is needed/],
      [{ stallRate: 0.5 }, /^stallMs is needed/],
      [{ latencyMs: -1 }, /^latencyMs /],
      [{ latencyMs: Number.NaN }, /^latencyMs /],
      [{ ops: ['read'] }, /^ops .*get, count, add, update, remove, aggregate, transaction/],
      [{ ops: [] }, /^ops /],
      [{ ops: 'update' }, /^ops /],
      [{ collections: [1] }, /^collections /],
      [{ collections: [''] }, /^collections /],
      [{ seed: 1.5 }, /^seed /],
      [{ seed: 2 ** 32 }, /^seed /],
      [{ rate: 0.5, bogus: 1 }, /bogus/],
      [{ rate: 0.6, lostReply: 0.3, stallRate: 0.2, stallMs: 10 }, /rate \+ lostReply \+ stallRate/],
      [[], /must be a JSON object/],
    ]
    for (const [body, message] of refused) {
      const reply = await emulator.request('PUT', FAULTS, body)
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect(reply.body.error, JSON.stringify(body)).toMatch(message)
    }
    expect((await emulator.request('GET', FAULTS)).body).toEqual({ latencyMs: 1 })
  })

  it('shows what is set, and DELETE clears it', async () => {
    const settings = { rate: 0.25, lostReply: 0.25, stallRate: 0.5, stallMs: 10, latencyMs: 5, ops: ['update', 'add'], collections: ['messages'], seed: 7 }
    expect((await emulator.request('PUT', FAULTS, settings)).body).toEqual(settings)
    expect((await emulator.request('GET', FAULTS)).body).toEqual(settings)
    expect((await emulator.request('DELETE', FAULTS)).body).toEqual({})
    expect((await emulator.request('GET', FAULTS)).body).toEqual({})
  })
})

describe('database faults: rate', () => {
  it('refuses the matching op on the named collection through the SDK, writing nothing; other ops and collections untouched', async () => {
    const target = await fresh([{ _id: 'a', v: 1 }])
    const other = await fresh([{ _id: 'a', v: 1 }])
    const before = (await stats()).databaseFaults.error
    await setFaults({ rate: 1, ops: ['update'], collections: [target] })

    const refused = await run(target, ['doc', 'a'], ['update', { data: { v: 2 } }])
    expect(refused.error.errCode).toBe(-502001)
    expect(refused.error.errMsg).toMatch(/fault injected by the local emulator: the request was not applied/)
    expect(await docs(target)).toEqual([{ _id: 'a', v: 1 }])

    expect((await ok(other, ['doc', 'a'], ['update', { data: { v: 2 } }])).stats.updated).toBe(1)
    expect((await ok(target, ['add', { data: { _id: 'b', v: 1 } }]))._id).toBe('b')
    expect((await ok(target, ['doc', 'a'], ['get'])).data.v).toBe(1)
    expect((await ok(target, ['count'])).total).toBe(2)
    expect(await docs(other)).toEqual([{ _id: 'a', v: 2 }])
    expect((await stats()).databaseFaults.error - before).toBe(1)
  })

  it('refuses the older dialect (tcb-admin-node) too', async () => {
    const target = await fresh([{ _id: 'a', v: 1 }])
    await setFaults({ rate: 1, ops: ['update'] })
    const reply = await admin({ action: 'database.updateDocument', collectionName: target, query: { _id: 'a' }, data: { v: 2 }, multi: false })
    expect(reply.body.code).toBe('DATABASE_REQUEST_FAILED')
    expect(await docs(target)).toEqual([{ _id: 'a', v: 1 }])
  })

  it('with ops ["transaction"], refuses a transaction\'s start but leaves plain reads alone; a collections list leaves the start alone', async () => {
    const c = await fresh([{ _id: 'a' }])
    await setFaults({ rate: 1, ops: ['transaction'] })
    expect((await admin({ action: 'database.startTransaction' })).body.code).toBe('DATABASE_REQUEST_FAILED')
    expect((await rawGet(c)).body.code).toBeUndefined()
    await setFaults({ rate: 1, ops: ['transaction'], collections: [c] })
    expect((await admin({ action: 'database.startTransaction' })).body.transactionId).toEqual(expect.any(String))
  })

  it('never faults the control API', async () => {
    const c = await fresh([{ _id: 'a', v: 1 }])
    await setFaults({ rate: 1 })
    expect((await emulator.request('GET', `/_emulator/db/${c}/count`)).body).toEqual({ total: 1 })
    expect((await emulator.request('PUT', `/_emulator/db/${c}/doc/a`, { v: 5 })).status).toBe(200)
    expect(await docs(c)).toEqual([{ _id: 'a', v: 5 }])
  })
})

describe('database faults: lost replies', () => {
  it('applies the write, then resets the connection: the SDK rejects, does not retry, and the document is written once', async () => {
    const c = await fresh()
    const before = await stats()
    await setFaults({ lostReply: 1, ops: ['add'], collections: [c] })
    const reply = await run(c, ['add', { data: { v: 1 } }])
    // wx-server-sdk 4.0.2 retries no ECONNRESET: the caller cannot tell whether the write landed.
    expect(reply.error.errCode).toBe(-501001)
    expect(reply.error.errMsg).toMatch(/socket hang up/)
    const after = await stats()
    expect((await docs(c)).map((doc: { v: number }) => doc.v)).toEqual([1])
    expect(after.requests.byAction['database.insertDocument'] - (before.requests.byAction['database.insertDocument'] ?? 0)).toBe(1)
    expect(after.databaseFaults.lostReply - before.databaseFaults.lostReply).toBe(1)
  })

  it('drops a raw request\'s connection without an answer', async () => {
    const c = await fresh()
    await setFaults({ lostReply: 1 })
    await expect(admin({ action: 'database.insertDocument', collectionName: c, data: ['{"_id":"raw","v":1}'] })).rejects.toThrow()
    expect(await docs(c)).toEqual([{ _id: 'raw', v: 1 }])
  })
})

describe('database faults: stalls and latency', () => {
  it('applies a stalled write at once and answers it stallMs later', async () => {
    const c = await fresh([{ _id: 'a', v: 1 }])
    const before = (await stats()).databaseFaults.stall
    await setFaults({ stallRate: 1, stallMs: 1500, ops: ['update'], collections: [c] })
    const started = Date.now()
    let repliedAt = 0
    const update = run(c, ['doc', 'a'], ['update', { data: { v: 2 } }]).then((reply) => {
      repliedAt = Date.now()
      return reply
    })
    // The write is visible while its caller still waits for the answer.
    await expect.poll(async () => (await docs(c))[0].v, { timeout: 5000, interval: 50 }).toBe(2)
    expect(repliedAt).toBe(0)
    expect((await update).ok.stats.updated).toBe(1)
    expect(repliedAt - started).toBeGreaterThanOrEqual(1500)
    expect((await stats()).databaseFaults.stall - before).toBe(1)
  })

  it('delays every matching request by latencyMs before it is applied', async () => {
    const c = await fresh([{ _id: 'a' }])
    const before = (await stats()).databaseFaults.latency
    await setFaults({ latencyMs: 300, ops: ['get'], collections: [c] })
    const started = Date.now()
    expect((await rawGet(c)).body.data.list).toHaveLength(1)
    expect(Date.now() - started).toBeGreaterThanOrEqual(300)
    expect((await stats()).databaseFaults.latency - before).toBe(1)
  })
})

describe('database faults: seed', () => {
  it('gives the same requests the same faults', async () => {
    const c = await fresh([{ _id: 'a' }])
    const outcomes = async () => {
      await setFaults({ rate: 0.5, collections: [c], seed: 42 })
      const seen: boolean[] = []
      for (let i = 0; i < 24; i++) seen.push((await rawGet(c)).body.code === undefined)
      return seen
    }
    const first = await outcomes()
    expect(await outcomes()).toEqual(first)
    expect(first).toContain(true)
    expect(first).toContain(false)
  })
})
