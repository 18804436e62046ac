/**
 * `$jsonSchema` as MongoDB reads it: JSON Schema draft 4 keywords, plus
 * `bsonType`, over stored documents. A keyword MongoDB does not know is an
 * error, as on the service, rather than a schema that matches everything.
 */
import { DatabaseError } from './errors'
import { isPlainObject } from './values'

type Schema = Record<string, unknown>
type Check = (value: unknown, schema: Schema) => boolean

const refuse = (message: string) => new DatabaseError('DATABASE_INVALID_OPERRATOR', `$jsonSchema: ${message}`)

function bsonTypeOf(value: unknown): string[] {
  if (value === null) return ['null']
  if (Array.isArray(value)) return ['array']
  if (value instanceof Date) return ['date']
  if (value instanceof RegExp) return ['regex']
  if (typeof value === 'boolean') return ['bool']
  if (typeof value === 'string') return ['string']
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? ['int', 'number'] : ['double', 'number']
  if (isPlainObject(value)) return ['object']
  return []
}

function jsonTypeOf(value: unknown): string[] {
  const bson = bsonTypeOf(value)
  if (bson.includes('number')) return ['number']
  if (bson.includes('bool')) return ['boolean']
  return bson.filter((type) => ['null', 'array', 'string', 'object'].includes(type))
}

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value])
const size = (value: unknown) => (typeof value === 'string' ? [...value].length : 0)
const equal = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

const KEYWORDS: Record<string, Check> = {
  bsonType: (v, s) => listOf(s.bsonType).some((type) => bsonTypeOf(v).includes(String(type))),
  type: (v, s) => listOf(s.type).some((type) => jsonTypeOf(v).includes(String(type))),
  enum: (v, s) => listOf(s.enum).some((item) => equal(item, v)),
  minimum: (v, s) => typeof v !== 'number' || (s.exclusiveMinimum === true ? v > Number(s.minimum) : v >= Number(s.minimum)),
  maximum: (v, s) => typeof v !== 'number' || (s.exclusiveMaximum === true ? v < Number(s.maximum) : v <= Number(s.maximum)),
  exclusiveMinimum: () => true,
  exclusiveMaximum: () => true,
  multipleOf: (v, s) => typeof v !== 'number' || v % Number(s.multipleOf) === 0,
  minLength: (v, s) => typeof v !== 'string' || size(v) >= Number(s.minLength),
  maxLength: (v, s) => typeof v !== 'string' || size(v) <= Number(s.maxLength),
  pattern: (v, s) => typeof v !== 'string' || new RegExp(String(s.pattern), 'u').test(v),
  required: (v, s) => !isPlainObject(v) || listOf(s.required).every((field) => String(field) in v),
  minProperties: (v, s) => !isPlainObject(v) || Object.keys(v).length >= Number(s.minProperties),
  maxProperties: (v, s) => !isPlainObject(v) || Object.keys(v).length <= Number(s.maxProperties),
  properties: (v, s) => !isPlainObject(v) || Object.entries(s.properties as Schema).every(([field, sub]) => !(field in v) || matches(v[field], sub as Schema)),
  patternProperties: (v, s) =>
    !isPlainObject(v) ||
    Object.entries(s.patternProperties as Schema).every(([pattern, sub]) =>
      Object.entries(v).every(([field, item]) => !new RegExp(pattern, 'u').test(field) || matches(item, sub as Schema)),
    ),
  additionalProperties: (v, s) => {
    if (!isPlainObject(v) || s.additionalProperties === true) return true
    const named = Object.keys((s.properties ?? {}) as Schema)
    const patterns = Object.keys((s.patternProperties ?? {}) as Schema).map((p) => new RegExp(p, 'u'))
    const extra = Object.entries(v).filter(([field]) => !named.includes(field) && !patterns.some((p) => p.test(field)))
    return s.additionalProperties === false ? extra.length === 0 : extra.every(([, item]) => matches(item, s.additionalProperties as Schema))
  },
  dependencies: (v, s) =>
    !isPlainObject(v) ||
    Object.entries(s.dependencies as Schema).every(([field, need]) => !(field in v) || (Array.isArray(need) ? need.every((other) => String(other) in v) : matches(v, need as Schema))),
  items: (v, s) => !Array.isArray(v) || (Array.isArray(s.items) ? s.items.every((sub, i) => i >= v.length || matches(v[i], sub as Schema)) : v.every((item) => matches(item, s.items as Schema))),
  additionalItems: (v, s) => !Array.isArray(v) || !Array.isArray(s.items) || s.additionalItems !== false || v.length <= s.items.length,
  minItems: (v, s) => !Array.isArray(v) || v.length >= Number(s.minItems),
  maxItems: (v, s) => !Array.isArray(v) || v.length <= Number(s.maxItems),
  uniqueItems: (v, s) => !Array.isArray(v) || s.uniqueItems !== true || new Set(v.map((item) => JSON.stringify(item))).size === v.length,
  allOf: (v, s) => listOf(s.allOf).every((sub) => matches(v, sub as Schema)),
  anyOf: (v, s) => listOf(s.anyOf).some((sub) => matches(v, sub as Schema)),
  oneOf: (v, s) => listOf(s.oneOf).filter((sub) => matches(v, sub as Schema)).length === 1,
  not: (v, s) => !matches(v, s.not as Schema),
  // Annotations: they say what a schema is for and change no verdict.
  title: () => true,
  description: () => true,
}

function matches(value: unknown, schema: Schema): boolean {
  if (!isPlainObject(schema)) throw refuse('a schema must be an object')
  for (const keyword of Object.keys(schema)) {
    const check = KEYWORDS[keyword]
    if (!check) throw refuse(`unknown keyword ${keyword}`)
    if (!check(value, schema)) return false
  }
  return true
}

/** The predicate of one `$jsonSchema`, for mingo's `jsonSchemaValidator` option. */
export function jsonSchemaPredicate(schema: Schema): (doc: unknown) => boolean {
  matches({}, schema) // checks the keywords once, before any document
  return (doc) => matches(doc, schema)
}
