/**
 * Order-preserving binary encoding of index keys.
 *
 * Each component starts with a type tag in MongoDB's comparison order
 * (null < numbers < strings < objects < booleans < dates), so that SQLite's
 * byte-wise BLOB comparison orders keys as Mongo orders values, and a compound
 * key is the concatenation of its components. Byte 0xFF never starts a
 * component, which makes `prefix + 0xFF` an upper bound for every key that
 * begins with `prefix`.
 */
import { DatabaseError } from './errors'
import type { IndexDeclaration } from './schema'
import { getPath, type Doc } from './values'

export const TAG = {
  null: 0x05,
  number: 0x10,
  string: 0x20,
  object: 0x30,
  array: 0x38,
  boolean: 0x50,
  date: 0x60,
  regexp: 0x70,
} as const

export const AFTER_ALL = Buffer.from([0xff])

function sortableDouble(value: number): Buffer {
  const buffer = Buffer.alloc(8)
  buffer.writeDoubleBE(value === 0 ? 0 : value) // folds -0 into 0, as Mongo compares them equal
  if (buffer[0]! & 0x80) {
    for (let i = 0; i < 8; i++) buffer[i] = ~buffer[i]! & 0xff
  } else {
    buffer[0]! |= 0x80
  }
  return buffer
}

/**
 * Text as UTF-16 code units, big-endian, so that keys order strings as the
 * query engine (mingo, like JavaScript) compares them; 0x00 is escaped so
 * that a 0x00 0x00 terminator sorts before any continuation.
 */
function terminatedText(text: string): Buffer {
  const raw = Buffer.from(text, 'utf16le').swap16()
  const parts: number[] = []
  for (const byte of raw) {
    if (byte === 0) parts.push(0, 0xff)
    else parts.push(byte)
  }
  parts.push(0, 0)
  return Buffer.from(parts)
}

export function typeTagOf(value: unknown): number {
  if (value === null || value === undefined) return TAG.null
  if (typeof value === 'number') return TAG.number
  if (typeof value === 'string') return TAG.string
  if (typeof value === 'boolean') return TAG.boolean
  if (value instanceof Date) return TAG.date
  if (value instanceof RegExp) return TAG.regexp
  if (Array.isArray(value)) return TAG.array
  return TAG.object
}

export function encodeComponent(value: unknown): Buffer {
  const tag = typeTagOf(value)
  const head = Buffer.from([tag])
  switch (tag) {
    case TAG.null:
      return head
    case TAG.number:
      return Buffer.concat([head, sortableDouble(value as number)])
    case TAG.string:
      return Buffer.concat([head, terminatedText(value as string)])
    case TAG.boolean:
      return Buffer.from([tag, value ? 1 : 0])
    case TAG.date:
      return Buffer.concat([head, sortableDouble((value as Date).getTime())])
    case TAG.regexp:
      return Buffer.concat([head, terminatedText(String(value))])
    default:
      return Buffer.concat([head, terminatedText(canonicalJson(value))])
  }
}

/** JSON with sorted keys, so that equal objects give equal keys. */
function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify({ $date: value.getTime() })
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.keys(value as object)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
  return `{${entries.join(',')}}`
}

/** The smallest key of a type and the first key past it, to bracket a range by type as Mongo does. */
export function typeBracket(tag: number): [Buffer, Buffer] {
  return [Buffer.from([tag]), Buffer.from([tag + 1])]
}

export function describeKey(values: unknown[]): string {
  return `{ ${values.map((v) => canonicalJson(v)).join(', ')} }`
}

/**
 * The keys a document contributes to an index. An array value contributes one
 * key per element (a multikey index); two arrays in one compound key are
 * refused, as MongoDB refuses to index parallel arrays.
 */
export function indexKeys(index: IndexDeclaration, doc: Doc): { keys: Array<{ bytes: Buffer; values: unknown[] }>; multikey: boolean } {
  let combos: unknown[][] = [[]]
  let arrays = 0
  for (const { field } of index.keys) {
    const value = getPath(doc, field)
    let values: unknown[]
    if (Array.isArray(value)) {
      arrays += 1
      if (arrays > 1) {
        throw new DatabaseError('DATABASE_REQUEST_FAILED', `cannot index parallel arrays in index ${index.name}`)
      }
      values = value.length === 0 ? [undefined] : [...new Set(value)]
    } else {
      values = [value]
    }
    combos = combos.flatMap((combo) => values.map((v) => [...combo, v]))
  }
  return {
    keys: combos.map((combo) => ({ bytes: Buffer.concat(combo.map(encodeComponent)), values: combo })),
    multikey: arrays > 0,
  }
}
