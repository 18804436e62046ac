/**
 * Cases from the service's public SDK test suite where the emulator once
 * answered otherwise: `$elemMatch` of field conditions over arrays of mixed
 * element types, `$geoNear`'s `near` as an SDK Geo.Point serializes it, and
 * `$substrBytes` with a negative count.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { connectSdk } from '../../../test/support/sdk'
import { cmd, useProbe } from './probe'

const { ok, fresh, emulator } = useProbe()

describe('$elemMatch with field conditions', () => {
  // `items` holds plain numbers in one document and documents in the others.
  const mixed = () =>
    fresh([
      { name: 'numbers', items: [1, 7, 11] },
      { name: 'positive', items: [{ value: 7 }] },
      { name: 'negative', items: [{ value: -4 }, { other: 1 }] },
      { name: 'without', items: [{ other: 1 }] },
    ])
  const names = async (c: string, condition: unknown) => (await ok(c, ['where', { items: cmd('elemMatch', condition) }], ['get'])).data.map((d: { name: string }) => d.name).sort()

  it('match only an array holding a document whose field passes, never plain values', async () => {
    const c = await mixed()
    expect(await names(c, { value: cmd('gt', 0) })).toEqual(['positive'])
    expect(await names(c, { value: cmd('exists', true) })).toEqual(['negative', 'positive'])
    expect(await names(c, { value: cmd('mod', [4, 3]) })).toEqual(['positive'])
    expect(await names(c, { value: cmd('mod', 4, 3) })).toEqual(['positive'])
  })

  it('in an aggregate match too', async () => {
    const c = await mixed()
    const stages = [['match', { items: cmd('elemMatch', { value: cmd('gt', 0) }) }], ['project', { _id: 0, name: 1 }]]
    expect((await emulator.result('probe', { op: 'aggregate', collection: c, stages })).ok.list).toEqual([{ name: 'positive' }])
  })
})

describe('$geoNear with near as a Geo.Point', () => {
  let db: any
  beforeAll(() => {
    connectSdk(emulator, 'probe-env')
    // wx-server-sdk 2.4 (@cloudbase/database 1.2) sends the stage's Geo.Point as it is, `{ longitude, latitude }`; 4.0.2 turns
    // it into GeoJSON first (the fidelity tests cover that path).
    const older = require('wx-server-sdk-2.4')
    older.init({ env: 'probe-env' })
    db = older.database()
  })

  it('takes the point as the SDK serializes it', async () => {
    const tag = `r${Date.now()}`
    const { Point } = db.Geo
    await db.collection('attractions').add({ data: { tag, city: 'Guangzhou', location: new Point(113.30593, 23.1361155) } })
    await db.collection('attractions').add({ data: { tag, city: 'Hangzhou', location: new Point(113.306789, 23.1564721) } })
    const near = new Point(113.3089506, 23.0968251)
    const reply = await db
      .collection('attractions')
      .aggregate()
      .geoNear({ near, distanceField: 'distance', spherical: true, query: { tag } })
      .project({ _id: 0, city: 1, distance: 1 })
      .end()
    expect(reply.list.map((d: { city: string }) => d.city)).toEqual(['Guangzhou', 'Hangzhou'])
    expect(reply.list[1].distance).toBe(6643.521654040738)
  })
})

describe('$substrBytes', () => {
  it('reads to the end with a negative count, as $substr does', async () => {
    const c = await fresh([{ birthday: '1999/12/12' }, { birthday: '1998/11/11' }])
    const parts = { year: { $agg: 'substrBytes', args: [['$birthday', 0, 4]] }, day: { $agg: 'substrBytes', args: [['$birthday', 8, -1]] } }
    const reply = await emulator.result('probe', { op: 'aggregate', collection: c, stages: [['project', { _id: 0, ...parts }], ['sort', { year: -1 }]] })
    expect(reply.ok?.list ?? reply).toEqual([
      { year: '1999', day: '12' },
      { year: '1998', day: '11' },
    ])
  })
})
