/**
 * Reads untrusted input field by field. Anything of the wrong type, too
 * large, or not expected is refused with INVALID_ARGUMENT before any write;
 * values shaped like database operators never get past a type check.
 */
import { CODES, refuse } from './replies'
import { ID_MAX, KEYWORDS_MAX, KEY_MAX, VALUE_MAX } from './limits'

export type Json = Record<string, unknown>

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype
}

const bad = (field: string, why: string): never => refuse(CODES.INVALID_ARGUMENT, `${field} ${why}`, { field })

/** The event, without what the platform adds to a mini-program call (userInfo). */
export function readEvent(event: unknown, allowed: readonly string[]): Json {
  if (!isRecord(event)) return bad('request', 'must be an object')
  const { userInfo: _platform, ...rest } = event
  const unknown = Object.keys(rest).find((key) => !allowed.includes(key))
  if (unknown !== undefined) bad(unknown, 'is not a field of this request')
  return rest
}

export function text(input: Json, field: string, rule: { pattern?: RegExp; max: number; optional?: boolean }): string | undefined {
  const value = input[field]
  if (value === undefined && rule.optional) return undefined
  if (typeof value !== 'string') return bad(field, 'must be a string')
  if (value.length === 0 || value.length > rule.max) return bad(field, `must have 1 to ${rule.max} characters`)
  if (rule.pattern && !rule.pattern.test(value)) return bad(field, 'has characters it may not have')
  return value
}

/** A whole number from `min` to `max` (of `unit`, when the number counts something the name does not say), or absent. */
export function wholeNumber(input: Json, field: string, rule: { min: number; max: number; unit?: string }): number | undefined {
  const value = input[field]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min || value > rule.max) {
    return bad(field, `must be a whole number${rule.unit ? ` of ${rule.unit}` : ''} from ${rule.min} to ${rule.max}`)
  }
  return value
}

/** A time in ISO 8601 with its offset, at most `maxAheadMs` after `now`, or absent. */
export function timeAhead(input: Json, field: string, now: Date, maxAheadMs: number): Date | undefined {
  const raw = text(input, field, { max: 40, optional: true })
  if (raw === undefined) return undefined
  const at = new Date(raw)
  if (!ISO_8601.test(raw) || Number.isNaN(at.getTime())) return bad(field, 'must be a time in ISO 8601 with its offset, such as 2030-01-01T09:00:00+08:00')
  if (at.getTime() - now.getTime() > maxAheadMs) bad(field, 'is more than a year ahead')
  return at
}

export function oneOf<T extends string>(input: Json, field: string, values: readonly T[]): T | undefined {
  const value = input[field]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !values.includes(value as T)) return bad(field, `must be one of ${values.join(', ')}`)
  return value as T
}

/** A time in ISO 8601 with its offset (the operator's CLI takes the same). */
export const ISO_8601 = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)$/

export const OPENID = new RegExp(`^[A-Za-z0-9_-]{1,${ID_MAX}}$`)
export const TEMPLATE_ID = new RegExp(`^[A-Za-z0-9_-]{1,${ID_MAX}}$`)
export const KEY = new RegExp(`^[A-Za-z0-9_.:-]{1,${KEY_MAX}}$`)
const DATA_KEY = /^[a-z_]{1,24}\d{1,3}$/

/** `{ key: "text" }` or `{ key: { value: "text" } }`, as strings. */
export function messageData(input: Json, field: string): Record<string, string> {
  const data = input[field]
  if (!isRecord(data)) return bad(field, 'must be an object of keyword values')
  const entries = Object.entries(data)
  if (entries.length === 0 || entries.length > KEYWORDS_MAX) bad(field, `must have 1 to ${KEYWORDS_MAX} keywords`)
  const out: Record<string, string> = {}
  for (const [key, entry] of entries) {
    if (!DATA_KEY.test(key)) bad(`${field}.${key}`, 'is not a keyword key such as thing1')
    const value = isRecord(entry) && Object.keys(entry).length === 1 ? entry.value : entry
    if (typeof value !== 'string') bad(`${field}.${key}`, 'must be a string or { value: string }')
    if ((value as string).length > VALUE_MAX) bad(`${field}.${key}`, `must have at most ${VALUE_MAX} characters`)
    out[key] = value as string
  }
  return out
}
