/**
 * The product's reading of WeChat's keyword rules (the keyword table of
 * subscribeMessage.send's documentation), checked before WeChat is called so that a bad value never
 * costs a reservation. The emulator has its own, separate reading; tests hold
 * the two against each other.
 */
export type KeywordType =
  | 'thing'
  | 'number'
  | 'letter'
  | 'symbol'
  | 'character_string'
  | 'time'
  | 'date'
  | 'amount'
  | 'phone_number'
  | 'car_number'
  | 'name'
  | 'phrase'
  | 'enum'

const TYPES: readonly KeywordType[] = [
  'character_string',
  'phone_number',
  'car_number',
  'thing',
  'number',
  'letter',
  'symbol',
  'time',
  'date',
  'amount',
  'name',
  'phrase',
  'enum',
]

/** `thing1` → thing; undefined for a key that is not a type followed by its index. */
export function typeOfKey(key: string): KeywordType | undefined {
  const match = /^([a-z_]+?)(\d+)$/.exec(key)
  return match && (TYPES as readonly string[]).includes(match[1]!) ? (match[1] as KeywordType) : undefined
}

// Chinese is a CJK Unified Ideograph (U+4E00–U+9FFF) or one of extension A
// (U+3400–U+4DBF), as the emulator reads it. Not the whole Han script: 々, 〇,
// radicals, compatibility ideographs and extension B onwards would make a
// phrase or a car number that WeChat (as the emulator plays it) refuses.
const isHan = (ch: string) => /^[\u3400-\u4dbf\u4e00-\u9fff]$/.test(ch)
const isAsciiLetter = (ch: string) => /^[A-Za-z]$/.test(ch)
const isDigit = (ch: string) => ch >= '0' && ch <= '9'
const isSymbol = (ch: string) => !isHan(ch) && !isAsciiLetter(ch) && !isDigit(ch)

const HOUR = '(?:[01]?\\d|2[0-3])'
const CLOCK = `${HOUR}:[0-5]\\d(?::[0-5]\\d)?`
const MONTH = '(?:0?[1-9]|1[0-2])'
const DAY = '(?:0?[1-9]|[12]\\d|3[01])'
// "`/` and `.` also" applies to the short form too: `10.01` is a date like `10-01`.
const CALENDAR = [
  `\\d{4}年${MONTH}月${DAY}日`,
  `${MONTH}月${DAY}日`,
  `\\d{4}-${MONTH}-${DAY}`,
  `\\d{4}/${MONTH}/${DAY}`,
  `\\d{4}\\.${MONTH}\\.${DAY}`,
  `${MONTH}-${DAY}`,
  `${MONTH}/${DAY}`,
  `${MONTH}\\.${DAY}`,
].join('|')
// A date and its time are separated by whitespace (as the emulator reads it):
// `2019-10-0115:01` and `2019年10月1日15:01` are refused.
const WHEN = `(?:(?:${CALENDAR})\\s+)?${CLOCK}`
const DAY_AND_MAYBE_CLOCK = `(?:${CALENDAR})(?:\\s+${CLOCK})?`

/**
 * A value, or two joined by `~` for a range. Whitespace is allowed around the
 * `~` only; a leading or trailing space is refused rather than trimmed, since
 * the value is sent as it is.
 */
const valueOrRange = (one: string) => new RegExp(`^${one}(?:\\s*~\\s*${one})?$`)
const TIME = valueOrRange(WHEN)
const DATE = valueOrRange(DAY_AND_MAYBE_CLOCK)

const rules: Record<Exclude<KeywordType, 'enum'>, (value: string, chars: string[]) => boolean> = {
  thing: (_v, chars) => chars.length <= 20,
  number: (v) => {
    const match = /^-?(\d+)(?:\.(\d+))?$/.exec(v)
    return match !== null && match[1]!.length + (match[2]?.length ?? 0) <= 32
  },
  letter: (_v, chars) => chars.length <= 32 && chars.every(isAsciiLetter),
  symbol: (_v, chars) => chars.length <= 5 && chars.every(isSymbol),
  character_string: (_v, chars) => chars.length <= 32 && !chars.some(isHan),
  time: (v) => TIME.test(v),
  date: (v) => DATE.test(v),
  amount: (v) => /^[¥￥$€£]?\d{1,10}(?:\.\d{1,2})?元?$/.test(v),
  phone_number: (_v, chars) => chars.length <= 17 && chars.every((ch) => isDigit(ch) || '+-() '.includes(ch)),
  car_number: (_v, chars) =>
    chars.length >= 2 &&
    chars.length <= 8 &&
    chars.every((ch, i) => isAsciiLetter(ch) || isDigit(ch) || ((i === 0 || i === chars.length - 1) && isHan(ch))),
  // Any Chinese makes the whole name count as Chinese: 10 characters then, else 20.
  name: (_v, chars) => !chars.some(isDigit) && chars.length <= (chars.some(isHan) ? 10 : 20),
  phrase: (_v, chars) => chars.length <= 5 && chars.every(isHan),
}

export const THING_MAX = 20

// "No newlines or control characters anywhere": every Unicode control (C0,
// DEL and C1, which holds NEL U+0085) and the line and paragraph separators
// U+2028/U+2029.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

/** Undefined when `value` is acceptable for a keyword of `type`; otherwise why not. */
export function keywordProblem(type: KeywordType, value: string, enumValues: readonly string[] = []): string | undefined {
  if (value.length === 0) return 'is empty'
  if (CONTROL.test(value)) return 'contains a line break or a control character'
  if (type === 'enum') return enumValues.includes(value) ? undefined : `must be one of ${enumValues.join(', ')}`
  return rules[type](value, [...value]) ? undefined : `is not a valid ${type}`
}

/** Cuts a thing to 20 characters, the last one an ellipsis. */
export function truncateThing(value: string): string {
  const chars = [...value]
  return chars.length <= THING_MAX ? value : `${chars.slice(0, THING_MAX - 1).join('')}…`
}
