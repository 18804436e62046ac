/**
 * Fidelity of the database service, continued: aggregation, transactions,
 * indexes, and the operations that fail loudly.
 */
import { describe, expect, it } from 'vitest'
import { cmd, date, ids, useProbe } from './probe'

const { run, ok, fresh, emulator } = useProbe()

describe('aggregate', () => {
  it('matches, groups, sorts and limits', async () => {
    const c = await fresh([
      { city: 'sh', amount: 10 },
      { city: 'bj', amount: 5 },
      { city: 'sh', amount: 7 },
      { city: 'gz', amount: 1 },
      { city: 'bj', amount: 20 },
    ])
    const reply = await emulator.result('probe', {
      op: 'aggregate',
      collection: c,
      stages: [
        ['match', { amount: cmd('gt', 1) }],
        ['group', { _id: '$city', total: { $agg: 'sum', args: ['$amount'] }, count: { $agg: 'sum', args: [1] } }],
        ['sort', { total: -1 }],
        ['limit', 2],
      ],
    })
    expect(reply.ok.list).toEqual([
      { _id: 'bj', total: 25, count: 2 },
      { _id: 'sh', total: 17, count: 2 },
    ])
  })
})

describe('transactions', () => {
  it('startTransaction commits writes that read their own writes', async () => {
    const c = await fresh([{ _id: 'acct', balance: 10 }])
    const steps = await emulator.result('probe', {
      op: 'startTransaction',
      steps: [
        { collection: c, id: 'acct', method: 'update', data: { balance: cmd('inc', -3) } },
        { collection: c, id: 'acct', method: 'get' },
        { collection: c, method: 'add', data: { _id: 'log1', delta: -3 } },
      ],
    })
    expect(steps.ok[1].data.balance).toBe(7)
    expect((await ok(c, ['doc', 'acct'], ['get'])).data.balance).toBe(7)
    expect((await ok(c, ['doc', 'log1'], ['get'])).data.delta).toBe(-3)
  })

  it('keeps uncommitted writes invisible and rolls them back', async () => {
    const c = await fresh([{ _id: 'acct', balance: 10 }])
    const steps = await emulator.result('probe', {
      op: 'startTransaction',
      steps: [
        { collection: c, id: 'acct', method: 'update', data: { balance: 0 } },
        { tx: false, collection: c, id: 'acct', method: 'get' },
      ],
      end: 'rollback',
    })
    expect(steps.ok[1].data.balance).toBe(10)
    expect((await ok(c, ['doc', 'acct'], ['get'])).data.balance).toBe(10)
  })

  it('fails the commit when another write changed the same document', async () => {
    const c = await fresh([{ _id: 'acct', balance: 10 }])
    const steps = await emulator.result('probe', {
      op: 'startTransaction',
      steps: [
        { collection: c, id: 'acct', method: 'get' },
        { collection: c, id: 'acct', method: 'update', data: { balance: cmd('inc', -1) } },
        { tx: false, collection: c, id: 'acct', method: 'update', data: { balance: 100 } },
      ],
    })
    expect(steps.ok[3].error.errMsg).toMatch(/conflict/i)
    expect((await ok(c, ['doc', 'acct'], ['get'])).data.balance).toBe(100)
  })

  it('runTransaction commits, and rolls back when the callback throws or rolls back', async () => {
    const c = await fresh([{ _id: 'acct', balance: 10 }])
    const step = { collection: c, id: 'acct', method: 'update', data: { balance: cmd('inc', -4) } }
    const committed = await emulator.result('probe', { op: 'runTransaction', steps: [step] })
    expect(committed.ok.attempts).toBe(1)
    const thrown = await emulator.result('probe', { op: 'runTransaction', steps: [step], fail: 'throw' })
    expect(thrown.error.errMsg).toMatch(/the callback gave up/)
    const rolled = await emulator.result('probe', { op: 'runTransaction', steps: [step], fail: 'rollback' })
    expect(rolled.error.errMsg).toMatch(/custom reason/)
    expect((await ok(c, ['doc', 'acct'], ['get'])).data.balance).toBe(6)
  })
})

describe('indexes', () => {
  it('enforces a declared unique index, writing nothing on a violation', async () => {
    await ok('items', ['add', { data: { _id: 'i1', sku: 'SKU-1', status: 'new' } }])
    const reply = await run('items', ['add', { data: { _id: 'i2', sku: 'SKU-1' } }])
    expect(reply.error.errCode).toBe(-502001)
    expect(reply.error.errMsg).toMatch(/duplicate key.*bySku/)
    expect((await run('items', ['doc', 'i2'], ['get'])).error).toBeDefined()
    const update = await run('items', ['add', { data: { _id: 'i3', sku: 'SKU-3' } }])
    expect(update.ok).toBeDefined()
    expect((await run('items', ['doc', 'i3'], ['update', { data: { sku: 'SKU-1' } }])).error.errCode).toBe(-502001)
  })

  it('answers an indexed query by examining only what it returns', async () => {
    const docs = Array.from({ length: 300 }, (_, i) => ({
      sku: `bulk-${i}`,
      status: i % 3 === 0 ? 'due' : 'done',
      due: { $date: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString() },
    }))
    await ok('items', ['add', { data: docs }])
    await emulator.request('DELETE', '/_emulator/stats')
    const page = await ok(
      'items',
      ['where', { status: 'due', due: cmd('lte', date('2026-01-02T00:00:00.000Z')) }],
      ['orderBy', 'due', 'asc'],
      ['limit', 10],
      ['get'],
    )
    expect(page.data).toHaveLength(10)
    const stats = (await emulator.request('GET', '/_emulator/stats')).body
    expect(stats.documentsExamined).toBe(10)
    expect(stats.requests.byAction['database.getDocument']).toBe(1)

    await emulator.request('DELETE', '/_emulator/stats')
    const count = await ok('items', ['where', { status: 'due', sku: cmd('neq', 'x') }], ['count'])
    expect(count.total).toBe(100)
    expect((await emulator.request('GET', '/_emulator/stats')).body.documentsExamined).toBe(100)

    await emulator.request('DELETE', '/_emulator/stats')
    await ok('items', ['where', { note: 'unindexed' }], ['get'])
    expect((await emulator.request('GET', '/_emulator/stats')).body.documentsExamined).toBeGreaterThanOrEqual(300)
  })

  it('counts from the index alone when it captures the whole filter, examining no document', async () => {
    await emulator.request('DELETE', '/_emulator/stats')
    const covered = await ok('items', ['where', { status: 'due', due: cmd('lte', date('2026-01-01T02:00:00.000Z')) }], ['count'])
    expect((await emulator.request('GET', '/_emulator/stats')).body.documentsExamined).toBe(0)
    const listed = await ok('items', ['where', { status: 'due', due: cmd('lte', date('2026-01-01T02:00:00.000Z')) }], ['limit', 1000], ['get'])
    expect(covered.total).toBe(listed.data.length)
    expect(covered.total).toBeGreaterThan(0)
    // A condition the index cannot capture makes the count read documents again.
    await emulator.request('DELETE', '/_emulator/stats')
    const partial = await ok('items', ['where', { status: 'due', sku: cmd('neq', 'bulk-0') }], ['count'])
    expect((await emulator.request('GET', '/_emulator/stats')).body.documentsExamined).toBe(partial.total + 1)
  })

  it('pages by _id range without reading skipped documents', async () => {
    const c = await fresh(Array.from({ length: 50 }, (_, i) => ({ _id: `p${String(i).padStart(2, '0')}` })))
    await emulator.request('DELETE', '/_emulator/stats')
    const page = await ok(c, ['where', { _id: cmd('gt', 'p39') }], ['orderBy', '_id', 'asc'], ['limit', 5], ['get'])
    expect(ids(page)).toEqual(['p40', 'p41', 'p42', 'p43', 'p44'])
    expect((await emulator.request('GET', '/_emulator/stats')).body.documentsExamined).toBe(5)
  })
})

describe('unsupported operations fail loudly', () => {
  it('an unknown query operator is an error, not an empty result', async () => {
    const c = await fresh([{ a: 1 }])
    const reply = await run(c, ['where', { a: { $nosuch: 1 } }], ['get'])
    expect(reply.error.errCode).toBe(-502002)
    expect(reply.error.errMsg).toMatch(/\$nosuch/)
  })

  it('an unknown action is an error', async () => {
    const reply = await emulator.request('POST', '/admin', { action: 'database.frobnicate', collectionName: 'docs' })
    expect(reply.body.code).toBe('INVALID_ACTION')
  })

  it('$geoNear inside a filter (a stage, not a query operator) is an error', async () => {
    const c = await fresh([{ a: 1 }])
    const reply = await run(c, ['where', { loc: { $geoNear: { x: 1 } } }], ['get'])
    expect(reply.error.errCode).toBe(-502002)
    expect(reply.error.errMsg).toMatch(/\$geoNear/)
  })
})
