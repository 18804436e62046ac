/**
 * A broadcast's audience: a filter on fields of `users` documents, written in
 * the database's query language as plain JSON and read as untrusted input.
 * Only the fields the settings name (`campaigns.audienceFields`) may be
 * filtered on, with a small set of operators and bounded size, so a broadcast
 * can neither reach users by what the app never meant to target nor hand
 * the database an arbitrary query. Translated to wx-server-sdk's commands,
 * never passed through as written.
 */
import type { Database } from '../cloud'
import { isRecord, type Json } from '../input'
import { VALUE_MAX } from '../limits'
import { CODES, refuse } from '../replies'

/** `$and`/`$or` nested inside one another, at most. */
export const AUDIENCE_DEPTH_MAX = 3
/** Field conditions in one audience, each operator on a field counting one. */
export const AUDIENCE_CONDITIONS_MAX = 20
/** Filters in one `$and` or `$or`. */
export const AUDIENCE_BRANCHES_MAX = 10
/** Values in one `$in` or `$nin`. */
export const AUDIENCE_LIST_MAX = 100
/** Values in the whole audience, so that what the campaign stores stays small. */
export const AUDIENCE_VALUES_MAX = 200

const LOGIC = ['$and', '$or'] as const
const EQUALITY = ['$eq', '$ne'] as const
const RANGE = ['$gt', '$gte', '$lt', '$lte'] as const
const LISTS = ['$in', '$nin'] as const
const OPERATORS: readonly string[] = [...EQUALITY, ...RANGE, ...LISTS, '$exists']

const bad = (field: string, why: string): never => refuse(CODES.INVALID_ARGUMENT, `${field} ${why}`, { field })

/** Walks a filter once, checking every part and counting against the limits. */
class Reader {
  private conditions = 0
  private values = 0

  constructor(private readonly fields: readonly string[]) {}

  filter(value: unknown, path: string, depth: number): void {
    if (!isRecord(value) || Object.keys(value).length === 0) return bad(path, 'must be an object of at least one condition')
    for (const [key, condition] of Object.entries(value)) {
      const at = `${path}.${key}`
      if ((LOGIC as readonly string[]).includes(key)) this.branches(condition, at, depth + 1)
      else if (key.startsWith('$')) bad(at, `is not an operator an audience takes (${[...LOGIC, ...OPERATORS].join(', ')})`)
      else if (!this.fields.includes(key)) bad(at, `names a field a broadcast may not filter on (campaigns.audienceFields: ${this.fields.join(', ') || 'none'})`)
      else this.condition(condition, at)
    }
  }

  private branches(value: unknown, path: string, depth: number): void {
    if (depth > AUDIENCE_DEPTH_MAX) bad(path, `nests $and and $or more than ${AUDIENCE_DEPTH_MAX} deep`)
    if (!Array.isArray(value) || value.length === 0 || value.length > AUDIENCE_BRANCHES_MAX) bad(path, `must be a list of 1 to ${AUDIENCE_BRANCHES_MAX} filters`)
    ;(value as unknown[]).forEach((filter, i) => this.filter(filter, `${path}[${i}]`, depth))
  }

  /** A value (equality), or an object of operators on the field. */
  private condition(value: unknown, path: string): void {
    if (!isRecord(value)) {
      this.count()
      this.scalar(value, path)
      return
    }
    const operators = Object.entries(value)
    if (operators.length === 0) bad(path, 'must be a value or an object of operators')
    for (const [op, operand] of operators) {
      const at = `${path}.${op}`
      if (!OPERATORS.includes(op)) bad(at, `is not an operator a field takes (${OPERATORS.join(', ')})`)
      this.count()
      if ((LISTS as readonly string[]).includes(op)) this.list(operand, at)
      else if ((RANGE as readonly string[]).includes(op)) this.scalar(operand, at, ['string', 'number'])
      else if (op === '$exists') {
        if (typeof operand !== 'boolean') bad(at, 'must be true or false')
      } else this.scalar(operand, at)
    }
  }

  private list(value: unknown, path: string): void {
    if (!Array.isArray(value) || value.length === 0 || value.length > AUDIENCE_LIST_MAX) bad(path, `must be a list of 1 to ${AUDIENCE_LIST_MAX} values`)
    ;(value as unknown[]).forEach((item, i) => this.scalar(item, `${path}[${i}]`))
  }

  /** A string of at most VALUE_MAX characters, a finite number, or (where it means something) true or false. */
  private scalar(value: unknown, path: string, types: readonly string[] = ['string', 'number', 'boolean']): void {
    this.values += 1
    if (this.values > AUDIENCE_VALUES_MAX) bad('audience', `has more than ${AUDIENCE_VALUES_MAX} values`)
    const kind = typeof value
    if (!types.includes(kind) || (kind === 'number' && !Number.isFinite(value))) {
      const names = types.map((t) => (t === 'boolean' ? 'true or false' : `a ${t}`))
      const hint = value === null ? ' (for a missing field, use $exists)' : ''
      bad(path, `must be ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}${hint}`)
    }
    if (kind === 'string' && (value as string).length > VALUE_MAX) bad(path, `must have at most ${VALUE_MAX} characters`)
  }

  private count(): void {
    this.conditions += 1
    if (this.conditions > AUDIENCE_CONDITIONS_MAX) bad('audience', `has more than ${AUDIENCE_CONDITIONS_MAX} conditions`)
  }
}

/** The request's `audience`, checked against the fields the settings allow; undefined when absent. */
export function readAudience(input: Json, fields: readonly string[]): Json | undefined {
  const value = input.audience
  if (value === undefined) return undefined
  new Reader(fields).filter(value, 'audience', 0)
  return value as Json
}

type Command = Database['command']
/** A `where` condition: a `{ field: value or command }` object, or a logic command. */
type Clause = Record<string, unknown>

/**
 * A checked audience as `where` clauses, each to be and-ed with the rest
 * (the page's own `_id` condition among them). One clause per condition,
 * so two operators on a field never share an object.
 */
export function audienceClauses(audience: Json, _: Command): Clause[] {
  const clauses: Clause[] = []
  for (const [key, condition] of Object.entries(audience)) {
    if (key === '$and' || key === '$or') {
      const branches = (condition as Json[]).map((branch) => allOf(audienceClauses(branch, _), _))
      clauses.push((key === '$and' ? _.and(branches as never) : _.or(branches as never)) as unknown as Clause)
    } else if (!isRecord(condition)) {
      clauses.push({ [key]: condition })
    } else {
      for (const [op, operand] of Object.entries(condition)) clauses.push({ [key]: command(_, op, operand) })
    }
  }
  return clauses
}

/** Clauses that must all hold, as one condition. */
export function allOf(clauses: Clause[], _: Command): Clause {
  return clauses.length === 1 ? clauses[0]! : (_.and(clauses as never) as unknown as Clause)
}

/** Each operator an audience takes, as the database command it becomes. */
const COMMANDS: Record<string, (_: Command, operand: never) => unknown> = {
  $eq: (_, value) => _.eq(value),
  $ne: (_, value) => _.neq(value),
  $gt: (_, value) => _.gt(value),
  $gte: (_, value) => _.gte(value),
  $lt: (_, value) => _.lt(value),
  $lte: (_, value) => _.lte(value),
  $in: (_, values: unknown[]) => _.in(values),
  $nin: (_, values: unknown[]) => _.nin(values),
  $exists: (_, present: boolean) => _.exists(present),
}

function command(_: Command, op: string, operand: unknown): unknown {
  const make = Object.hasOwn(COMMANDS, op) ? COMMANDS[op] : undefined
  if (!make) throw new Error(`an audience with ${op} was stored unchecked`)
  return make(_, operand as never)
}
