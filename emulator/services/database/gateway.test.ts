/**
 * The gateway over a real store: index reads, covered counts and ordered
 * early stops must give exactly what a scan filtered by mingo gives.
 */
import fc from 'fast-check'
import { Query, find } from 'mingo'
import { describe, expect, it } from 'vitest'
import { Stats } from '../../stats'
import { DatabaseGateway } from './gateway'
import { Store } from './store'

const value = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', 'b', 'c'), fc.date({ min: new Date(0), max: new Date(5000), noInvalidDate: true }))
const doc = fc.record({ s: fc.constantFrom('x', 'y', null, undefined), n: value, tag: fc.constantFrom('p', 'q') })
const bound = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', 'b', 'c'), fc.date({ min: new Date(0), max: new Date(5000), noInvalidDate: true }))
const range = fc.dictionary(fc.constantFrom('$gt', '$gte', '$lt', '$lte'), bound, { minKeys: 1, maxKeys: 2 }).map((o) => ({ ...o }))
const filter = fc.oneof(
  fc.record({ s: fc.constantFrom('x', 'y', null) }),
  fc.record({ s: fc.constantFrom('x', 'y'), n: range }),
  fc.record({ s: fc.record({ $in: fc.array(fc.constantFrom('x', 'y', null), { minLength: 1, maxLength: 2 }) }).map((o) => ({ ...o })), n: range }),
  fc.record({ s: fc.constantFrom('x', 'y'), n: range, tag: fc.constantFrom('p', 'q') }),
)

function gatewayWith(docs: Array<Record<string, unknown>>) {
  const store = new Store(':memory:')
  const stats = new Stats()
  const gateway = new DatabaseGateway(store, stats)
  gateway.applyDeclarations([{ collection: 'c', indexes: [{ name: 'sn', unique: false, keys: [{ field: 's', direction: 1 }, { field: 'n', direction: 1 }] }] }])
  if (docs.length) gateway.insert('c', docs.map((d, i) => Object.fromEntries(Object.entries({ ...d, _id: `d${i}` }).filter(([, v]) => v !== undefined))))
  return { gateway, stats, store }
}

describe('index reads agree with a scan', () => {
  it('for finds, sorted finds with limits, and counts (covered or not)', () => {
    fc.assert(
      fc.property(fc.array(doc, { maxLength: 30 }), filter, fc.integer({ min: 1, max: 10 }), (docs, f, limit) => {
        const { gateway, store } = gatewayWith(docs)
        try {
          const all = [...store.scan('c')].map((d) => d.doc)
          const expected = all.filter((d) => new Query(f, {}).test(d)).map((d) => d._id)
          expect(gateway.count('c', f)).toBe(expected.length)
          expect(gateway.find('c', f, { limit: 1000 }).map((d) => d._id).sort()).toEqual([...expected].sort())
          const sorted = gateway.find('c', f, { sort: [['n', 1], ['_id', 1]], limit }).map((d) => d._id)
          const reference = find(all, f).sort({ n: 1, _id: 1 }).limit(limit).all().map((d) => d._id)
          expect(sorted).toEqual(reference)
        } finally {
          store.close()
        }
      }),
      { numRuns: 400 },
    )
  })

  it('counts a covered filter without examining a document', () => {
    const { gateway, stats, store } = gatewayWith(Array.from({ length: 50 }, (_, i) => ({ s: i % 2 ? 'x' : 'y', n: i })))
    stats.reset()
    expect(gateway.count('c', { s: 'x', n: { $gte: 10, $lt: 20 } })).toBe(5)
    expect(stats.snapshot().documentsExamined).toBe(0)
    store.close()
  })
})
