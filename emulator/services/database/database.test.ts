/**
 * Fidelity of the database service: every call form of wx-server-sdk's
 * database, run by a bundled function (the fixture project's `probe`) against
 * the emulator, through the control API. Writes, reads and updates here;
 * aggregation, transactions and indexes in database-more.test.ts.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { cmd, date, ids, useProbe } from './probe'

const { run, ok, fresh, emulator } = useProbe()

describe('add', () => {
  it('adds one document and returns its generated _id', async () => {
    const c = await fresh()
    const added = await ok(c, ['add', { data: { name: 'a', n: 1 } }])
    expect(added._id).toMatch(/^[0-9a-f]{32}$/)
    const got = await ok(c, ['doc', added._id], ['get'])
    expect(got.data).toEqual({ _id: added._id, name: 'a', n: 1 })
  })

  it('adds many documents at once, keeping given ids', async () => {
    const c = await fresh()
    const added = await ok(c, ['add', { data: [{ _id: 'x1', v: 1 }, { _id: 'x2', v: 2 }, { v: 3 }] }])
    expect(added._ids.slice(0, 2)).toEqual(['x1', 'x2'])
    expect(added._ids).toHaveLength(3)
    expect((await ok(c, ['count'])).total).toBe(3)
  })

  it('refuses a duplicate _id with the SDK error, writing nothing', async () => {
    const c = await fresh([{ _id: 'dup', v: 1 }])
    const reply = await run(c, ['add', { data: { _id: 'dup', v: 2 } }])
    expect(reply.error.errCode).toBe(-502001)
    expect(reply.error.errMsg).toMatch(/duplicate key/)
    expect((await ok(c, ['doc', 'dup'], ['get'])).data.v).toBe(1)
  })

  it('refuses to write into a collection that does not exist', async () => {
    const reply = await run('neverCreated', ['add', { data: { v: 1 } }])
    expect(reply.error.errCode).toBe(-502005)
  })

  it('keeps Dates as Dates', async () => {
    const c = await fresh()
    await ok(c, ['add', { data: { _id: 'd', at: date('2026-01-02T03:04:05.678Z') } }])
    expect((await ok(c, ['doc', 'd'], ['get'])).data.at).toEqual(date('2026-01-02T03:04:05.678Z'))
  })
})

describe('doc()', () => {
  it('get of a missing document fails with the SDK own not-found error', async () => {
    const c = await fresh()
    const reply = await run(c, ['doc', 'missing'], ['get'])
    expect(reply.error.errMsg).toMatch(/document with _id missing does not exist/)
  })

  it('set creates, then replaces the whole document', async () => {
    const c = await fresh()
    const created = await ok(c, ['doc', 's1'], ['set', { data: { a: 1, b: { c: 2 } } }])
    expect(created.stats).toEqual({ updated: 0, created: 1 })
    const replaced = await ok(c, ['doc', 's1'], ['set', { data: { z: 9 } }])
    expect(replaced.stats.updated).toBe(1)
    expect((await ok(c, ['doc', 's1'], ['get'])).data).toEqual({ _id: 's1', z: 9 })
  })

  it('update merges nested fields and reports what changed', async () => {
    const c = await fresh([{ _id: 'u1', a: 1, b: { c: 2, d: 3 } }])
    const updated = await ok(c, ['doc', 'u1'], ['update', { data: { a: 5, b: { c: 7 } } }])
    expect(updated.stats.updated).toBe(1)
    expect((await ok(c, ['doc', 'u1'], ['get'])).data).toEqual({ _id: 'u1', a: 5, b: { c: 7, d: 3 } })
    expect((await ok(c, ['doc', 'nobody'], ['update', { data: { a: 1 } }])).stats.updated).toBe(0)
  })

  it('remove deletes one document', async () => {
    const c = await fresh([{ _id: 'r1' }, { _id: 'r2' }])
    expect((await ok(c, ['doc', 'r1'], ['remove'])).stats.removed).toBe(1)
    expect(ids(await ok(c, ['get']))).toEqual(['r2'])
  })

  it('field() projects a single document', async () => {
    const c = await fresh([{ _id: 'p', a: 1, b: 2 }])
    expect((await ok(c, ['doc', 'p'], ['field', { a: true }], ['get'])).data).toEqual({ _id: 'p', a: 1 })
  })
})

describe('where() with every query command', () => {
  let c: string
  beforeAll(async () => {
    c = await fresh([
      { _id: 'a', n: 1, s: 'apple', tags: ['red', 'fruit'], o: { x: 1, y: 'p' } },
      { _id: 'b', n: 2, s: 'banana', tags: ['yellow', 'fruit'], o: { x: 2 } },
      { _id: 'c', n: 3, s: 'cherry', tags: ['red'], extra: true },
      { _id: 'd', n: 4, s: 'Date', o: { x: 3, y: 'q' } },
    ])
  })
  const where = async (condition: unknown) => ids(await ok(c, ['where', condition], ['orderBy', '_id', 'asc'], ['get']))

  it.each([
    ['eq (literal)', { n: 2 }, ['b']],
    ['eq', { n: cmd('eq', 3) }, ['c']],
    ['neq', { n: cmd('neq', 3) }, ['a', 'b', 'd']],
    ['gt', { n: cmd('gt', 2) }, ['c', 'd']],
    ['gte', { n: cmd('gte', 2) }, ['b', 'c', 'd']],
    ['lt', { n: cmd('lt', 2) }, ['a']],
    ['lte', { n: cmd('lte', 2) }, ['a', 'b']],
    ['in', { s: cmd('in', ['apple', 'Date']) }, ['a', 'd']],
    ['nin', { s: cmd('nin', ['apple', 'Date']) }, ['b', 'c']],
    ['and of commands', { n: { $cmd: 'gt', args: [1], then: [['and', cmd('lt', 4)]] } }, ['b', 'c']],
    ['and', cmd('and', [{ n: cmd('gte', 2) }, { tags: 'red' }]), ['c']],
    ['or', cmd('or', [{ n: 1 }, { s: 'Date' }]), ['a', 'd']],
    ['exists true', { extra: cmd('exists', true) }, ['c']],
    ['exists false', { o: cmd('exists', false) }, ['c']],
    ['nested path', { 'o.x': cmd('gte', 2) }, ['b', 'd']],
    ['nested object', { o: { y: 'q' } }, ['d']],
    ['array element', { tags: 'fruit' }, ['a', 'b']],
    ['RegExp', { s: { $regexp: '^[ab]' } }, ['a', 'b']],
    ['RegExp with flags', { s: { $regexp: '^d', flags: 'i' } }, ['d']],
    ['db.RegExp', { s: { $dbRegExp: { regexp: 'an', options: 'i' } } }, ['b']],
  ])('%s', async (_name, condition, expected) => {
    expect(await where(condition)).toEqual(expected)
  })

  it('count() counts what where() matches', async () => {
    expect((await ok(c, ['where', { tags: 'red' }], ['count'])).total).toBe(2)
  })
})

describe('orderBy, skip, limit, field', () => {
  let c: string
  beforeAll(async () => {
    c = await fresh(Array.from({ length: 150 }, (_, i) => ({ _id: `k${String(i).padStart(3, '0')}`, g: i % 3, v: i })))
  })

  it('orders on two fields', async () => {
    const reply = await ok(c, ['orderBy', 'g', 'desc'], ['orderBy', 'v', 'asc'], ['limit', 4], ['get'])
    expect(reply.data.map((d: any) => [d.g, d.v])).toEqual([[2, 2], [2, 5], [2, 8], [2, 11]])
  })

  it('reads unsorted in insertion order (natural order), also after an update, as MongoDB does', async () => {
    const natural = await fresh([{ _id: 'zeta', n: 1 }, { _id: 'alpha', n: 2 }, { _id: 'mid', n: 3 }])
    await ok(natural, ['doc', 'zeta'], ['update', { data: { n: 10 } }])
    await ok(natural, ['add', { data: { _id: 'beta', n: 4 } }])
    expect(ids(await ok(natural, ['get']))).toEqual(['zeta', 'alpha', 'mid', 'beta'])
    expect(ids(await ok(natural, ['where', { n: cmd('gt', 1) }], ['get']))).toEqual(['zeta', 'alpha', 'mid', 'beta'])
    const grouped = await ok(natural, ['aggregate'], ['project', { n: 1 }], ['end'])
    expect(grouped.list.map((d: { _id: string }) => d._id)).toEqual(['zeta', 'alpha', 'mid', 'beta'])
  })

  it('pages the control API’s read by insertion position, a range, to the last document and no further', async () => {
    const natural = await fresh([{ _id: 'zeta' }, { _id: 'alpha' }, { _id: 'mid' }, { _id: 'beta' }, { _id: 'omega' }])
    const seen: string[] = []
    let after: number | null = 0
    while (after !== null) {
      const page: { body: { data: Array<{ _id: string }>; next: number | null } } = await emulator.request('GET', `/_emulator/db/${natural}?limit=2&after=${after}`)
      seen.push(...page.body.data.map((d) => d._id))
      after = page.body.next
    }
    expect(seen).toEqual(['zeta', 'alpha', 'mid', 'beta', 'omega'])
    expect((await emulator.request('GET', `/_emulator/db/${natural}?after=-1`)).status).toBe(400)
    expect((await emulator.request('GET', '/_emulator/db')).body.data).toContain(natural)
    // With a filter in the database's language: the matching documents, still in ranges, and their count.
    const filter = encodeURIComponent(JSON.stringify({ _id: { $in: ['mid', 'omega', 'zeta'] } }))
    const first = await emulator.request('GET', `/_emulator/db/${natural}?limit=2&after=0&filter=${filter}`)
    expect(first.body.data.map((d: { _id: string }) => d._id)).toEqual(['zeta', 'mid'])
    const rest = await emulator.request('GET', `/_emulator/db/${natural}?limit=2&after=${first.body.next}&filter=${filter}`)
    expect(rest.body).toEqual({ data: [{ _id: 'omega' }], next: null })
    expect((await emulator.request('GET', `/_emulator/db/${natural}/count?filter=${filter}`)).body).toEqual({ total: 3 })
    // A rare match ends a page short rather than reading the whole collection; the next page reads on.
    const many = await fresh(Array.from({ length: 5200 }, (_, i) => ({ i })))
    const last = encodeURIComponent(JSON.stringify({ i: 5199 }))
    const short = await emulator.request('GET', `/_emulator/db/${many}?limit=10&after=0&filter=${last}`)
    expect(short.body.data).toEqual([])
    expect(short.body.next).not.toBeNull()
    const found = await emulator.request('GET', `/_emulator/db/${many}?limit=10&after=${short.body.next}&filter=${last}`)
    expect(found.body.data.map((d: { i: number }) => d.i)).toEqual([5199])
    const bad = await emulator.request('GET', `/_emulator/db/${natural}/count?filter=${encodeURIComponent('{"a":{"$nosuch":1}}')}`)
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatch(/\$nosuch/)
  })

  it('replaces, deletes, exports and imports through the control API, writing nothing on a refusal', async () => {
    const c = await fresh([{ _id: 'a', n: 1, at: date('2026-01-02T03:04:05.000Z') }, { _id: 'b', n: 2 }])
    const replaced = await emulator.request('PUT', `/_emulator/db/${c}/doc/a`, { n: 10, at: { $date: '2027-01-01T00:00:00.123Z' } })
    expect(replaced.body.data).toEqual({ _id: 'a', n: 10, at: { $date: '2027-01-01T00:00:00.123Z' } })
    expect((await emulator.request('PUT', `/_emulator/db/${c}/doc/a`, { _id: 'other', n: 1 })).status).toBe(400)
    expect((await emulator.request('PUT', `/_emulator/db/${c}/doc/nobody`, { n: 1 })).status).toBe(404)
    expect((await emulator.request('DELETE', `/_emulator/db/${c}/doc/b`)).body).toEqual({ deleted: 1 })
    expect((await emulator.request('DELETE', `/_emulator/db/${c}/doc/b`)).status).toBe(404)
    const exported = (await emulator.request('GET', `/_emulator/db/${c}/export`)).body
    expect(exported).toEqual([{ _id: 'a', n: 10, at: { $date: '2027-01-01T00:00:00.123Z' } }])
    const copy = await fresh()
    expect((await emulator.request('POST', `/_emulator/db/${copy}/import`, exported)).body).toEqual({ inserted: 1 })
    expect((await ok(copy, ['doc', 'a'], ['get'])).data.at).toEqual({ $date: '2027-01-01T00:00:00.123Z' })
    // One duplicate _id and the whole import is refused.
    const again = await emulator.request('POST', `/_emulator/db/${copy}/import`, [{ _id: 'fresh' }, ...exported])
    expect(again.status).toBe(400)
    expect(again.body.error).toMatch(/duplicate key/)
    expect((await ok(copy, ['count'])).total).toBe(1)
  })

  it('returns 100 documents by default', async () => {
    expect((await ok(c, ['get'])).data).toHaveLength(100)
  })

  it('skips and limits', async () => {
    const reply = await ok(c, ['orderBy', 'v', 'asc'], ['skip', 140], ['limit', 5], ['get'])
    expect(reply.data.map((d: any) => d.v)).toEqual([140, 141, 142, 143, 144])
  })

  it('caps limit at 1000', async () => {
    const big = await fresh()
    await ok(big, ['add', { data: Array.from({ length: 1100 }, (_, i) => ({ i })) }])
    expect((await ok(big, ['limit', 5000], ['get'])).data).toHaveLength(1000)
    expect((await ok(big, ['count'])).total).toBe(1100)
  })

  it('projects fields, including or excluding', async () => {
    const included = await ok(c, ['where', { v: 7 }], ['field', { v: true }], ['get'])
    expect(included.data).toEqual([{ _id: 'k007', v: 7 }])
    const excluded = await ok(c, ['where', { v: 7 }], ['field', { v: false }], ['get'])
    expect(excluded.data).toEqual([{ _id: 'k007', g: 1 }])
  })
})

describe('update commands', () => {
  let c: string
  beforeEach(async () => {
    c = await fresh([{ _id: 'x', n: 10, arr: [1, 2, 3, 2], tags: ['a'], o: { keep: 1, drop: 2 }, gone: true }])
  })
  const apply = async (data: unknown) => {
    const updated = await ok(c, ['doc', 'x'], ['update', { data }])
    expect(updated.stats.updated).toBe(1)
    return (await ok(c, ['doc', 'x'], ['get'])).data
  }

  it.each([
    ['set', { o: cmd('set', { only: 1 }) }, { o: { only: 1 } }],
    ['remove', { gone: cmd('remove') }, { gone: undefined }],
    ['inc', { n: cmd('inc', 5) }, { n: 15 }],
    ['mul', { n: cmd('mul', 3) }, { n: 30 }],
    ['min', { n: cmd('min', 4) }, { n: 4 }],
    ['max', { n: cmd('max', 40) }, { n: 40 }],
    ['push', { tags: cmd('push', ['b', 'c']) }, { tags: ['a', 'b', 'c'] }],
    ['push with position', { tags: cmd('push', { each: ['z'], position: 0 }) }, { tags: ['z', 'a'] }],
    ['pop', { arr: cmd('pop') }, { arr: [1, 2, 3] }],
    ['shift', { arr: cmd('shift') }, { arr: [2, 3, 2] }],
    ['unshift', { tags: cmd('unshift', ['0']) }, { tags: ['0', 'a'] }],
    ['pull', { arr: cmd('pull', 2) }, { arr: [1, 3] }],
    ['pull with a condition', { arr: cmd('pull', cmd('gte', 2)) }, { arr: [1] }],
    ['pullAll', { arr: cmd('pullAll', [1, 3]) }, { arr: [2, 2] }],
    ['addToSet', { tags: cmd('addToSet', 'b') }, { tags: ['a', 'b'] }],
    ['addToSet $each', { tags: cmd('addToSet', { $each: ['a', 'b', 'c'] }) }, { tags: ['a', 'b', 'c'] }],
    ['rename', { n: cmd('rename', 'm') }, { n: undefined, m: 10 }],
    ['nested field', { 'o.keep': 5 }, { o: { keep: 5, drop: 2 } }],
  ])('%s', async (_name, data, expected) => {
    const doc = await apply(data)
    for (const [field, value] of Object.entries(expected)) expect(doc[field]).toEqual(value)
  })

  it('reports no change when the update changes nothing', async () => {
    expect((await ok(c, ['doc', 'x'], ['update', { data: { tags: cmd('addToSet', 'a') } }])).stats.updated).toBe(0)
  })

  it('serverDate becomes the server time, with its offset', async () => {
    const before = Date.now()
    const doc = await apply({ at: { $serverDate: {} }, later: { $serverDate: { offset: 60_000 } } })
    const at = Date.parse(doc.at.$date)
    expect(at).toBeGreaterThanOrEqual(before - 5)
    expect(at).toBeLessThanOrEqual(Date.now() + 5)
    expect(Date.parse(doc.later.$date) - at).toBe(60_000)
  })

  it('where().update() updates every match and reports the count', async () => {
    const many = await fresh([{ g: 1 }, { g: 1 }, { g: 2 }])
    expect((await ok(many, ['where', { g: 1 }], ['update', { data: { seen: true } }])).stats.updated).toBe(2)
    expect((await ok(many, ['where', { seen: true }], ['count'])).total).toBe(2)
  })

  it('a conditional update wins only when its condition still holds', async () => {
    const first = await ok(c, ['where', { _id: 'x', n: cmd('gt', 0) }], ['update', { data: { n: cmd('inc', -10) } }])
    const second = await ok(c, ['where', { _id: 'x', n: cmd('gt', 0) }], ['update', { data: { n: cmd('inc', -10) } }])
    expect([first.stats.updated, second.stats.updated]).toEqual([1, 0])
  })

  it('refuses to change _id', async () => {
    const reply = await run(c, ['where', { _id: 'x' }], ['update', { data: { _id: 'y' } }])
    expect(reply.error).toBeDefined()
    expect((await ok(c, ['doc', 'x'], ['get'])).data._id).toBe('x')
  })

  it('where().remove() removes every match', async () => {
    const many = await fresh([{ g: 1 }, { g: 1 }, { g: 2 }])
    expect((await ok(many, ['where', { g: 1 }], ['remove'])).stats.removed).toBe(2)
    expect((await ok(many, ['count'])).total).toBe(1)
  })
})

