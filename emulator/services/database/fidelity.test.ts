/**
 * The database language as the service speaks it, where the emulator once
 * differed: transactions with snapshot reads and write locks, the counts
 * that `set()` and `updateAndReturn` report, field names, and the operators
 * mingo lacks or reads otherwise. Each expectation is the service's own
 * answer, as its public SDK test suite records it.
 */
import { describe, expect, it } from 'vitest'
import { cmd, date, useProbe } from './probe'

const { run, ok, fresh, emulator } = useProbe()

const CONFLICT = '[ResourceUnavailable.TransactionConflict] Transaction is conflict, maybe resource operated by others. Please check your request, but if the problem persists, contact us.'
const NOT_EXIST =
  '[ResourceUnavailable.TransactionNotExist] Transaction does not exist on the server, transaction must be commit or abort in 30 seconds. Please check your request, but if the problem persists, contact us.'

type Step = { in?: string; collection: string; calls: unknown[][] }
const transactions = async (steps: Step[], end: Record<string, 'commit' | 'rollback'>) =>
  (await emulator.result('probe', { op: 'transactions', steps, end })).ok as Array<{ ok?: any; error?: { errCode: unknown; errMsg: string } }>

const passages = () =>
  fresh([
    { _id: '1', category: 'Web', tags: ['JavaScript', 'C#'] },
    { _id: '2', category: 'Web', tags: ['Go', 'C#'] },
    { _id: '3', category: 'Life', tags: ['Go', 'Python'] },
  ])

describe('transactions, as the service isolates them', () => {
  it('read from the snapshot of their start, and a write to a document changed since is a conflict', async () => {
    const c = await passages()
    const [, , , one, two, update, commit] = await transactions(
      [
        { in: 'a', collection: c, calls: [['doc', '1'], ['get']] },
        { collection: c, calls: [['doc', '1'], ['set', { data: { category: 'outside' } }]] },
        { collection: c, calls: [['doc', '2'], ['set', { data: { category: 'outside' } }]] },
        { in: 'a', collection: c, calls: [['doc', '1'], ['get']] },
        { in: 'a', collection: c, calls: [['doc', '2'], ['get']] },
        { in: 'a', collection: c, calls: [['doc', '1'], ['update', { data: { category: 'inside' } }]] },
      ],
      { a: 'commit' },
    )
    expect(one!.ok.data).toMatchObject({ _id: '1', category: 'Web' })
    expect(two!.ok.data).toMatchObject({ _id: '2', category: 'Web' })
    expect(update!.error!.errMsg).toContain(CONFLICT)
    // The conflict ended the transaction, as MongoDB's write conflict aborts it.
    expect(commit!.error!.errMsg).toContain(NOT_EXIST)
    expect((await ok(c, ['doc', '1'], ['get'])).data.category).toBe('outside')
  })

  it('lock what they write: another transaction’s write to it is a conflict at once', async () => {
    const c = await passages()
    const [read, written, refused, commitB] = await transactions(
      [
        { in: 'a', collection: c, calls: [['doc', '1'], ['get']] },
        { in: 'b', collection: c, calls: [['doc', '1'], ['update', { data: { category: '冲突检测' } }]] },
        { in: 'a', collection: c, calls: [['doc', '1'], ['update', { data: { category: 'Web冲突检测' } }]] },
      ],
      { b: 'commit' },
    )
    expect(read!.ok.data.category).toBe('Web')
    expect(written!.ok.stats.updated).toBe(1)
    expect(refused!.error!.errMsg).toContain(CONFLICT)
    expect(commitB!.ok).toBeDefined()
    expect((await ok(c, ['doc', '1'], ['get'])).data.category).toBe('冲突检测')
  })

  it('keep their writes from others until commit', async () => {
    const c = await passages()
    const [, outside, inside] = await transactions(
      [
        { in: 'a', collection: c, calls: [['doc', '1'], ['update', { data: { category: 'update in transaction' } }]] },
        { collection: c, calls: [['doc', '1'], ['get']] },
        { in: 'a', collection: c, calls: [['doc', '1'], ['get']] },
      ],
      { a: 'rollback' },
    )
    expect(outside!.ok.data.category).toBe('Web')
    expect(inside!.ok.data.category).toBe('update in transaction')
  })

  it('run queries, batch inserts and updateAndReturn', async () => {
    const c = await passages()
    const steps = await transactions(
      [
        { in: 'a', collection: c, calls: [['add', { data: [{ name: 'a' }, { name: 'b' }] }]] },
        { in: 'a', collection: c, calls: [['where', cmd('or', [{ name: 'a' }, { name: 'b' }])], ['get']] },
        { in: 'a', collection: c, calls: [['where', { category: 'Web' }], ['updateAndReturn', { category: 'web' }]] },
        { collection: c, calls: [['where', { name: cmd('exists', true) }], ['count']] },
      ],
      { a: 'commit' },
    )
    expect(steps[0]!.ok._ids).toHaveLength(2)
    expect(steps[1]!.ok.data.map((d: { name: string }) => d.name)).toEqual(['a', 'b'])
    expect(steps[2]!.ok).toMatchObject({ updated: 1, doc: { _id: '1', category: 'web' } })
    expect(steps[3]!.ok.total).toBe(0)
    expect(steps[4]!.ok).toBeDefined()
    expect((await ok(c, ['where', { name: cmd('exists', true) }], ['count'])).total).toBe(2)
    expect((await ok(c, ['doc', '1'], ['get'])).data.category).toBe('web')
  })

  it('take a numeric _id, inside and outside, distinct from the same digits as text', async () => {
    const c = await fresh()
    const id = 1_764_300_000_000
    const [added, commit] = await transactions([{ in: 'a', collection: c, calls: [['add', { data: { _id: id, category: 'Web' } }]] }], { a: 'commit' })
    expect(added!.ok._id).toBe(id)
    expect(commit!.ok).toBeDefined()
    await ok(c, ['add', { data: { _id: String(id), category: 'text' } }])
    expect((await ok(c, ['doc', id], ['get'])).data).toEqual({ _id: id, category: 'Web' })
    expect((await ok(c, ['doc', String(id)], ['get'])).data.category).toBe('text')
    expect((await ok(c, ['doc', id], ['remove'])).stats.removed).toBe(1)
    expect((await ok(c, ['count'])).total).toBe(1)
  })
})

describe('what writes report', () => {
  it('set() with the data a document already holds counts it as updated', async () => {
    // The stored fields in the order set() sends them, so that nothing at all differs.
    const c = await fresh([{ name: 'geo', n: 1, _id: 'g' }])
    expect((await ok(c, ['doc', 'g'], ['set', { data: { name: 'geo', n: 1 } }])).stats.updated).toBe(1)
  })

  it('updateAndReturn: the same value counts as updated; no match gives doc null', async () => {
    const c = await fresh([{ a: 1 }])
    expect(await ok(c, ['where', { a: 1 }], ['updateAndReturn', { a: 1 }])).toMatchObject({ updated: 1, doc: { a: 1 } })
    expect(await ok(c, ['where', { a: -1 }], ['updateAndReturn', { a: 1 }])).toMatchObject({ updated: 0, doc: null })
  })
})

describe('field names', () => {
  it('a name with a dot is stored as it is', async () => {
    const c = await fresh()
    const added = await ok(c, ['add', { data: { _id: 'dot', 'key.': '1' } }])
    expect(added._id).toBe('dot')
    expect((await ok(c, ['doc', 'dot'], ['get'])).data).toEqual({ _id: 'dot', 'key.': '1' })
  })

  it('a name starting with $ is DATABASE_REQUEST_FAILED, and nothing is written', async () => {
    const c = await fresh()
    const reply = await run(c, ['add', { data: { _id: 'dollar', $_key: 1 } }])
    expect(reply.error.errCode).toBe(-502001)
    expect((await ok(c, ['count'])).total).toBe(0)
  })
})

describe('operators', () => {
  const people = () =>
    fresh([
      { firstName: 'Yuanxin', birthday: '1999/12/12', at: date('2019-05-14T09:38:51.686Z'), tags: [1, 5, 9], category: 'number' },
      { firstName: 'Weijia', birthday: '1998/11/11', at: date('2019-01-01T00:00:00.000Z'), tags: [1, 2] },
      { firstName: 'Chengxi', birthday: '1997/10/10', at: date('2019-01-06T12:00:00.000Z'), tags: [] },
    ])
  const project = async (c: string, fields: Record<string, unknown>) =>
    (await emulator.result('probe', { op: 'aggregate', collection: c, stages: [['project', { _id: 0, ...fields }]] })).ok.list

  it('$indexOfCP finds by code point', async () => {
    const c = await people()
    expect(await project(c, { i: { $agg: 'indexOfCP', args: [['$firstName', 'a']] } })).toEqual([{ i: 2 }, { i: 5 }, { i: -1 }])
  })

  it('$substr with a negative length reads to the end', async () => {
    const c = await people()
    const parts = { year: { $agg: 'substr', args: [['$birthday', 0, 4]] }, day: { $agg: 'substr', args: [['$birthday', 8, -1]] } }
    expect(await project(c, parts)).toEqual([
      { year: '1999', day: '12' },
      { year: '1998', day: '11' },
      { year: '1997', day: '10' },
    ])
  })

  it('$week counts Sunday-started weeks from 0, beside $isoWeek', async () => {
    const c = await people()
    const weeks = await project(c, { week: { $agg: 'week', args: ['$at'] }, isoWeek: { $agg: 'isoWeek', args: ['$at'] } })
    expect(weeks).toEqual([
      { week: 19, isoWeek: 20 },
      { week: 0, isoWeek: 1 },
      { week: 1, isoWeek: 1 },
    ])
  })

  it('$elemMatch over an array of plain values', async () => {
    const c = await people()
    const names = (reply: { data: Array<{ firstName: string }> }) => reply.data.map((d) => d.firstName)
    expect(names(await ok(c, ['where', { tags: cmd('elemMatch', cmd('gt', 2)) }], ['get']))).toEqual(['Yuanxin'])
    expect(names(await ok(c, ['where', { tags: cmd('elemMatch', cmd('neq', 1)) }], ['get']))).toEqual(['Yuanxin', 'Weijia'])
    const matched = await emulator.result('probe', { op: 'aggregate', collection: c, stages: [['match', { tags: cmd('elemMatch', cmd('gte', 9)) }], ['project', { _id: 0, firstName: 1 }]] })
    expect(matched.ok.list).toEqual([{ firstName: 'Yuanxin' }])
  })

  it('$jsonSchema in a query', async () => {
    const c = await people()
    expect((await ok(c, ['where', cmd('jsonSchema', { required: ['category'] })], ['count'])).total).toBe(1)
    const typed = cmd('jsonSchema', { properties: { tags: { bsonType: 'array', minItems: 1 }, firstName: { type: 'string', pattern: '^[A-Z]' } } })
    expect((await ok(c, ['where', typed], ['count'])).total).toBe(2)
    expect((await ok(c, ['where', cmd('nor', [cmd('jsonSchema', { required: ['category'] })])], ['count'])).total).toBe(2)
    const unknown = await run(c, ['where', cmd('jsonSchema', { frobnicate: true })], ['get'])
    expect(unknown.error.errMsg).toMatch(/unknown keyword frobnicate/)
  })
})

describe('geo, over a 2dsphere index', () => {
  const point = (longitude: number, latitude: number) => ({ $point: [longitude, latitude] })
  const square = (half: number) => ({ $polygon: [[[-half, -half], [half, -half], [half, half], [-half, half], [-half, -half]]] })
  const at = '2026-03-01T00:00:00.000Z'
  const before = (ms: number) => date(new Date(Date.parse(at) - ms).toISOString())

  it('geoNear as an aggregate stage: the query, the distance in metres, the location included', async () => {
    const tag = `t${Date.now()}`
    await ok('attractions', [
      'add',
      {
        data: [
          { tag, city: 'Guangzhou', location: point(113.30593, 23.1361155), date: date(at) },
          { tag, city: 'Hangzhou', location: point(113.306789, 23.1564721), date: before(1000) },
          { tag, city: 'Beijing', location: point(116.3949659, 39.9163447), date: before(-1000) },
          { tag, city: 'Beijing', location: point(116.2328567, 40.242373) },
        ],
      },
    ])
    const near = { distanceField: 'distance', spherical: true, near: point(113.3089506, 23.0968251), query: { tag, city: { $regexp: 'zhou' }, date: cmd('lt', date(at)) }, key: 'location', includeLocs: 'location' }
    const reply = await emulator.result('probe', { op: 'aggregate', collection: 'attractions', stages: [['geoNear', near]] })
    expect(reply.ok.list).toHaveLength(1)
    // An aggregation hands GeoJSON back as it is stored; only get() turns it into db.Geo types.
    expect(reply.ok.list[0]).toMatchObject({ city: 'Hangzhou', distance: 6643.521654040738, location: { type: 'Point', coordinates: [113.306789, 23.1564721] } })

    const all = { distanceField: 'd', near: point(113.3089506, 23.0968251), query: { tag } }
    const ordered = await emulator.result('probe', { op: 'aggregate', collection: 'attractions', stages: [['geoNear', all], ['project', { _id: 0, city: 1 }]] })
    expect(ordered.ok.list.map((d: { city: string }) => d.city)).toEqual(['Guangzhou', 'Hangzhou', 'Beijing', 'Beijing'])
  })

  it('geoNear in a query: nearest first, within the bounds', async () => {
    const tag = `n${Date.now()}`
    await ok('attractions', ['add', { data: [3, 0, 2, 1].map((k) => ({ tag, k, location: point(22 + k * 0.01, 33) })) }])
    const reply = await ok('attractions', ['where', { tag, location: cmd('geoNear', { geometry: point(22, 33), maxDistance: 2500, minDistance: 0 }) }], ['get'])
    expect(reply.data.map((d: { k: number }) => d.k)).toEqual([0, 1, 2])
    expect(reply.data[0].location).toEqual({ longitude: 22, latitude: 33 })
  })

  it('geoWithin a polygon or a centre sphere, and geoIntersects a line', async () => {
    const tag = `w${Date.now()}`
    await ok('attractions', [
      'add',
      { data: [{ tag, name: 'origin', location: point(0, 0) }, { tag, name: 'far', location: point(5, 5) }, { tag, name: 'path', location: { $lineString: [[-3, 0], [3, 0]] } }] },
    ])
    const names = async (condition: unknown) => (await ok('attractions', ['where', { tag, location: condition }], ['get'])).data.map((d: { name: string }) => d.name).sort()
    expect(await names(cmd('geoWithin', { geometry: square(2) }))).toEqual(['origin'])
    expect(await names(cmd('geoWithin', { centerSphere: [point(5, 5), 0.01] }))).toEqual(['far'])
    expect(await names(cmd('geoIntersects', { geometry: square(2) }))).toEqual(['origin', 'path'])
    expect(await names(cmd('geoIntersects', { geometry: { $lineString: [[0, -1], [0, 1]] } }))).toEqual(['origin', 'path'])
    expect((await ok('attractions', ['where', { tag, location: cmd('geoWithin', { geometry: square(2) }) }], ['remove'])).stats.removed).toBe(1)
  })

  it('without a 2dsphere index, a near query and a geoNear stage are refused', async () => {
    const c = await fresh([{ location: point(0, 0) }])
    const query = await run(c, ['where', { location: cmd('geoNear', { geometry: point(0, 0) }) }], ['get'])
    expect(query.error.errCode).toBe(-502001)
    expect(query.error.errMsg).toMatch(/unable to find index for \$geoNear query/)
    const stage = await emulator.result('probe', { op: 'aggregate', collection: c, stages: [['geoNear', { distanceField: 'd', near: point(0, 0) }]] })
    expect(stage.error.errMsg).toMatch(/requires a 2d or 2dsphere index/)
  })
})
