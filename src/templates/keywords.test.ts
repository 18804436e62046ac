/**
 * The product's keyword rules (WeChat's subscribeMessage.send keyword table): accepted and refused
 * values per type with their length boundaries, the characters refused
 * everywhere, data keys, and the cutting of long things.
 */
import { describe, expect, it } from 'vitest'
import { DATA_KEYS, KEYWORD_TYPE_LIST, ORDER_STATES, SMILE, describeExamples } from '../../test/fixtures/keyword-examples'
import { ONE_VALID_VALUE } from '../../test/fixtures/keyword-values'
import { keywordProblem, THING_MAX, truncateThing, typeOfKey, type KeywordType } from './keywords'

const enumValuesFor = (type: KeywordType): readonly string[] | undefined => (type === 'enum' ? ORDER_STATES : undefined)

const TYPES: readonly KeywordType[] = KEYWORD_TYPE_LIST


describeExamples('keywordProblem', keywordProblem)

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
  it.each(DATA_KEYS)('%s is %s', (key, type) => {
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
