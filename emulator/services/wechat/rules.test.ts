/**
 * The emulator's keyword rules (WeChat's subscribeMessage.send keyword table): accepted and refused
 * examples per type, the length boundaries, and properties over random values.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DATA_KEYS, ORDER_STATES, SMILE, describeExamples } from '../../../test/fixtures/keyword-examples'
import { ONE_VALID_VALUE } from '../../../test/fixtures/keyword-values'
import { checkKeywordValue, KEYWORD_TYPES, keywordTypeOf, type KeywordType } from './rules'

/** The enum values a check of `type` runs with: the order states for `enum`, none for the others. */
const enumValuesFor = (type: KeywordType) => (type === 'enum' ? ORDER_STATES : undefined)

describeExamples('checkKeywordValue', checkKeywordValue)

describe('checkKeywordValue reasons at the boundaries', () => {
  it.each<[KeywordType, string, string]>([
    ['thing', '1'.repeat(20) + SMILE, 'longer than 20 characters'],
    ['number', '1'.repeat(33), 'longer than 32 digits'],
    ['letter', 'a'.repeat(33), 'longer than 32 letters'],
    ['symbol', '!'.repeat(6), 'longer than 5 symbols'],
    ['character_string', 'a'.repeat(33), 'longer than 32 characters'],
    ['phone_number', '1'.repeat(18), 'longer than 17 characters'],
    ['car_number', '粤A123456X', 'longer than 8 characters'],
    ['name', '张'.repeat(11), 'longer than 10 characters with Chinese'],
    ['name', 'a'.repeat(21), 'longer than 20 characters'],
    ['phrase', '六个汉字啊啊', 'longer than 5 Chinese characters'],
  ])('%s: %j is %s', (type, value, reason) => {
    expect(checkKeywordValue(type, value)).toBe(reason)
  })

  it('enum: refuses everything when the template has no enum values', () => {
    expect(checkKeywordValue('enum', '待支付')).toMatch(/no enum values/)
    expect(checkKeywordValue('enum', '待支付', [])).toMatch(/no enum values/)
  })
})

/** One acceptable value per type, to show that a control character alone is what refuses it. */
const VALID_VALUE: Record<KeywordType, string> = ONE_VALID_VALUE

describe('refusals shared by every type', () => {
  for (const type of KEYWORD_TYPES) {
    const valid = VALID_VALUE[type]
    it(`${type}: the base value is acceptable`, () => {
      expect(checkKeywordValue(type, valid, enumValuesFor(type))).toBeUndefined()
    })
    it.each([['\n'], ['\r'], ['\r\n']])(`${type}: refuses a newline %j`, (newline) => {
      for (const value of [valid + newline, newline + valid]) {
        // The enum's values include the exact value, so only the newline can refuse it.
        expect(checkKeywordValue(type, value, [value])).toBe('contains a newline')
      }
    })
    it.each([['\u0000'], ['\t'], ['\u001b'], ['\u001f'], ['\u007f'], ['\u0085'], ['\u009f'], ['\u2028'], ['\u2029']])(`${type}: refuses control %j`, (control) => {
      const value = valid + control
      expect(checkKeywordValue(type, value, [value])).toBe('contains a control character')
    })
    it(`${type}: refuses the empty string`, () => {
      expect(checkKeywordValue(type, '', [''])).toBe('empty')
    })
    it.each([[1], [null], [undefined], [{ value: valid }], [[valid]], [true]])(`${type}: refuses non-string %j`, (value) => {
      expect(checkKeywordValue(type, value, [valid])).toBe('not a string')
    })
  }
})

describe('keywordTypeOf', () => {
  it.each(DATA_KEYS)('%s is %s', (key, type) => {
    expect(keywordTypeOf(key)).toBe(type)
  })

  it.each([['thing'], ['thingx'], ['1thing'], ['thing1x'], ['Thing1'], ['thing 1'], ['thing-1'], ['string1'], ['character1'], ['phone1'], [''], ['thing１']])(
    '%j is not a data key',
    (key) => {
      expect(keywordTypeOf(key)).toBeUndefined()
    },
  )

  it('reads back every type with any index', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KEYWORD_TYPES), fc.nat(), fc.nat({ max: 3 }), (type, index, zeros) => {
        expect(keywordTypeOf(`${type}${'0'.repeat(zeros)}${index}`)).toBe(type)
      }),
    )
  })
})

/** Any code point except the controls and the lone surrogates. */
const printableCodePoint = fc
  .integer({ min: 0x20, max: 0x10ffff })
  // Not DEL, the C1 controls or the line and paragraph separators, and no lone surrogates.
  .filter(
    (codePoint) =>
      (codePoint < 0x7f || codePoint > 0x9f) && codePoint !== 0x2028 && codePoint !== 0x2029 && (codePoint < 0xd800 || codePoint > 0xdfff),
  )
  .map((codePoint) => String.fromCodePoint(codePoint))
const printableText = (minLength: number, maxLength: number) =>
  fc.array(printableCodePoint, { minLength, maxLength }).map((characters) => characters.join(''))
const digits = (minLength: number, maxLength: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength, maxLength }).map((characters) => characters.join(''))
const chinese = (minLength: number, maxLength: number) =>
  fc
    .array(fc.oneof(fc.integer({ min: 0x4e00, max: 0x9fff }), fc.integer({ min: 0x3400, max: 0x4dbf })), { minLength, maxLength })
    .map((codePoints) => String.fromCodePoint(...codePoints))

describe('properties', () => {
  it('thing: any 1–20 printable characters are accepted, any 21 or more refused', () => {
    fc.assert(
      fc.property(printableText(1, 20), (value) => {
        expect(checkKeywordValue('thing', value)).toBeUndefined()
      }),
      { numRuns: 2000 },
    )
    fc.assert(
      fc.property(printableText(21, 40), (value) => {
        expect(checkKeywordValue('thing', value)).toBe('longer than 20 characters')
      }),
      { numRuns: 2000 },
    )
  })

  it('every type refuses any value with a newline, even one listed as an enum value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KEYWORD_TYPES),
        fc.string(),
        fc.constantFrom('\n', '\r', '\r\n'),
        fc.string(),
        (type, before, newline, after) => {
          const value = before + newline + after
          expect(checkKeywordValue(type, value, [value])).toEqual(expect.stringMatching(/newline|control/))
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('number: up to 32 digits in all, with an optional sign and point, are accepted; 33 are not', () => {
    const decimal = (count: fc.Arbitrary<number>) =>
      count.chain((total) =>
        fc.tuple(fc.boolean(), fc.integer({ min: 0, max: total - 1 }), digits(total, total)).map(([negative, decimals, all]) => {
          const integerPart = all.slice(0, total - decimals)
          const fraction = decimals > 0 ? '.' + all.slice(total - decimals) : ''
          return (negative ? '-' : '') + integerPart + fraction
        }),
      )
    fc.assert(
      fc.property(decimal(fc.integer({ min: 1, max: 32 })), (value) => {
        expect(checkKeywordValue('number', value)).toBeUndefined()
      }),
    )
    fc.assert(
      fc.property(decimal(fc.integer({ min: 33, max: 64 })), (value) => {
        expect(checkKeywordValue('number', value)).toBe('longer than 32 digits')
      }),
    )
  })

  it('amount: up to 10 integer digits and up to 2 decimals, with an optional symbol or 元, are accepted', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', '¥', '￥', '$', '€', '£'),
        digits(1, 10),
        fc.oneof(fc.constant(''), digits(1, 2).map((fraction) => '.' + fraction)),
        fc.constantFrom('', '元'),
        (symbol, integerPart, fraction, yuan) => {
          expect(checkKeywordValue('amount', symbol + integerPart + fraction + yuan)).toBeUndefined()
          expect(checkKeywordValue('amount', symbol + '1' + integerPart.padStart(10, '0') + fraction + yuan)).toEqual(
            expect.any(String),
          )
        },
      ),
    )
  })

  it('phrase and name: 1–5 (phrase) or 1–10 (name) Chinese characters are accepted, one more is not', () => {
    fc.assert(
      fc.property(chinese(1, 5), chinese(1, 1), (value, extra) => {
        expect(checkKeywordValue('phrase', value)).toBeUndefined()
        expect(checkKeywordValue('phrase', value + extra)).toBe(
          [...value].length === 5 ? 'longer than 5 Chinese characters' : undefined,
        )
      }),
    )
    fc.assert(
      fc.property(chinese(10, 10), chinese(1, 1), (value, extra) => {
        expect(checkKeywordValue('name', value)).toBeUndefined()
        expect(checkKeywordValue('name', value + extra)).toBe('longer than 10 characters with Chinese')
      }),
    )
  })
})
