/**
 * The emulator's reading of WeChat's keyword rules for `subscribeMessage.send`
 * data (the keyword table of its documentation). The emulator plays WeChat: a value that breaks
 * its keyword's rule is answered with errcode 47003.
 *
 * Vocabulary used below:
 * - "Chinese" is a CJK Unified Ideograph (U+4E00–U+9FFF) or one of extension A
 *   (U+3400–U+4DBF).
 * - "Letter" and "digit" are ASCII only.
 * - "Symbol" is any printable character that is none of those (a space, `¥`,
 *   `é`, an emoji, ...).
 * - "Control" is U+0000–U+001F, U+007F–U+009F (DEL and the C1 controls,
 *   U+0085 a line break among them) and the line and paragraph separators
 *   U+2028/U+2029: WeChat allows no newlines or control characters
 *   anywhere. No type accepts one.
 *
 * Lengths count Unicode code points, not UTF-16 units, so an emoji is one
 * character.
 */
import type { KeywordSpec } from './registry'

export const KEYWORD_TYPES = [
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
] as const

export type KeywordType = (typeof KEYWORD_TYPES)[number]

// Anchored, so `thing1` matches `thing` and never a prefix of a longer name;
// the index is ASCII decimal digits, leading zeros allowed (`number01`).
const DATA_KEY = new RegExp(`^(${KEYWORD_TYPES.join('|')})([0-9]+)$`)

/** The keyword type a data key names (`thing1` → `thing`), or undefined when the key is not a type plus an index. */
export function keywordTypeOf(key: string): KeywordType | undefined {
  const match = DATA_KEY.exec(key)
  return match ? (match[1] as KeywordType) : undefined
}

const CHINESE = '\\u3400-\\u4DBF\\u4E00-\\u9FFF'
const CONTROL = '\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029'

const NEWLINE_PATTERN = /[\n\r]/u
const CONTROL_PATTERN = new RegExp(`[${CONTROL}]`, 'u')
const CHINESE_PATTERN = new RegExp(`[${CHINESE}]`, 'u')
const ONLY_CHINESE = new RegExp(`^[${CHINESE}]+$`, 'u')
const ONLY_LETTERS = /^[A-Za-z]+$/u
const ONLY_SYMBOLS = new RegExp(`^[^${CONTROL}${CHINESE}A-Za-z0-9]+$`, 'u')
/** Digits, letters and symbols: everything printable except Chinese. */
const ONLY_NON_CHINESE = new RegExp(`^[^${CONTROL}${CHINESE}]+$`, 'u')
/** Chinese, letters and symbols: everything printable except digits. */
const ONLY_NON_DIGITS = new RegExp(`^[^${CONTROL}0-9]+$`, 'u')

// An optional '-', then digits with at most one '.' that has digits on both sides.
const NUMBER = /^-?([0-9]+)(?:\.([0-9]+))?$/u

// At most one of the currency symbols, 1–10 integer digits, 1–2 decimals, an
// optional trailing 元. A symbol and 元 together (`¥5元`) are accepted: the
// rule only limits each to one.
const AMOUNT = /^[¥￥$€£]?[0-9]{1,10}(?:\.[0-9]{1,2})?元?$/u

const PHONE_NUMBER = /^[0-9+\-() ]+$/u

// The first and the last character may be Chinese; every other one is an
// ASCII letter or digit. Length (2–8) is checked separately in code points.
const CAR_NUMBER = new RegExp(`^[${CHINESE}A-Za-z0-9][A-Za-z0-9]*[${CHINESE}A-Za-z0-9]$`, 'u')

// Dates and times are built from pieces so that `time` and `date` share them.
const MONTH = '(?:0?[1-9]|1[0-2])'
const DAY = '(?:0?[1-9]|[12][0-9]|3[01])'
const YEAR = '[0-9]{4}'
const HOUR_24 = '(?:[01]?[0-9]|2[0-3])'
const MINUTE_OR_SECOND = '[0-5][0-9]'
const CLOCK = `${HOUR_24}:${MINUTE_OR_SECOND}(?::${MINUTE_OR_SECOND})?`
// One separator per date: `2019-10/01` is refused, so each separator is its
// own alternative rather than a character class.
const SEPARATED_DATES = ['-', '/', '\\.'].map((separator) => `(?:${YEAR}${separator})?${MONTH}${separator}${DAY}`)
const CHINESE_DATE = `(?:${YEAR}年)?${MONTH}月${DAY}日`
const CALENDAR_DATE = `(?:${[CHINESE_DATE, ...SEPARATED_DATES].join('|')})`
/** `time`: a clock time, optionally after a date. */
const TIME_POINT = `(?:${CALENDAR_DATE}\\s+)?${CLOCK}`
/** `date`: a date, optionally followed by a clock time. */
const DATE_POINT = `${CALENDAR_DATE}(?:\\s+${CLOCK})?`
const rangeOf = (point: string) => new RegExp(`^${point}(?:\\s*~\\s*${point})?$`, 'u')
const TIME = rangeOf(TIME_POINT)
const DATE = rangeOf(DATE_POINT)

function tooLong(length: number, limit: number, what = 'characters'): string | undefined {
  return length > limit ? `longer than ${limit} ${what}` : undefined
}

function checkNumber(value: string): string | undefined {
  const match = NUMBER.exec(value)
  if (!match) return 'not a number'
  const digitCount = match[1]!.length + (match[2]?.length ?? 0)
  return tooLong(digitCount, 32, 'digits')
}

function checkCarNumber(value: string, length: number): string | undefined {
  if (length < 2) return 'shorter than 2 characters'
  if (length > 8) return 'longer than 8 characters'
  return CAR_NUMBER.test(value)
    ? undefined
    : 'not a car number (only the first and the last may be Chinese, the rest letters or digits)'
}

// "Mixed counts as Chinese": one Chinese character puts the whole value under
// the 10-character limit; without one, 20 letters and symbols are allowed.
// Digits are refused either way.
function checkName(value: string, length: number): string | undefined {
  if (!ONLY_NON_DIGITS.test(value)) return 'contains a digit'
  return CHINESE_PATTERN.test(value) ? tooLong(length, 10, 'characters with Chinese') : tooLong(length, 20)
}

function checkEnum(value: string, enumValues: readonly string[] | undefined): string | undefined {
  if (!enumValues || enumValues.length === 0) return 'the template has no enum values'
  return enumValues.includes(value) ? undefined : 'not one of the enum values'
}

/**
 * Why `value` breaks the rule of a keyword of `type`, or undefined when it is
 * acceptable. `enumValues` is the template's `keywordEnumValueList` for the
 * keyword; only `enum` uses it.
 */
export function checkKeywordValue(
  type: KeywordType,
  value: unknown,
  enumValues?: readonly string[],
): string | undefined {
  if (typeof value !== 'string') return 'not a string'
  if (value === '') return 'empty'
  if (NEWLINE_PATTERN.test(value)) return 'contains a newline'
  if (CONTROL_PATTERN.test(value)) return 'contains a control character'
  const length = [...value].length
  switch (type) {
    case 'thing':
      return tooLong(length, 20)
    case 'number':
      return checkNumber(value)
    case 'letter':
      return ONLY_LETTERS.test(value) ? tooLong(length, 32, 'letters') : 'not only letters'
    case 'symbol':
      return ONLY_SYMBOLS.test(value) ? tooLong(length, 5, 'symbols') : 'not only symbols'
    case 'character_string':
      return ONLY_NON_CHINESE.test(value) ? tooLong(length, 32) : 'contains Chinese'
    case 'time':
      return TIME.test(value) ? undefined : 'not a 24-hour time (HH:MM or HH:MM:SS, optionally after a date)'
    case 'date':
      return DATE.test(value) ? undefined : 'not a date'
    case 'amount':
      return AMOUNT.test(value)
        ? undefined
        : 'not an amount (optional currency symbol, at most 10 integer digits, at most 2 decimals)'
    case 'phone_number':
      return PHONE_NUMBER.test(value) ? tooLong(length, 17) : 'not a phone number (digits and + - ( ) and space only)'
    case 'car_number':
      return checkCarNumber(value, length)
    case 'name':
      return checkName(value, length)
    case 'phrase':
      return ONLY_CHINESE.test(value) ? tooLong(length, 5, 'Chinese characters') : 'not only Chinese characters'
    case 'enum':
      return checkEnum(value, enumValues)
  }
}

/** 47003 with the field named, as WeChat words it; undefined when the data fits the template's keywords. */
export function checkMessageData(keywords: readonly KeywordSpec[], data: unknown): string | undefined {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return 'argument invalid! data invalid'
  const entries = data as Record<string, unknown>
  for (const keyword of keywords) {
    const entry = entries[keyword.key]
    if (entry === undefined) return `argument invalid! data.${keyword.key}.value is empty`
    const value = (entry as { value?: unknown } | null)?.value
    if (value === undefined || value === '') return `argument invalid! data.${keyword.key}.value is empty`
    if (checkKeywordValue(keyword.type, value, keyword.enumValues)) return `argument invalid! data.${keyword.key}.value invalid`
  }
  const extra = Object.keys(entries).find((key) => !keywords.some((k) => k.key === key))
  if (extra) return `argument invalid! data.${extra} is not a keyword of the template`
  return undefined
}
