/**
 * The database language where the service (MongoDB underneath) and mingo
 * part: operators mingo lacks or reads otherwise, geo (geo.ts) and `$jsonSchema`. Every
 * query filter and aggregation of the gateway runs in it.
 */
import { Aggregator } from 'mingo/aggregator'
import { Context, evalExpr } from 'mingo/core'
import * as accumulatorOperators from 'mingo/operators/accumulator'
import * as expressionOperators from 'mingo/operators/expression'
import * as pipelineOperators from 'mingo/operators/pipeline'
import * as projectionOperators from 'mingo/operators/projection'
import * as queryOperators from 'mingo/operators/query'
import * as windowOperators from 'mingo/operators/window'
import { Query } from 'mingo/query'
import type { AnyObject, Options } from 'mingo/types'
import { resolve } from 'mingo/util'
import { invalidParam } from './errors'
import { GEO_QUERY_OPERATORS } from './geo'
import { jsonSchemaPredicate } from './json-schema'
import { isPlainObject } from './values'

type Args = unknown[]
type Expression = (obj: unknown, expr: unknown, options: Options) => unknown

const args = (obj: unknown, expr: unknown, options: Options, name: string): Args => {
  const value = evalExpr(obj, expr, options)
  if (!Array.isArray(value)) throw invalidParam(`${name} takes an array of arguments`)
  return value
}

/** `$indexOfCP: [string, substring, start?, end?]`: the code-point index of the first match, or -1. */
const indexOfCP: Expression = (obj, expr, options) => {
  const [text, search, start = 0, end] = args(obj, expr, options, '$indexOfCP')
  if (text === null || text === undefined) return null
  if (typeof text !== 'string' || typeof search !== 'string') throw invalidParam('$indexOfCP takes a string and a substring')
  const points = [...text]
  const stop = end === undefined ? points.length : Math.min(Number(end), points.length)
  const needle = [...search]
  for (let i = Number(start); i + needle.length <= stop; i++) {
    if (needle.every((point, k) => points[i + k] === point)) return i
  }
  return -1
}

/** `$substr: [string, start, length]`, as MongoDB's $substrBytes: a negative length reads to the end. */
const substr: Expression = (obj, expr, options) => {
  const [value, start, length] = args(obj, expr, options, '$substr')
  const text = value === null || value === undefined ? '' : String(value)
  const bytes = Buffer.from(text, 'utf8')
  const from = Number(start)
  if (from < 0 || from > bytes.length) return ''
  const to = Number(length) < 0 ? bytes.length : Math.min(bytes.length, from + Number(length))
  return bytes.subarray(from, to).toString('utf8')
}

/** `$substrBytes: [string, start, count]`: a negative count reads to the end, as the service's $substr (the same operator) does. */
const substrBytes: Expression = (obj, expr, options) => {
  const [value, start, count] = args(obj, expr, options, '$substrBytes')
  const rest = typeof value === 'string' && typeof start === 'number' ? Buffer.byteLength(value, 'utf8') - start : 0
  const length = typeof count === 'number' && count < 0 ? Math.max(rest, 0) : count
  return (expressionOperators.$substrBytes as Expression)(obj, [value, start, length], options)
}

/** `$week`: weeks start on Sunday; days before the year's first Sunday are week 0 (0 to 53), in UTC. */
const week: Expression = (obj, expr, options) => {
  const value = evalExpr(obj, expr, options)
  const date = value instanceof Date ? value : isDateSpec(value) ? (evalExpr(obj, value.date, options) as Date) : undefined
  if (!(date instanceof Date)) return null
  const dayOfYear = Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1
  return Math.floor((dayOfYear + 6 - date.getUTCDay()) / 7)
}

const isDateSpec = (value: unknown): value is { date: unknown } => typeof value === 'object' && value !== null && 'date' in value

/** Operators that make `$elemMatch` criteria a query on each element as a document, beside field names. */
const DOCUMENT_OPERATORS = new Set(['$and', '$or', '$nor', '$expr', '$where', '$jsonSchema', '$comment'])

/**
 * `$elemMatch` of field conditions tests only the elements that are documents, as MongoDB's
 * does; mingo's also tests plain values, reading a plain value's field as the value itself.
 */
const elemMatch = (selector: string, criteria: unknown, options: Options) => {
  const keys = isPlainObject(criteria) ? Object.keys(criteria) : []
  if (keys.length === 0 || keys.every((key) => key.startsWith('$') && !DOCUMENT_OPERATORS.has(key))) {
    return (queryOperators.$elemMatch as (s: string, v: unknown, o: Options) => (doc: AnyObject) => boolean)(selector, criteria, options)
  }
  const element = new Query(criteria as AnyObject, options)
  return (doc: AnyObject) => {
    const items = resolve(doc, selector, { unwrapArray: true })
    return Array.isArray(items) && items.some((item) => isPlainObject(item) && element.test(item))
  }
}

/**
 * mingo's operators with these in their place. Built here from mingo's operator modules,
 * as mingo's own entry point keeps its operators ahead of any given to it.
 */
const CONTEXT = Context.init({
  accumulator: accumulatorOperators,
  expression: { ...expressionOperators, $indexOfCP: indexOfCP, $substr: substr, $substrBytes: substrBytes, $week: week } as never,
  pipeline: pipelineOperators,
  projection: projectionOperators,
  query: { ...queryOperators, ...GEO_QUERY_OPERATORS, $elemMatch: elemMatch },
  window: windowOperators,
} as never)

const OPTIONS: Partial<Options> = { context: CONTEXT, jsonSchemaValidator: jsonSchemaPredicate as Options['jsonSchemaValidator'] }

/** A query in the service's language. */
export const serviceQuery = (filter: AnyObject) => new Query(filter, OPTIONS)

/** Runs an aggregation pipeline in the service's language. */
export const serviceAggregate = (docs: AnyObject[], pipeline: AnyObject[], collectionResolver: (name: string) => AnyObject[]) =>
  new Aggregator(pipeline, { ...OPTIONS, collectionResolver }).run(docs)
