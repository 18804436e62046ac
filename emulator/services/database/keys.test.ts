import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compare as mongoCompare } from 'mingo/util'
import { encodeComponent } from './keys'

/** Values of the types an index holds, across type boundaries. */
const indexedValue = fc.oneof(
  fc.constant(null),
  fc.double({ noNaN: true }),
  fc.integer(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.boolean(),
  fc.date({ noInvalidDate: true }),
)

describe('index key encoding', () => {
  it('orders keys byte-wise exactly as the query engine orders their values', () => {
    fc.assert(
      fc.property(indexedValue, indexedValue, (a, b) => {
        const bytes = Math.sign(Buffer.compare(encodeComponent(a), encodeComponent(b)))
        expect(bytes).toBe(Math.sign(mongoCompare(a, b)))
      }),
      { numRuns: 2000 },
    )
  })

  it('keeps compound keys in order of their first component, then the next', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer(), fc.string(), fc.integer(), (s1, n1, s2, n2) => {
        const k1 = Buffer.concat([encodeComponent(s1), encodeComponent(n1)])
        const k2 = Buffer.concat([encodeComponent(s2), encodeComponent(n2)])
        const expected = s1 === s2 ? Math.sign(n1 - n2) : s1 < s2 ? -1 : 1
        expect(Math.sign(Buffer.compare(k1, k2))).toBe(expected)
      }),
    )
  })
})
