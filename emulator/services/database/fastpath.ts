/**
 * Fast paths for the filters and updates that make up nearly all traffic:
 * equality and comparisons on plain fields, `$set`, `$unset` and `$inc`.
 * mingo compiles a context per call (tens to hundreds of microseconds), which
 * would dominate a request. Anything outside this small, exactly specified
 * subset, or any document where a path meets an array, goes to mingo, and a
 * property test holds both readings equal.
 */
import { Query, update as mingoUpdate } from 'mingo'
import { isPlainObject, type Doc } from './values'

type Scalar = string | number | boolean | null | Date

const COMPARISONS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists'])

function isScalar(value: unknown): value is Scalar {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && !Number.isNaN(value)) ||
    (value instanceof Date && !Number.isNaN(value.getTime()))
  )
}

const ARRAY_ON_PATH = Symbol('array on path')

/** The value at a dotted path, or ARRAY_ON_PATH when an array is met (mingo decides those). */
function walk(doc: unknown, parts: string[]): unknown {
  let current = doc
  for (const part of parts) {
    if (Array.isArray(current)) return ARRAY_ON_PATH
    if (current === null || typeof current !== 'object' || current instanceof Date) return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return Array.isArray(current) ? ARRAY_ON_PATH : current
}

function equals(value: unknown, operand: Scalar): boolean {
  if (operand === null) return value === null || value === undefined
  if (operand instanceof Date) return value instanceof Date && value.getTime() === operand.getTime()
  return value === operand
}

/** Mongo compares within a type only: `{ $gt: 5 }` never matches a string. */
function compare(value: unknown, operand: Scalar): number | undefined {
  if (typeof operand === 'number' && typeof value === 'number') return value - operand
  if (typeof operand === 'string' && typeof value === 'string') return value < operand ? -1 : value > operand ? 1 : 0
  if (operand instanceof Date && value instanceof Date) return value.getTime() - operand.getTime()
  if (typeof operand === 'boolean' && typeof value === 'boolean') return Number(value) - Number(operand)
  return undefined
}

type Test = (value: unknown) => boolean

function operatorTest(op: string, operand: unknown): Test | undefined {
  switch (op) {
    case '$eq':
      return isScalar(operand) ? (v) => equals(v, operand) : undefined
    case '$ne':
      return isScalar(operand) ? (v) => !equals(v, operand) : undefined
    case '$in':
    case '$nin': {
      if (!Array.isArray(operand) || !operand.every(isScalar)) return undefined
      const list = operand as Scalar[]
      return op === '$in' ? (v) => list.some((x) => equals(v, x)) : (v) => !list.some((x) => equals(v, x))
    }
    case '$exists':
      return typeof operand === 'boolean' ? (v) => (v !== undefined) === operand : undefined
    default: {
      if (!isScalar(operand) || operand === null) return undefined
      const accept =
        op === '$gt' ? (c: number) => c > 0 : op === '$gte' ? (c: number) => c >= 0 : op === '$lt' ? (c: number) => c < 0 : (c: number) => c <= 0
      return (v) => {
        const c = compare(v, operand)
        return c !== undefined && accept(c)
      }
    }
  }
}

/** Compiles `filter` to a predicate; returns undefined when it is outside the fast subset. */
function fastFilter(filter: Record<string, unknown>): Array<[string[], Test]> | undefined {
  const clauses: Array<[string[], Test]> = []
  for (const [field, condition] of Object.entries(filter)) {
    if (field === '$and' && Array.isArray(condition)) {
      for (const part of condition) {
        const inner = isPlainObject(part) ? fastFilter(part) : undefined
        if (!inner) return undefined
        clauses.push(...inner)
      }
      continue
    }
    if (field.startsWith('$') || field === '' || field.split('.').some((p) => p === '' || p.startsWith('$'))) return undefined
    const parts = field.split('.')
    if (isScalar(condition)) {
      clauses.push([parts, (v) => equals(v, condition)])
      continue
    }
    if (!isPlainObject(condition)) return undefined
    const ops = Object.entries(condition)
    if (ops.length === 0 || !ops.every(([op]) => COMPARISONS.has(op))) return undefined
    for (const [op, operand] of ops) {
      const test = operatorTest(op, operand)
      if (!test) return undefined
      clauses.push([parts, test])
    }
  }
  return clauses
}

export interface Matcher {
  test(doc: Doc): boolean
}

/** A predicate for `filter`: the fast subset when it applies, mingo otherwise. */
export function compileMatcher(filter: Record<string, unknown>, compileMingo: () => Query): Matcher {
  const clauses = fastFilter(filter)
  if (!clauses) return compileMingo()
  let mingo: Query | undefined
  return {
    test(doc) {
      for (const [parts, test] of clauses) {
        const value = walk(doc, parts)
        if (value === ARRAY_ON_PATH) return (mingo ??= compileMingo()).test(doc)
        if (!test(value)) return false
      }
      return true
    },
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime()
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return Object.is(a, b) || (a === 0 && b === 0)
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue((a as never)[k], (b as never)[k]))
}

type Operators = Record<string, Record<string, unknown>>
const FAST_UPDATES = new Set(['$set', '$unset', '$inc', '$push'])

/**
 * `$push` of `{ $each: [...] }`, optionally with a whole-number `$slice`, or
 * of one value that is not a modifier object: what to append, and how much
 * of the array to keep after (MongoDB: the first n, or the last -n).
 */
function pushedItems(operand: unknown): { items: unknown[]; slice?: number } | undefined {
  if (!isPlainObject(operand)) return { items: [operand] }
  const keys = Object.keys(operand)
  const { $each, $slice } = operand
  const sliced = keys.length === 2 && keys.includes('$slice') && Number.isInteger($slice)
  if ((keys.length === 1 || sliced) && keys.includes('$each') && Array.isArray($each)) return { items: $each, ...(sliced ? { slice: $slice as number } : {}) }
  return keys.some((k) => k.startsWith('$')) ? undefined : { items: [operand] }
}

function plainPath(path: string): string[] | undefined {
  const parts = path.split('.')
  return parts.every((p) => p !== '' && !p.startsWith('$') && !/^\d+$/.test(p)) ? parts : undefined
}

/**
 * Applies update operators to `doc` in place and says whether it changed.
 * `$set`, `$unset` and `$inc` on plain paths are applied here; the rest, and
 * any path that meets an array or a scalar where an object should be, by mingo.
 */
export function applyUpdate(doc: Doc, operators: Operators): boolean {
  const ops = Object.keys(operators)
  const paths = ops.flatMap((op) => Object.keys(operators[op]!))
  const simple =
    ops.every((op) => FAST_UPDATES.has(op)) &&
    paths.every((p) => plainPath(p)) &&
    // Two paths where one contains the other conflict in MongoDB; let mingo decide those.
    paths.every((p, i) => paths.every((q, j) => i === j || (p !== q && !q.startsWith(`${p}.`))))
  if (!simple || !fastApplicable(doc, operators)) {
    return mingoUpdate(doc, operators as never).length > 0
  }
  let changed = false
  for (const [op, fields] of Object.entries(operators)) {
    for (const [path, operand] of Object.entries(fields)) {
      const parts = path.split('.')
      const leaf = parts.pop()!
      if (op === '$push') {
        let parent = doc as Record<string, unknown>
        for (const part of parts) {
          if (parent[part] === undefined) parent[part] = {}
          parent = parent[part] as Record<string, unknown>
        }
        const { items, slice } = pushedItems(operand)!
        const current = parent[leaf] as unknown[] | undefined
        let next = [...(current ?? []), ...items.map((item) => structuredClone(item))]
        if (slice !== undefined) next = next.slice(slice)
        parent[leaf] = next
        // An empty $each onto an existing array changes nothing.
        if (current === undefined || items.length > 0) changed = true
        continue
      }
      if (op === '$unset') {
        const parent = walk(doc, parts) as Record<string, unknown> | undefined
        if (parent && typeof parent === 'object' && leaf in parent) {
          delete parent[leaf]
          changed = true
        }
        continue
      }
      let parent = doc as Record<string, unknown>
      for (const part of parts) {
        if (parent[part] === undefined) parent[part] = {}
        parent = parent[part] as Record<string, unknown>
      }
      const before = parent[leaf]
      const after = op === '$inc' ? (before === undefined ? operand : (before as number) + (operand as number)) : structuredClone(operand)
      if (before === undefined || !sameValue(before, after)) changed = true
      parent[leaf] = after
    }
  }
  return changed
}

/** True when every path walks through plain objects (or nothing) and every `$inc` meets a number. */
function fastApplicable(doc: Doc, operators: Operators): boolean {
  for (const [op, fields] of Object.entries(operators)) {
    for (const [path, operand] of Object.entries(fields)) {
      if (op === '$inc' && typeof operand !== 'number') return false
      if (op === '$push' && !pushedItems(operand)) return false
      let current: unknown = doc
      const parts = path.split('.')
      for (let i = 0; i < parts.length; i++) {
        if (current === undefined) break
        if (!isPlainObject(current)) return false
        current = current[parts[i]!]
      }
      if (op === '$push') {
        if (current !== undefined && !Array.isArray(current)) return false
        // Only a negative $slice (keep the last n) is applied here: of items pushed onto an array, or of no more items than it
        // keeps onto a field not there yet (nothing to cut, where mingo and MongoDB agree). Mingo applies and counts the rest.
        const { items, slice } = pushedItems(operand)!
        const fresh = current === undefined && items.length <= -(slice ?? 0)
        if (slice !== undefined && (slice >= 0 || items.length === 0 || (current === undefined && !fresh))) return false
        continue
      }
      if (Array.isArray(current)) return false
      if (op === '$inc' && current !== undefined && typeof current !== 'number') return false
    }
  }
  return true
}
