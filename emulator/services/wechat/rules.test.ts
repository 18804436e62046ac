/**
 * The emulator's keyword rules (reference, section 2): accepted and refused
 * examples per type, the length boundaries, and properties over random values.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ONE_VALID_VALUE } from '../../../test/fixtures/keyword-values'
import { checkKeywordValue, KEYWORD_TYPES, keywordTypeOf, type KeywordType } from './rules'

const ORDER_STATES = ['待支付', '已支付', '已取消', '已完成'] as const
const SMILE = '😀' // one code point, two UTF-16 units

interface Examples {
  accepted: readonly string[]
  refused: readonly string[]
}

const EXAMPLES: Record<KeywordType, Examples> = {
  thing: {
    accepted: [
      '订单已发货',
      'a',
      'Hello, 世界! #1',
      '1'.repeat(20),
      '1'.repeat(19) + SMILE, // 20 code points, 21 UTF-16 units
      SMILE.repeat(20),
    ],
    refused: ['1'.repeat(21), '1'.repeat(20) + SMILE, SMILE.repeat(21), '订'.repeat(21)],
  },
  number: {
    accepted: ['0', '-12.5', '3.14159', '007', '1'.repeat(32), '-' + '9'.repeat(32), '1'.repeat(16) + '.' + '1'.repeat(16)],
    refused: [
      '1'.repeat(33),
      '1'.repeat(17) + '.' + '1'.repeat(16),
      '1.',
      '.5',
      '1.2.3',
      '+5',
      '--1',
      '1e5',
      '1,000',
      '１２', // full-width digits
      '12a',
    ],
  },
  letter: {
    accepted: ['Z', 'abc', 'ABCdef', 'a'.repeat(32)],
    refused: ['a'.repeat(33), 'abc1', 'ab c', 'é', '字', 'ａ' /* full-width */],
  },
  symbol: {
    accepted: ['!', ' ', '@#$%^', '¥', '·—…', SMILE.repeat(5)],
    refused: ['!'.repeat(6), SMILE.repeat(6), 'a', '1', '字', '!a'],
  },
  character_string: {
    accepted: ['A1-b2_c3', 'ORDER#2024/001', '  ', 'a'.repeat(32), SMILE.repeat(32)],
    refused: ['a'.repeat(33), SMILE.repeat(33), '订单1', 'No.字'],
  },
  time: {
    accepted: [
      '15:01',
      '9:05',
      '00:00:00',
      '23:59:59',
      '2019年10月1日 15:01',
      '2019-10-01 15:01',
      '2019.10.01 23:59',
      '10/01 8:00',
      '15:01~16:00',
      '15:01 ~ 16:00',
      '2019-10-01 15:01 ~ 2019-10-02 16:00:30',
    ],
    refused: [
      '24:00',
      '12:60',
      '12:5',
      '12:00:60',
      '012:00',
      '1500',
      '3 pm',
      '2019-10-01',
      '2019-10-0115:01',
      '15:01~',
      '12:00 ~ 13:00 ~ 14:00',
    ],
  },
  date: {
    accepted: [
      '2019年10月1日',
      '2019-10-01',
      '2019/10/01',
      '2019.10.01',
      '10-01',
      '10月1日',
      '10/01',
      '1-5',
      '2019-10-01 15:01',
      '2019年10月1日 15:01:30',
      '2019-10-01 ~ 2019-10-05',
      '2019-10-01~2019-10-05',
    ],
    refused: [
      '2019-13-01',
      '2019-00-10',
      '2019-10-32',
      '19-10-01',
      '2019-10/01',
      '2019年10月',
      '10月1',
      '10:00',
      '2019-10-01 25:00',
      'tomorrow',
    ],
  },
  amount: {
    accepted: ['100', '¥12.50', '$3', '88.8元', '￥0.5', '1234567890', '€1234567890', '£1234567890.99'],
    refused: ['12.345', '¥¥1', 'abc', '12345678901', '¥12345678901', '-5', '1,000', '12.', '.5', 'CNY 5', '¥ 5'],
  },
  phone_number: {
    accepted: ['13800138000', '+8613800138000', '+86 138 0013 8000', '(010) 1234-5678', '1'.repeat(17)],
    refused: ['1'.repeat(18), '+86 138 0013 8000 1', '138-0013-800a', '１３８', '138#123', '138/123'],
  },
  car_number: {
    accepted: ['粤A12345', '粤B1234学', 'AB12345', 'A1', '京AD12345', '粤A1234D5'],
    refused: ['粤A123456X', '粤', 'A', '粤A粤12345', '粤A-12345', '粤A 12345'],
  },
  name: {
    accepted: ['张三', '欧阳娜娜', '张'.repeat(10), '阿卜杜·热合曼', 'Li 雷', "O'Brien", 'Mary-Jane Watson', 'a'.repeat(20)],
    refused: [
      '张'.repeat(11),
      'a'.repeat(21),
      'a'.repeat(10) + '张', // mixed counts as Chinese: 11 > 10
      '张a'.repeat(5) + 'x',
      '张三1',
      'Agent 007',
    ],
  },
  phrase: {
    accepted: ['好', '配送中', '已发货', '五个汉字啊'],
    refused: ['六个汉字啊啊', '配送 中', 'OK', '配送中!', '配送1'],
  },
  enum: {
    accepted: [...ORDER_STATES],
    refused: ['待支付 ', '其他', 'paid', '已'],
  },
}

/** The enum values a check of `type` runs with: the order states for `enum`, none for the others. */
const enumValuesFor = (type: KeywordType) => (type === 'enum' ? ORDER_STATES : undefined)

describe('checkKeywordValue examples', () => {
  for (const type of KEYWORD_TYPES) {
    const { accepted, refused } = EXAMPLES[type]
    it(`${type}: has at least 4 examples each way`, () => {
      expect(accepted.length).toBeGreaterThanOrEqual(4)
      expect(refused.length).toBeGreaterThanOrEqual(4)
    })
    it.each(accepted.map((value) => [value]))(`${type}: accepts %j`, (value) => {
      expect(checkKeywordValue(type, value, enumValuesFor(type))).toBeUndefined()
    })
    it.each(refused.map((value) => [value]))(`${type}: refuses %j`, (value) => {
      expect(checkKeywordValue(type, value, enumValuesFor(type))).toEqual(expect.any(String))
    })
  }
})

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
  it.each<[string, KeywordType]>([
    ['thing1', 'thing'],
    ['time2', 'time'],
    ['number01', 'number'],
    ['letter9', 'letter'],
    ['symbol3', 'symbol'],
    ['character_string12', 'character_string'],
    ['date7', 'date'],
    ['amount10', 'amount'],
    ['phone_number3', 'phone_number'],
    ['car_number4', 'car_number'],
    ['name1', 'name'],
    ['phrase2', 'phrase'],
    ['enum5', 'enum'],
  ])('%s is %s', (key, type) => {
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
