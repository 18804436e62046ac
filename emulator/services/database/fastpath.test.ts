/**
 * The fast paths against mingo: two readings of the same MongoDB semantics,
 * over random documents, filters and updates, must agree.
 */
import fc from 'fast-check'
import { Query, update as mingoUpdate } from 'mingo'
import { describe, expect, it } from 'vitest'
import { applyUpdate, compileMatcher } from './fastpath'
import type { Doc } from './values'

const fields = ['a', 'b', 'c.d', 'c.e']
const scalar = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom('x', 'y', 'z', ''),
  fc.boolean(),
  fc.constantFrom(new Date(0), new Date(1000)),
)
// Documents decoded from EJSON are ordinary objects, so the generated ones are too.
// Their keys are sorted: MongoDB compares embedded documents field by field in
// order, mingo ignores the order, so the two readings part there (tested below).
const object = <T>(arb: fc.Arbitrary<Record<string, T>>) =>
  arb.map((o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))))
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), object(fc.dictionary(fc.constantFrom('d', 'e'), scalar)))
const doc = fc.record({ _id: fc.constant('id'), a: value, b: value, c: value, list: fc.array(scalar, { maxLength: 2 }) }, { requiredKeys: ['_id'] })

const condition = fc.oneof(
  scalar,
  fc.record(
    {
      $eq: scalar,
      $ne: scalar,
      $gt: scalar,
      $gte: scalar,
      $lt: scalar,
      $lte: scalar,
      $in: fc.array(scalar, { maxLength: 3 }),
      $nin: fc.array(scalar, { maxLength: 3 }),
      $exists: fc.boolean(),
    },
    { requiredKeys: [] },
  ).filter((c) => Object.keys(c).length > 0),
)
const filter = fc.dictionary(fc.constantFrom(...fields), condition, { maxKeys: 3 })

describe('fast filters', () => {
  it('match exactly what mingo matches', () => {
    fc.assert(
      fc.property(filter, doc, (f, d) => {
        const expected = new Query(f, {}).test(d)
        expect(compileMatcher(f, () => new Query(f, {})).test(d)).toBe(expected)
      }),
      { numRuns: 5000 },
    )
  })
})

describe('fast updates', () => {
  const update = fc.record(
    {
      $set: fc.dictionary(fc.constantFrom(...fields, 'n', 'c.f.g'), value, { maxKeys: 2 }),
      $unset: fc.dictionary(fc.constantFrom(...fields, 'n'), fc.constant(''), { maxKeys: 2 }),
      $inc: fc.dictionary(fc.constantFrom('n', 'a', 'c.d'), fc.integer({ min: -2, max: 2 }), { maxKeys: 2 }),
      $push: fc.dictionary(
        fc.constantFrom('list', 'a', 'c.d', 'c.l'),
        fc.oneof(
          scalar,
          object(fc.dictionary(fc.constantFrom('x', 'y'), scalar)),
          fc.record({ $each: fc.array(scalar, { maxLength: 3 }) }).map((o) => ({ ...o })),
          fc.record({ $each: fc.array(scalar, { maxLength: 3 }), $slice: fc.integer({ min: -3, max: 3 }) }).map((o) => ({ ...o })),
        ),
        { maxKeys: 2 },
      ),
    },
    { requiredKeys: [] },
  )

  it('change documents exactly as mingo does, and say so when they do', () => {
    fc.assert(
      fc.property(update, doc, (u, d) => {
        const ours = structuredClone(d)
        const theirs = structuredClone(d)
        let ourResult: unknown
        let theirResult: unknown
        try {
          ourResult = applyUpdate(ours, u)
        } catch (error) {
          ourResult = 'error'
        }
        try {
          theirResult = mingoUpdate(theirs, u as never).length > 0
        } catch (error) {
          theirResult = 'error'
        }
        expect(ourResult).toBe(theirResult)
        if (ourResult !== 'error') expect(ours).toEqual(theirs)
      }),
      { numRuns: 5000 },
    )
  })

  it('keep the last n after a push with a negative $slice, as MongoDB does', () => {
    const doc: Doc = { _id: 'p', list: ['a', 'b'] }
    expect(applyUpdate(doc, { $push: { list: { $each: ['c'], $slice: -2 } } })).toBe(true)
    expect(doc.list).toEqual(['b', 'c'])
  })

  it('count an embedded document set with its fields in another order as a change, as MongoDB does', () => {
    // MongoDB finds a no-op by comparing the stored and new values byte for byte,
    // so {e, d} and {d, e} differ: the update reports nModified 1 and stores the new order.
    const doc = { _id: 'id', b: { e: 'z', d: true } }
    expect(applyUpdate(doc, { $set: { b: { d: true, e: 'z' } } })).toBe(true)
    expect(Object.keys(doc.b)).toEqual(['d', 'e'])
    expect(applyUpdate(doc, { $set: { b: { d: true, e: 'z' } } })).toBe(false)
  })
})
