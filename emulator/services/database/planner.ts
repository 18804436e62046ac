import { AFTER_ALL, encodeComponent, typeBracket, typeTagOf, TAG } from './keys'
import type { IndexState } from './secondary-indexes'
import { isPlainObject } from './values'

export type SortSpec = Array<[field: string, direction: 1 | -1]>

/**
 * How a query reads the store. `ordered` says that candidates arrive already
 * in the requested sort order, so the read can stop once `skip + limit`
 * documents have matched, which is what keeps an indexed query from reading
 * the whole collection.
 */
export type Plan =
  | { kind: 'ids'; ids: string[]; ordered: boolean }
  | { kind: 'idRange'; from: string; to: string; descending: boolean; ordered: boolean }
  | {
      kind: 'index'
      index: IndexState
      ranges: Array<[Buffer, Buffer]>
      descending: boolean
      ordered: boolean
      /** The filter fields whose conditions the key ranges capture exactly. */
      covers: string[]
    }
  | { kind: 'scan'; ordered: boolean }

interface Bound {
  value: unknown
  inclusive: boolean
}

interface FieldConstraint {
  eq?: unknown[]
  lo?: Bound
  hi?: Bound
  tag?: number
  /** Some condition on the field is not captured by eq or the range: only the filter decides it. */
  inexact?: boolean
}

/** Values an index can look up exactly: scalars and dates (not regexes, arrays or sub-documents). */
function indexable(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value) || value instanceof Date
}

const MAX_POINTS = 256

function addRange(c: FieldConstraint, op: string, value: unknown): void {
  if (!indexable(value) || value === null) {
    c.inexact = true
    return
  }
  const tag = typeTagOf(value)
  if (c.tag !== undefined && c.tag !== tag) {
    c.inexact = true // mixed types: keep the first bracket
    return
  }
  c.tag = tag
  const bound = { value, inclusive: op === '$gte' || op === '$lte' }
  const tighter = (a: Bound | undefined, lower: boolean): boolean => {
    if (!a) return true
    const cmp = Buffer.compare(encodeComponent(value), encodeComponent(a.value))
    return lower ? cmp > 0 || (cmp === 0 && !bound.inclusive) : cmp < 0 || (cmp === 0 && !bound.inclusive)
  }
  if (op === '$gt' || op === '$gte') {
    if (tighter(c.lo, true)) c.lo = bound
  } else if (tighter(c.hi, false)) {
    c.hi = bound
  }
}

/** Collects, per field, the conditions an index can use; everything else is left to the filter. */
export function fieldConstraints(filter: Record<string, unknown>): Map<string, FieldConstraint> {
  const out = new Map<string, FieldConstraint>()
  const visit = (clause: Record<string, unknown>) => {
    for (const [field, condition] of Object.entries(clause)) {
      if (field === '$and' && Array.isArray(condition)) {
        for (const part of condition) if (isPlainObject(part)) visit(part)
        continue
      }
      if (field.startsWith('$')) continue
      const c = out.get(field) ?? {}
      if (out.has(field)) c.inexact = true
      if (isPlainObject(condition) && Object.keys(condition).some((k) => k.startsWith('$'))) {
        for (const [op, value] of Object.entries(condition)) {
          if (op === '$eq' && indexable(value) && !c.eq) c.eq = [value]
          else if (op === '$in' && Array.isArray(value) && value.length > 0 && value.every(indexable) && !c.eq) c.eq = value
          else if (op === '$gt' || op === '$gte' || op === '$lt' || op === '$lte') addRange(c, op, value)
          else c.inexact = true
        }
      } else if (indexable(condition) && !c.eq) {
        c.eq = [condition]
      } else {
        c.inexact = true
      }
      // An equality and a range on one field: the index uses only the equality.
      if (c.eq && c.tag !== undefined) c.inexact = true
      out.set(field, c)
    }
  }
  visit(filter)
  return out
}

function sortWalk(sort: SortSpec, equalFields: Set<string>, nextFields: string[]): { ok: boolean; descending: boolean } {
  const remaining = sort.filter(([field]) => !equalFields.has(field))
  if (remaining.length === 0) return { ok: true, descending: false }
  const direction = remaining[0]![1]
  const ok = remaining.every(([field, dir], i) => nextFields[i] === field && dir === direction)
  return { ok, descending: direction === -1 }
}

interface Candidate {
  plan: Plan
  score: number
}

function indexCandidate(index: IndexState, constraints: Map<string, FieldConstraint>, sort: SortSpec): Candidate {
  let prefixes: Buffer[] = [Buffer.alloc(0)]
  const equalFields = new Set<string>()
  let score = 0
  let ranges: Array<[Buffer, Buffer]> | undefined
  let position = 0
  const covers: string[] = []
  for (const { field } of index.keys) {
    const c = constraints.get(field)
    if (c?.eq && prefixes.length * c.eq.length <= MAX_POINTS) {
      const parts = [...new Set(c.eq)].map(encodeComponent)
      prefixes = prefixes.flatMap((p) => parts.map((part) => Buffer.concat([p, part])))
      equalFields.add(field)
      covers.push(field)
      score += 2
      position += 1
      continue
    }
    if (c?.tag !== undefined && (c.lo || c.hi)) {
      const [typeLow, typeHigh] = typeBracket(c.tag)
      // On a multikey index two bounds may be met by different elements: use one.
      const hi = index.multikey && c.lo ? undefined : c.hi
      ranges = prefixes.map((p): [Buffer, Buffer] => [
        c.lo
          ? Buffer.concat([p, encodeComponent(c.lo.value), c.lo.inclusive ? Buffer.alloc(0) : AFTER_ALL])
          : Buffer.concat([p, typeLow]),
        hi
          ? Buffer.concat([p, encodeComponent(hi.value), hi.inclusive ? AFTER_ALL : Buffer.alloc(0)])
          : Buffer.concat([p, typeHigh]),
      ])
      score += 1
      if (hi === c.hi) covers.push(field)
    }
    break
  }
  ranges ??= prefixes.map((p): [Buffer, Buffer] => [p, Buffer.concat([p, AFTER_ALL])])
  const nextFields = index.keys.slice(position).map((k) => k.field)
  const walk = sortWalk(sort, equalFields, nextFields)
  return {
    plan: {
      kind: 'index',
      index,
      ranges,
      descending: walk.descending,
      // Without a sort any order will do, so several ranges may still stop early.
      ordered: walk.ok && (ranges.length === 1 || sort.length === 0),
      covers,
    },
    score,
  }
}

function idCandidate(constraints: Map<string, FieldConstraint>, sort: SortSpec): Candidate | undefined {
  const c = constraints.get('_id')
  const sortedById = sort.length === 0 || (sort.length === 1 && sort[0]![0] === '_id')
  const descending = sort.length === 1 && sort[0]![1] === -1
  if (c?.eq && c.eq.every((v) => typeof v === 'string')) {
    const ids = [...new Set(c.eq as string[])].sort()
    if (descending) ids.reverse()
    return { plan: { kind: 'ids', ids, ordered: sortedById }, score: Number.POSITIVE_INFINITY }
  }
  if (c?.tag === TAG.string && (c.lo || c.hi)) {
    // SQLite orders text by UTF-8 bytes; that differs from the query engine's UTF-16 order
    // only between astral characters and U+E000–U+FFFF, which document ids do not mix.
    const from = c.lo ? (c.lo.inclusive ? (c.lo.value as string) : `${c.lo.value as string}\u0000`) : ''
    const to = c.hi ? (c.hi.inclusive ? `${c.hi.value as string}\u0000` : (c.hi.value as string)) : '\u{10FFFF}'
    return { plan: { kind: 'idRange', from, to, descending, ordered: sortedById }, score: 1 }
  }
  return undefined
}

/** Picks the read that examines the fewest documents for this query. */
export function planQuery(
  filter: Record<string, unknown>,
  sort: SortSpec,
  indexes: IndexState[],
  limited: boolean,
): Plan {
  const constraints = fieldConstraints(filter)
  const candidates: Candidate[] = []
  const byId = idCandidate(constraints, sort)
  if (byId) candidates.push(byId)
  for (const index of indexes) candidates.push(indexCandidate(index, constraints, sort))
  candidates.sort((a, b) => b.score - a.score || Number(b.plan.ordered) - Number(a.plan.ordered))
  const best = candidates[0]
  if (best && best.score > 0) return best.plan
  // No condition narrows the read; an index still helps when it yields the sort order and a limit stops early.
  if (sort.length > 0 && limited) {
    const ordered = candidates.find((c) => c.plan.ordered)
    if (ordered) return ordered.plan
    if (sort.length === 1 && sort[0]![0] === '_id') {
      return { kind: 'idRange', from: '', to: '\u{10FFFF}', descending: sort[0]![1] === -1, ordered: true }
    }
  }
  return { kind: 'scan', ordered: sort.length === 0 }
}

/**
 * True when the index's key ranges select exactly the documents the filter
 * matches, so a count can count keys and examine no document (MongoDB's
 * COUNT_SCAN). A multikey index never qualifies: one document may hold many keys.
 */
export function coversFilter(plan: Plan, filter: Record<string, unknown>): boolean {
  if (plan.kind !== 'index' || plan.index.multikey) return false
  const constraints = fieldConstraints(filter)
  return Object.keys(filter).every((field) => plan.covers.includes(field) && !constraints.get(field)?.inexact)
}
