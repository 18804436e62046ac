/**
 * What a write says, checked and made into the change it makes: ids and
 * field names as the service allows them, update operators normalised, the
 * seed of an upserted document, and the function from a document to its
 * updated form.
 */
import { randomBytes } from 'node:crypto'
import { DatabaseError, invalidParam, requestFailed, unsupported } from './errors'
import { applyUpdate, compileMatcher, type Matcher } from './fastpath'
import { serviceQuery } from './language'
import { isPlainObject, type Doc } from './values'

export const docKey = (collection: string, id: string) => `${collection}\u0000${id}`

export function newDocumentId(): string {
  return randomBytes(16).toString('hex')
}

export function compileFilter(filter: Record<string, unknown>): Matcher {
  return compileMatcher(filter, () => {
    try {
      return serviceQuery(filter)
    } catch (error) {
      throw new DatabaseError('DATABASE_INVALID_OPERRATOR', `invalid query: ${(error as Error).message}`)
    }
  })
}

/** Marks a numeric id's key, so that the ids 1 and "1" stay two documents, as in MongoDB. */
const NUMERIC_ID = '\u0001'

/**
 * The store's key for a document's `_id`: a string is its own key; a number (the service
 * takes numeric ids too, `add({ _id: Date.now() })`) gets a marked key of its own.
 */
export function idKey(id: unknown): string {
  if (typeof id === 'string' && id !== '' && !id.startsWith(NUMERIC_ID)) return id
  if (typeof id === 'number' && Number.isFinite(id)) return `${NUMERIC_ID}${id}`
  throw unsupported(`an _id that is not a non-empty string or a number (${JSON.stringify(id)})`)
}

/**
 * A stored document's field names, as MongoDB 5 and the service take them: a name may hold
 * a `.` (`{ 'key.': 1 }` is stored as it is), but none may start with `$`, which the
 * service refuses as DATABASE_REQUEST_FAILED.
 */
export function checkFieldNames(value: unknown, path = ''): void {
  if (Array.isArray(value)) return value.forEach((item, i) => checkFieldNames(item, `${path}${i}.`))
  if (!isPlainObject(value)) return
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$')) throw requestFailed(`Document can't have $ prefixed field names: ${path}${key}`)
    checkFieldNames(item, `${path}${key}.`)
  }
}

/** `{ a: { b: 1 } }` as `{ "a.b": 1 }`: a merge update sets leaves and keeps their siblings. */
function flattenForMerge(value: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}) {
  for (const [key, item] of Object.entries(value)) {
    if (isPlainObject(item) && Object.keys(item).length > 0) flattenForMerge(item, `${prefix}${key}.`, out)
    else out[`${prefix}${key}`] = item
  }
  return out
}

/** Splits an update into Mongo operators; plain fields of a merge become `$set` of their leaves. */
function normaliseUpdate(data: Record<string, unknown>): { operators: Record<string, Record<string, unknown>>; onInsert: Record<string, unknown> } {
  const operators: Record<string, Record<string, unknown>> = {}
  let onInsert: Record<string, unknown> = {}
  const plain: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(data)) {
    if (!key.startsWith('$')) {
      plain[key] = value
      continue
    }
    if (!isPlainObject(value)) throw invalidParam(`${key} needs an object of fields`)
    if (key === '$setOnInsert') onInsert = value
    else operators[key] = { ...(operators[key] ?? {}), ...value }
  }
  if (Object.keys(plain).length > 0) operators.$set = { ...flattenForMerge(plain), ...(operators.$set ?? {}) }
  for (const fields of Object.values(operators)) {
    for (const field of Object.keys(fields)) {
      if (field === '_id' || field.startsWith('_id.')) throw invalidParam('不能更新_id的值 (the _id of a document cannot change)')
    }
  }
  return { operators, onInsert }
}

/** Equality fields of a filter, the seed of a document that an upsert inserts. */
export function seedFromFilter(filter: Record<string, unknown>): Doc {
  const seed: Doc = {}
  for (const [field, condition] of Object.entries(filter)) {
    if (field.startsWith('$') || field.includes('.')) continue
    if (isPlainObject(condition)) {
      if ('$eq' in condition) seed[field] = condition.$eq
      continue
    }
    seed[field] = condition
  }
  return seed
}


/** Builds the function that turns a document into its updated form. */
export function changeFunction(data: Record<string, unknown>, merge: boolean) {
  if (!merge) {
    if (Object.keys(data).some((key) => key.startsWith('$'))) throw invalidParam('a replacement document cannot hold update operators')
    checkFieldNames(data)
    return (current: Doc) => {
      // As MongoDB keeps it, the _id stays the first field of the replacement.
      const doc: Doc = { _id: current._id, ...data }
      if ('_id' in data && data._id !== current._id) throw invalidParam('不能更新_id的值 (the _id of a document cannot change)')
      return { doc, changed: JSON.stringify(doc) !== JSON.stringify(current) }
    }
  }
  const { operators, onInsert } = normaliseUpdate(data)
  return (current: Doc, inserting = false) => {
    const doc = structuredClone(current)
    let changed = false
    try {
      if (Object.keys(operators).length > 0) changed = applyUpdate(doc, operators)
      if (inserting && Object.keys(onInsert).length > 0) changed = applyUpdate(doc, { $set: onInsert }) || changed
    } catch (error) {
      throw new DatabaseError('DATABASE_INVALID_OPERRATOR', `invalid update: ${(error as Error).message}`)
    }
    if (doc._id !== current._id) throw invalidParam('不能更新_id的值 (the _id of a document cannot change)')
    return { doc, changed }
  }
}
