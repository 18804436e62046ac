/**
 * The product's reading of the keyword rules (src/templates/keywords.ts) held
 * against the emulator's (emulator/services/wechat/rules.ts), which plays
 * WeChat: for every type, random values biased toward that type's alphabet
 * and a set of realistic values must get the same verdict from both.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ONE_VALID_VALUE } from './fixtures/keyword-values'
import { keywordProblem, type KeywordType } from '../src/templates/keywords'
import { checkKeywordValue, KEYWORD_TYPES } from '../emulator/services/wechat/rules'

const ORDER_STATES = ['待支付', '已支付', '已取消', '已完成', 'paid', '配送 中'] as const
const enumValuesFor = (type: KeywordType): readonly string[] | undefined => (type === 'enum' ? ORDER_STATES : undefined)

interface Verdicts {
  product: string | undefined
  emulator: string | undefined
}

function verdicts(type: KeywordType, value: string): Verdicts {
  const enumValues = enumValuesFor(type)
  return { product: keywordProblem(type, value, enumValues), emulator: checkKeywordValue(type, value, enumValues) }
}

/** Same acceptability from both readings (the reasons are worded differently and are not compared). */
function expectAgreement(type: KeywordType, value: string): void {
  const { product, emulator } = verdicts(type, value)
  const context = `${type} ${JSON.stringify(value)}: product ${JSON.stringify(product)}, emulator ${JSON.stringify(emulator)}`
  expect(product === undefined, context).toBe(emulator === undefined)
}

// ---------------------------------------------------------------------------
// Alphabets. Each is a source of single characters (or short tokens); a type's
// generator mixes them with weights that favour what the type is made of.

const pick = (text: string) => fc.constantFrom(...[...text])
const tokens = (...list: string[]) => fc.constantFrom(...list)

const DIGIT = pick('0123456789')
const LETTER = pick('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')
/** Common Chinese, any CJK Unified Ideograph or extension A, and characters of the Han script outside those blocks. */
const CHINESE = fc.oneof(
  { weight: 6, arbitrary: pick('一二三四五六七八九十中文订单配送已发货张李王粤京沪学警') },
  { weight: 3, arbitrary: fc.integer({ min: 0x4e00, max: 0x9fff }).map((cp) => String.fromCodePoint(cp)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x3400, max: 0x4dbf }).map((cp) => String.fromCodePoint(cp)) },
  // Han script but not a CJK Unified Ideograph: iteration mark, ideographic zero,
  // a radical, a compatibility ideograph, extension B.
  { weight: 1, arbitrary: pick('々〇⺀⼀豈𠀀𪚥') },
)
const SYMBOL = pick('¥￥$€£-+:/.~()★ ·—…!#@%&*_,?、。😀é')
const DATE_WORD = pick('年月日元')
/** Mostly C0 and DEL (refused by both), sometimes C1 or a Unicode line separator (see the header). */
const CONTROL = fc.oneof(
  { weight: 4, arbitrary: pick('\n\r\t\u0000\u001b\u001f\u007f') },
  { weight: 1, arbitrary: pick('\u0080\u0085\u009f\u2028\u2029') },
)
/** Other printable oddities: full-width forms, non-breaking and ideographic spaces, zero-width space. */
const ODD = pick('１Ａ～：\u00a0\u3000\u200b\ufeff')

type Weighted = Array<{ weight: number; arbitrary: fc.Arbitrary<string> }>

/** Strings of `minLength`–`maxLength` units drawn from the weighted sources, with a control or an oddity now and then. */
function textOf(sources: Weighted, minLength: number, maxLength: number): fc.Arbitrary<string> {
  const unit = fc.oneof(...sources, { weight: 1, arbitrary: CONTROL }, { weight: 1, arbitrary: ODD })
  return fc.array(unit, { minLength, maxLength }).map((units) => units.join(''))
}

/** A run of one unit repeated `count` times, to sit exactly on a length boundary. */
const repeated = (unit: fc.Arbitrary<string>, min: number, max: number) =>
  fc.tuple(unit, fc.integer({ min, max })).map(([u, n]) => u.repeat(n))

const w = (weight: number, arbitrary: fc.Arbitrary<string>) => ({ weight, arbitrary })

// Pieces of dates and times, so that the structured types are hit often
// rather than once in a million random strings.
const YEAR = tokens('2019', '2024', '19', '20190')
const MONTH_OR_DAY = tokens('1', '01', '9', '10', '12', '13', '0', '00', '29', '31', '32')
const HOUR = tokens('0', '00', '8', '09', '15', '23', '24', '012')
const MINUTE = tokens('00', '01', '5', '59', '60')
const SPACE = tokens(' ', '', '  ', '\u3000', '\t', 'T')
const TILDE = tokens('~', ' ~ ', '~ ', ' ~', '～', '-', '至')

const calendar = fc.oneof(
  fc.tuple(YEAR, MONTH_OR_DAY, MONTH_OR_DAY).map(([y, m, d]) => `${y}年${m}月${d}日`),
  fc.tuple(MONTH_OR_DAY, MONTH_OR_DAY).map(([m, d]) => `${m}月${d}日`),
  fc
    .tuple(fc.option(YEAR), MONTH_OR_DAY, MONTH_OR_DAY, tokens('-', '/', '.'), tokens('-', '/', '.'))
    .map(([y, m, d, s1, s2]) => `${y === null ? '' : y + s1}${m}${s2}${d}`),
  fc.tuple(YEAR, MONTH_OR_DAY).map(([y, m]) => `${y}年${m}月`),
)
const clock = fc
  .tuple(HOUR, MINUTE, fc.option(MINUTE), tokens(':', ':', '：', '.'))
  .map(([h, m, s, colon]) => `${h}${colon}${m}${s === null ? '' : colon + s}`)
const moment = fc.oneof(
  clock,
  calendar,
  fc.tuple(calendar, SPACE, clock).map(([d, sp, c]) => d + sp + c),
)
const momentOrRange = fc.oneof(
  { weight: 3, arbitrary: moment },
  { weight: 2, arbitrary: fc.tuple(moment, TILDE, moment).map(([a, t, b]) => a + t + b) },
  { weight: 1, arbitrary: fc.tuple(moment, TILDE, moment, TILDE, moment).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.tuple(SPACE, moment, SPACE).map(([a, m, b]) => a + m + b) },
)

const CURRENCY = tokens('', '', '¥', '￥', '$', '€', '£', 'CNY', '¥¥', '-', '+', '¥ ')
const amount = fc
  .tuple(CURRENCY, repeated(DIGIT, 0, 12), fc.option(repeated(DIGIT, 0, 3)), tokens('', '', '元', '元元', '块', ' '))
  .map(([c, whole, fraction, tail]) => `${c}${whole}${fraction === null ? '' : '.' + fraction}${tail}`)

const number = fc
  .tuple(tokens('', '', '-', '+', '--'), repeated(DIGIT, 0, 34), fc.option(repeated(DIGIT, 0, 34)), tokens('', '', '.', 'e5', ','))
  .map(([sign, whole, fraction, tail]) => `${sign}${whole}${fraction === null ? '' : '.' + fraction}${tail}`)

const carNumber = fc
  .tuple(fc.option(CHINESE), textOf([w(3, LETTER), w(5, DIGIT), w(1, CHINESE), w(1, pick('- ·'))], 0, 9), fc.option(CHINESE))
  .map(([head, body, tail]) => `${head ?? ''}${body}${tail ?? ''}`)

const enumValue = fc.oneof(
  fc.constantFrom(...ORDER_STATES),
  fc.tuple(fc.constantFrom(...ORDER_STATES), fc.oneof(SYMBOL, CONTROL, ODD, CHINESE)).map(([v, extra]) => v + extra),
  fc.tuple(fc.oneof(SYMBOL, CONTROL, ODD), fc.constantFrom(...ORDER_STATES)).map(([extra, v]) => extra + v),
  fc.constantFrom(...ORDER_STATES).map((v) => [...v].slice(1).join('')),
  textOf([w(3, CHINESE), w(1, LETTER)], 1, 4),
)

/** Per type, random values biased toward what the type is made of, around its length limits. */
const GENERATORS: Record<KeywordType, fc.Arbitrary<string>> = {
  thing: fc.oneof(
    textOf([w(3, CHINESE), w(2, LETTER), w(2, DIGIT), w(2, SYMBOL)], 0, 24),
    repeated(fc.oneof(CHINESE, SYMBOL, LETTER), 18, 22),
  ),
  number: fc.oneof(number, textOf([w(8, DIGIT), w(1, pick('.-+e,')), w(1, LETTER)], 0, 36)),
  letter: fc.oneof(textOf([w(12, LETTER), w(1, DIGIT), w(1, SYMBOL), w(1, CHINESE)], 0, 36), repeated(LETTER, 30, 34)),
  symbol: fc.oneof(textOf([w(10, SYMBOL), w(1, LETTER), w(1, DIGIT), w(2, CHINESE)], 0, 7), repeated(SYMBOL, 4, 7)),
  character_string: fc.oneof(
    textOf([w(3, LETTER), w(3, DIGIT), w(3, SYMBOL), w(1, CHINESE)], 0, 36),
    repeated(fc.oneof(LETTER, DIGIT, SYMBOL), 30, 34),
  ),
  time: fc.oneof({ weight: 4, arbitrary: momentOrRange }, { weight: 1, arbitrary: textOf([w(6, DIGIT), w(2, pick(':~ -')), w(1, DATE_WORD)], 0, 20) }),
  date: fc.oneof({ weight: 4, arbitrary: momentOrRange }, { weight: 1, arbitrary: textOf([w(6, DIGIT), w(2, pick('-/.~ :')), w(2, DATE_WORD)], 0, 20) }),
  amount: fc.oneof({ weight: 3, arbitrary: amount }, { weight: 1, arbitrary: textOf([w(8, DIGIT), w(2, SYMBOL), w(1, DATE_WORD)], 0, 16) }),
  phone_number: fc.oneof(
    textOf([w(10, DIGIT), w(3, pick('+-() ')), w(1, SYMBOL), w(1, LETTER)], 0, 20),
    repeated(DIGIT, 15, 19),
  ),
  car_number: fc.oneof({ weight: 3, arbitrary: carNumber }, { weight: 1, arbitrary: textOf([w(3, LETTER), w(3, DIGIT), w(2, CHINESE)], 0, 10) }),
  name: fc.oneof(
    textOf([w(6, CHINESE), w(4, LETTER), w(2, pick(" ·-'.")), w(1, DIGIT)], 0, 22),
    repeated(CHINESE, 9, 12),
    repeated(LETTER, 19, 22),
    fc.tuple(repeated(LETTER, 8, 20), CHINESE).map(([a, b]) => a + b),
  ),
  phrase: fc.oneof(textOf([w(12, CHINESE), w(1, SYMBOL), w(1, LETTER), w(1, DIGIT)], 0, 7), repeated(CHINESE, 4, 7)),
  enum: enumValue,
}

describe('product and emulator agree on random values', () => {
  for (const type of KEYWORD_TYPES) {
    it(`${type}`, () => {
      fc.assert(
        fc.property(GENERATORS[type], (value) => expectAgreement(type, value)),
        { numRuns: 3000 },
      )
    })
  }
})

/** Values a real sender would write, per type. */
const REALISTIC: Record<KeywordType, readonly string[]> = {
  thing: ['您的快递已到达菜鸟驿站，请及时取件', 'iPhone 15 Pro 256G', '满100减20优惠券', '周末特惠🎉全场8折', '您预约的课程即将开始，请提前十分钟到场签到'],
  number: ['1', '12', '3.5', '0.01', '-2', '100000', '1e3', '第3', '12.'],
  letter: ['ABC', 'VIP', 'Gold', 'OK', 'A1', 'v2', 'VIP会员', 'Mr Li'],
  symbol: ['√', '…', '+', '好评', 'A+'],
  character_string: ['ORD-2024-0001', 'No.88', 'https://a.cn/x', 'x'.repeat(33)],
  time: [
    '9:00',
    '15:01:30',
    '2019/10/01 08:30',
    '2019.10.01 23:59:59',
    '10月1日 15:01',
    '09:00 ~ 18:00',
    '2019-10-01 15:01 ~ 2019-10-01 17:00',
    '下午3点',
    '3:00 PM',
  ],
  date: [
    '2019年10月1日 15:01',
    '2019-10-01 15:01:30',
    '2019-10-01~2019-10-07',
    '2019年10月1日 ~ 2019年10月7日',
    '10月1日~10月7日',
    '2019-10-01 ',
    '2019-10-01T15:01',
    '2019-02-30',
    '2019-10-01～2019-10-07',
    '国庆节',
  ],
  amount: ['￥12.50', '12.50元', '$9.99', '€5', '£1000', '0.01', '¥88元', '¥12.505', '¥-5', '1,000元', '¥ 12', '12.5美元'],
  phone_number: ['(010) 8888-6666', '400-800-8888', '021-12345678', '+86-10-12345678', '138-0013-8000 转 8', '95588#1'],
  car_number: ['沪B1234学', '粤B1234警', '粤AF12345', 'WJ12345', '粤A·12345'],
  name: ['Li Lei', '张三丰Zhang', '李雷2号', 'Alexander Hamilton Jr.'],
  phrase: ['待支付', '已完成', '正在配送中啊'],
  enum: ['待支付', '已支付', '已取消', '已完成', '已退款', '待支付 ', 'paid'],
}

describe('product and emulator agree on realistic values', () => {
  for (const type of KEYWORD_TYPES) {
    it.each(REALISTIC[type].map((value) => [value]))(`${type}: %j`, (value) => expectAgreement(type, value))
  }
})

describe('both refuse the C1 controls and the line and paragraph separators', () => {
  const base: Record<KeywordType, string> = ONE_VALID_VALUE
  for (const type of KEYWORD_TYPES) {
    it.each([['\u0080'], ['\u0085'], ['\u009f'], ['\u2028'], ['\u2029']])(`${type}: %j`, (character) => {
      expect(keywordProblem(type, base[type], enumValuesFor(type))).toBeUndefined()
      for (const value of [base[type] + character, character + base[type]]) {
        expect(keywordProblem(type, value, [value])).toEqual(expect.any(String))
        expect(checkKeywordValue(type, value, [value])).toEqual(expect.any(String))
      }
    })
  }
})
