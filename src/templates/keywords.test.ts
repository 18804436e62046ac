/**
 * The product's keyword rules (reference, section 2): accepted and refused
 * values per type with their length boundaries, the characters refused
 * everywhere, data keys, and the cutting of long things.
 */
import { describe, expect, it } from 'vitest'
import { ONE_VALID_VALUE } from '../../test/fixtures/keyword-values'
import { keywordProblem, THING_MAX, truncateThing, typeOfKey, type KeywordType } from './keywords'

const ORDER_STATES = ['待支付', '已支付', '已取消', '已完成'] as const
const SMILE = '😀' // one code point, two UTF-16 units
const enumValuesFor = (type: KeywordType): readonly string[] | undefined => (type === 'enum' ? ORDER_STATES : undefined)

const TYPES: readonly KeywordType[] = [
  'thing',
  'number',
  'letter',
  'symbol',
  'character_string',
  'time',
  'date',
  'amount',
  'phone_number',
  'car_number',
  'name',
  'phrase',
  'enum',
]

interface Examples {
  accepted: readonly string[]
  refused: readonly string[]
}

const EXAMPLES: Record<KeywordType, Examples> = {
  thing: {
    accepted: [
      '订单已发货',
      'iPhone 15 Pro, 256G!',
      '1'.repeat(20),
      '订'.repeat(20),
      '1'.repeat(19) + SMILE, // 20 code points, 21 UTF-16 units
      SMILE.repeat(20),
    ],
    refused: ['1'.repeat(21), '1'.repeat(20) + SMILE, SMILE.repeat(21), '订'.repeat(21), ''],
  },
  number: {
    accepted: ['0', '-12.5', '3.14159', '007', '1'.repeat(32), '-' + '9'.repeat(32), '1'.repeat(16) + '.' + '1'.repeat(16)],
    refused: ['1'.repeat(33), '1'.repeat(17) + '.' + '1'.repeat(16), '1.', '.5', '1.2.3', '+5', '1e5', '1,000', '１２', '12a'],
  },
  letter: {
    accepted: ['Z', 'abc', 'VIPGold', 'a'.repeat(32)],
    refused: ['a'.repeat(33), 'abc1', 'ab c', 'é', '字', 'ａ' /* full-width */],
  },
  symbol: {
    accepted: ['!', ' ', '★★★★★', '¥', '·—…', SMILE.repeat(5), '々〇' /* Han script, but not CJK Unified Ideographs */],
    refused: ['!'.repeat(6), '★★★★★★', SMILE.repeat(6), 'a', '1', '字', '!a'],
  },
  character_string: {
    accepted: ['A1-b2_c3', 'ORDER#2024/001', 'SF1234567890', 'a'.repeat(32), SMILE.repeat(32)],
    refused: ['a'.repeat(33), 'a1'.repeat(16) + 'b', SMILE.repeat(33), '订单1', 'No.字', '快递SF123'],
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
      '1500',
      '3 pm',
      '2019-10-01',
      '2019-10-0115:01', // a date and its time need whitespace between them
      '2019年10月1日15:01',
      ' 15:01', // surrounding spaces are sent as they are, so refused
      '15:01 ',
      '15:01~',
      '12:00 ~ 13:00 ~ 14:00',
      '15：01' /* full-width colon */,
    ],
  },
  date: {
    accepted: [
      '2019年10月1日',
      '2019-10-01',
      '2019/10/01',
      '2019.10.01',
      '10-01',
      '10/01',
      '10.01',
      '10月1日',
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
      '10:00',
      '2019-10-01 25:00',
      ' 2019-10-01',
      '2019-10-01~',
      '2019-10-01～2019-10-05' /* full-width tilde */,
      'tomorrow',
    ],
  },
  amount: {
    accepted: ['100', '¥12.50', '$3', '88元', '88.8元', '￥0.5', '1234567890', '¥1234567890', '£1234567890.99'],
    refused: ['12345678901', '¥12345678901', '12345678901元', '12.345', '¥¥1', '-5', '1,000', '12.', '¥ 5', 'abc'],
  },
  phone_number: {
    accepted: ['13800138000', '+86 138 0013 8000', '(010) 1234-5678', '1'.repeat(17)],
    refused: ['1'.repeat(18), '+86 138 0013 8000 1', '138-0013-800a', '１３８', '138#123'],
  },
  car_number: {
    accepted: ['粤A12345', '京AD12345', '粤B1234学', 'AB12345', 'A1', '粤A123456' /* 8 */],
    refused: ['粤A1234567' /* 9 */, '粤', 'A', '粤A粤12345', '粤A-12345', '粤A 12345', '𠀀A12345' /* extension B */],
  },
  name: {
    accepted: ['张三', '欧阳娜娜', '张'.repeat(10), '阿卜杜·热合曼', "O'Brien", 'Mary-Jane Watson', 'a'.repeat(20), 'a'.repeat(9) + '张'],
    refused: [
      '张'.repeat(11),
      'a'.repeat(21),
      'a'.repeat(10) + '张', // mixed counts as Chinese: 11 > 10
      '张三1',
      'Agent 007',
    ],
  },
  phrase: {
    accepted: ['好', '配送中', '已发货', '五个汉字啊'],
    refused: ['六个汉字啊啊', '配送 中', 'OK', '配送中!', '配送1', '々々' /* Han script, but not CJK Unified Ideographs */],
  },
  enum: {
    accepted: [...ORDER_STATES],
    refused: ['待支付 ', '其他', 'paid', '已'],
  },
}

describe('keywordProblem examples', () => {
  for (const type of TYPES) {
    const { accepted, refused } = EXAMPLES[type]
    it(`${type}: has at least 3 examples each way`, () => {
      expect(accepted.length).toBeGreaterThanOrEqual(3)
      expect(refused.length).toBeGreaterThanOrEqual(3)
    })
    it.each(accepted.map((value) => [value]))(`${type}: accepts %j`, (value) => {
      expect(keywordProblem(type, value, enumValuesFor(type))).toBeUndefined()
    })
    it.each(refused.map((value) => [value]))(`${type}: refuses %j`, (value) => {
      expect(keywordProblem(type, value, enumValuesFor(type))).toEqual(expect.any(String))
    })
  }
})

describe('keywordProblem at the length boundaries', () => {
  it.each<[KeywordType, string, string]>([
    ['thing', '1'.repeat(19) + SMILE, '1'.repeat(20) + SMILE],
    ['number', '1'.repeat(32), '1'.repeat(33)],
    ['number', '1'.repeat(31) + '.5', '1'.repeat(32) + '.5'],
    ['letter', 'a'.repeat(32), 'a'.repeat(33)],
    ['symbol', '!'.repeat(5), '!'.repeat(6)],
    ['character_string', 'a'.repeat(32), 'a'.repeat(33)],
    ['amount', '1'.repeat(10), '1'.repeat(11)],
    ['amount', '¥' + '1'.repeat(10) + '.99元', '¥' + '1'.repeat(11) + '.99元'],
    ['phone_number', '1'.repeat(17), '1'.repeat(18)],
    ['car_number', '粤A123456', '粤A1234567'],
    ['name', '张'.repeat(10), '张'.repeat(11)],
    ['name', 'a'.repeat(20), 'a'.repeat(21)],
    ['phrase', '五个汉字啊', '六个汉字啊啊'],
  ])('%s: %j is accepted, %j is not', (type, longest, tooLong) => {
    expect(keywordProblem(type, longest)).toBeUndefined()
    expect(keywordProblem(type, tooLong)).toBe(`is not a valid ${type}`)
  })

  it('enum: refuses everything when the template has no enum values', () => {
    expect(keywordProblem('enum', '待支付')).toEqual(expect.any(String))
    expect(keywordProblem('enum', '待支付', [])).toEqual(expect.any(String))
  })
})

/** One acceptable value per type, to show that a control character alone is what refuses it. */
const VALID_VALUE: Record<KeywordType, string> = ONE_VALID_VALUE

const LINE_BREAK = 'contains a line break or a control character'

describe('refusals shared by every type', () => {
  for (const type of TYPES) {
    const valid = VALID_VALUE[type]
    it(`${type}: the base value is acceptable`, () => {
      expect(keywordProblem(type, valid, enumValuesFor(type))).toBeUndefined()
    })
    it.each([['\n'], ['\r'], ['\r\n'], ['\u0085'], ['\u2028'], ['\u2029']])(`${type}: refuses a line break %j`, (newline) => {
      for (const value of [valid + newline, newline + valid, valid + newline + valid]) {
        // The enum's values include the exact value, so only the line break can refuse it.
        expect(keywordProblem(type, value, [value])).toBe(LINE_BREAK)
      }
    })
    it.each([['\u0000'], ['\t'], ['\u001b'], ['\u001f'], ['\u007f'], ['\u0080'], ['\u009f']])(
      `${type}: refuses control %j`,
      (control) => {
        for (const value of [valid + control, control + valid]) {
          expect(keywordProblem(type, value, [value])).toBe(LINE_BREAK)
        }
      },
    )
    it(`${type}: refuses the empty string`, () => {
      expect(keywordProblem(type, '', [''])).toBe('is empty')
    })
  }
})

describe('typeOfKey', () => {
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
    expect(typeOfKey(key)).toBe(type)
  })

  it.each([
    ['thing'],
    ['thingx'],
    ['1thing'],
    ['thing1x'],
    ['Thing1'],
    ['thing 1'],
    ['thing-1'],
    ['string1'],
    ['character1'],
    ['phone1'],
    ['things1'],
    ['constructor1'],
    [''],
    ['thing１' /* full-width digit */],
  ])('%j is not a data key', (key) => {
    expect(typeOfKey(key)).toBeUndefined()
  })
})

describe('truncateThing', () => {
  it('cuts a 25-character value to 20 code points, the last an ellipsis', () => {
    const value = '您的快递已到达菜鸟驿站请及时取件谢谢您的耐心等待' // 24
    const long = value + '！'
    expect([...long]).toHaveLength(25)
    const cut = truncateThing(long)
    expect([...cut]).toHaveLength(THING_MAX)
    expect(cut).toBe([...long].slice(0, 19).join('') + '…')
    expect(cut.endsWith('…')).toBe(true)
    expect(keywordProblem('thing', cut)).toBeUndefined()
  })

  it('leaves a value of 20 characters or fewer unchanged', () => {
    for (const value of ['a'.repeat(20), '订'.repeat(20), '订单已发货', 'a']) {
      expect(truncateThing(value)).toBe(value)
    }
  })

  it('counts an emoji as one character', () => {
    const twenty = SMILE.repeat(20) // 40 UTF-16 units
    expect(truncateThing(twenty)).toBe(twenty)
    const cut = truncateThing(SMILE.repeat(25))
    expect(cut).toBe(SMILE.repeat(19) + '…')
    expect([...cut]).toHaveLength(20)
    // An emoji at the cut is kept whole, never split into a lone surrogate.
    const mixed = 'a'.repeat(18) + SMILE + SMILE + 'bbbb'
    expect(truncateThing(mixed)).toBe('a'.repeat(18) + SMILE + '…')
  })
})
