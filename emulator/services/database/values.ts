import { BSONRegExp, EJSON, ObjectId } from 'bson'
import { invalidParam, requestFailed, unsupported } from './errors'

/** Sets an own field, even one named __proto__ (an assignment would change the prototype instead). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  else target[key] = value
}

/** A document as the emulator holds it: plain objects, arrays, Dates, RegExps, primitives. */
export type Doc = Record<string, unknown> & { _id?: unknown }

const REGEX_FLAGS: Record<string, string> = { i: 'i', m: 'm', s: 's', u: 'u', g: 'g' }

/**
 * Turns a value decoded from EJSON into the plain JavaScript the gateway works on:
 * `{ $tcb_server_date: { offset } }` (from `db.serverDate()`) becomes the server's time,
 * BSON regular expressions become RegExps. Anything else the emulator cannot hold
 * (binary data, geo types) fails loudly rather than being stored half-understood.
 */
export function toPlain(value: unknown, now: number): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return Number(value)
    return value
  }
  if (value instanceof Date || value instanceof RegExp) return value
  if (Array.isArray(value)) return value.map((item) => toPlain(item, now))
  if (value instanceof BSONRegExp) {
    const flags = [...value.options].map((f) => REGEX_FLAGS[f] ?? '').join('')
    try {
      return new RegExp(value.pattern, flags)
    } catch (error) {
      // The caller's pattern, refused as the service refuses what MongoDB cannot compile.
      throw requestFailed(`Regular expression is invalid: ${(error as Error).message}`)
    }
  }
  if (value instanceof ObjectId) return value.toHexString()
  const bsontype = (value as { _bsontype?: string })._bsontype
  if (bsontype) {
    if (bsontype === 'Long' || bsontype === 'Int32' || bsontype === 'Double' || bsontype === 'Decimal128') {
      return Number(String(value))
    }
    throw unsupported(`the BSON type ${bsontype}`)
  }
  const record = value as Record<string, unknown>
  if ('$tcb_server_date' in record) {
    const spec = record.$tcb_server_date as { offset?: unknown } | null
    const offset = Number(spec?.offset ?? 0)
    if (!Number.isFinite(offset)) throw invalidParam('serverDate offset must be a number')
    return new Date(now + offset)
  }
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(record)) setOwn(out, key, toPlain(record[key], now))
  return out
}

/** Decodes one EJSON string sent by @cloudbase/database (the current dialect). */
export function decodeEjson(text: unknown, what: string, now: number): unknown {
  if (text === undefined || text === null || text === '') return undefined
  if (typeof text !== 'string') {
    // A few parameters (query of a WHERE remove, aggregate stages) arrive already as objects.
    return toPlain(EJSON.deserialize(text as Record<string, unknown>), now)
  }
  let parsed: unknown
  try {
    parsed = EJSON.parse(text, { relaxed: true })
  } catch (error) {
    throw invalidParam(`${what} is not valid EJSON: ${(error as Error).message}`)
  }
  return toPlain(parsed, now)
}

/**
 * Decodes a value sent by tcb-admin-node's @cloudbase/database 0.9 (the older dialect):
 * plain JSON where a Date is `{ $date: <epoch ms> }`, the server's time `{ $date: { offset } }`
 * and a RegExp `{ $regex, $options }`.
 */
export function decodeLegacy(value: unknown, now: number): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof RegExp) return value
  if (Array.isArray(value)) return value.map((item) => decodeLegacy(item, now))
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  if (keys.length === 1 && keys[0] === '$date') {
    // db.serverDate() in this dialect: { $date: { offset } }, the server's time moved by offset ms.
    if (record.$date !== null && typeof record.$date === 'object') return toPlain({ $tcb_server_date: record.$date }, now)
    const date = new Date(record.$date as number | string)
    if (Number.isNaN(date.getTime())) throw invalidParam('invalid $date value')
    return date
  }
  // `{ $timestamp: <epoch seconds> }`, which the SDK reads back as a Date: kept as that Date.
  if (keys.length === 1 && keys[0] === '$timestamp' && typeof record.$timestamp === 'number') return new Date(record.$timestamp * 1000)
  if ('$tcb_server_date' in record) return toPlain(record, now)
  const out: Record<string, unknown> = {}
  for (const key of keys) setOwn(out, key, decodeLegacy(record[key], now))
  return out
}

/** Serialises a document for storage and for replies (relaxed EJSON keeps Dates and RegExps). */
export function encodeDoc(doc: unknown): string {
  return EJSON.stringify(doc, { relaxed: true })
}

export function decodeDoc(text: string): Doc {
  return toPlain(EJSON.parse(text, { relaxed: true }), 0) as Doc
}

/** The older dialect's replies: Dates as `{ $date: <epoch ms> }`. */
export function toLegacyJson(value: unknown): unknown {
  if (value instanceof Date) return { $date: value.getTime() }
  if (value instanceof RegExp) return { $regex: value.source, $options: value.flags }
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(toLegacyJson)
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) setOwn(out, key, toLegacyJson(item))
  return out
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof RegExp)
  )
}

/** Reads a dotted path, as Mongo does for plain nested objects. */
export function getPath(doc: unknown, path: string): unknown {
  let current: unknown = doc
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}
