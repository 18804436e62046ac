import { invalidParam } from './errors'
import type { DatabaseGateway, ModifyOptions } from './gateway'
import type { SortSpec } from './planner'
import { decodeEjson, decodeLegacy, encodeDoc, isPlainObject, toLegacyJson, type Doc } from './values'

type Params = Record<string, unknown>
type Reply = Record<string, unknown>

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined) return {}
  if (!isPlainObject(value)) throw invalidParam(`${what} must be an object`)
  return value
}

function asCount(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw invalidParam(`${what} must be a non-negative integer`)
  return n
}

function sortSpec(order: unknown): SortSpec {
  if (order === undefined) return []
  // Current dialect: { field: 1 | -1 }; older dialect: [{ field, direction: 'asc' | 'desc' }].
  if (Array.isArray(order)) {
    return order.map((entry) => {
      const { field, direction } = entry as { field?: unknown; direction?: unknown }
      if (typeof field !== 'string') throw invalidParam('order needs a field')
      return [field, direction === 'desc' ? -1 : 1]
    })
  }
  return Object.entries(asObject(order, 'order')).map(([field, direction]) => {
    if (direction !== 1 && direction !== -1) throw invalidParam(`order of ${field} must be 1 or -1`)
    return [field, direction]
  })
}

const bool = (value: unknown, fallback: boolean) => (value === undefined ? fallback : value === true || value === 'true')

/** An update's options; a replacement (`set()`, merge false) counts what it matched, changed or not, as the service does. */
function modifyOptions(p: Params, merge = bool(p.merge, true)): ModifyOptions {
  return { multi: bool(p.multi, false), merge, upsert: bool(p.upsert, false), countMatched: !merge }
}

/**
 * The older dialect sends a command inside `$elemMatch` by the SDK's name for it
 * (`_.elemMatch(_.neq(1))` → `{ $elemMatch: { $neq: 1 } }`); elsewhere it sends MongoDB's.
 */
function commandNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(commandNames)
  if (!isPlainObject(value)) return value
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key === '$neq' ? '$ne' : key, commandNames(item)]))
}

/**
 * The database actions of `POST /admin`, in both dialects: the current one
 * of @cloudbase/database 1.4 (wx-server-sdk; EJSON strings) and the older
 * one of 0.9 (tcb-admin-node; plain JSON with `{ $date }`).
 */
export function databaseActions(gateway: DatabaseGateway, now: () => number) {
  const ejson = (value: unknown, what: string) => decodeEjson(value, what, now())
  const legacy = (value: unknown) => decodeLegacy(typeof value === 'string' ? JSON.parse(value) : value, now())
  const list = (docs: Doc[]) => docs.map(encodeDoc)
  const legacyList = (docs: Doc[]) => docs.map(toLegacyJson)
  const legacyQuery = (p: Params) => asObject(commandNames(legacy(p.query)), 'query')

  const actions: Record<string, (p: Params) => Reply> = {
    // ---- current dialect (wx-server-sdk 4 / @cloudbase/database 1.4) ----
    'database.addCollection': (p) => {
      gateway.addCollection(p.collectionName as string)
      return {}
    },
    'database.insertDocument': (p) => {
      if (!Array.isArray(p.data)) throw invalidParam('data must be an array')
      const docs = p.data.map((item) => ejson(item, 'data'))
      return { data: { insertedIds: gateway.insert(p.collectionName, docs, p.transactionId as string | undefined) } }
    },
    'database.getDocument': (p) => {
      const docs = gateway.find(
        p.collectionName,
        asObject(ejson(p.query, 'query'), 'query'),
        {
          sort: sortSpec(ejson(p.order, 'order')),
          skip: asCount(p.offset, 'offset'),
          limit: asCount(p.limit, 'limit'),
          projection: asObject(ejson(p.projection, 'projection'), 'projection'),
        },
        p.transactionId as string | undefined,
      )
      return { data: { list: list(docs) } }
    },
    'database.calculateDocument': (p) => ({
      data: { total: gateway.count(p.collectionName, asObject(ejson(p.query, 'query'), 'query')) },
    }),
    'database.modifyDocument': (p) => {
      const result = gateway.modify(
        p.collectionName,
        asObject(ejson(p.query, 'query'), 'query'),
        asObject(ejson(p.data, 'data'), 'data'),
        modifyOptions(p),
        p.transactionId as string | undefined,
      )
      return { data: { updated: result.updated, upsert_id: result.upsertId } }
    },
    'database.modifyAndReturnDoc': (p) => {
      const result = gateway.modify(
        p.collectionName,
        asObject(ejson(p.query, 'query'), 'query'),
        asObject(ejson(p.data, 'data'), 'data'),
        { multi: false, merge: true, upsert: false, countMatched: true },
        p.transactionId as string | undefined,
      )
      return { data: { updated: result.updated, doc: result.doc ? encodeDoc(result.doc) : null } }
    },
    'database.removeDocument': (p) => ({
      data: {
        deleted: gateway.remove(
          p.collectionName,
          asObject(ejson(p.query, 'query'), 'query'),
          bool(p.multi, false),
          p.transactionId as string | undefined,
        ),
      },
    }),
    'database.aggregateDocuments': (p) => {
      if (!Array.isArray(p.stages)) throw invalidParam('stages must be an array')
      const pipeline = p.stages.map((stage) => {
        const { stageKey, stageValue } = (stage ?? {}) as { stageKey?: unknown; stageValue?: unknown }
        if (typeof stageKey !== 'string' || typeof stageValue !== 'string') throw invalidParam('each stage needs stageKey and stageValue')
        return { [stageKey]: ejson(stageValue, stageKey) }
      })
      return { data: { list: list(gateway.aggregate(p.collectionName, pipeline)) } }
    },
    'database.startTransaction': () => ({ transactionId: gateway.startTransaction() }),
    'database.commitTransaction': (p) => {
      gateway.commitTransaction(p.transactionId)
      return {}
    },
    'database.abortTransaction': (p) => {
      gateway.abortTransaction(p.transactionId)
      return {}
    },

    // ---- older dialect (tcb-admin-node 1.23 / @cloudbase/database 0.9) ----
    'database.addDocument': (p) => {
      const [id] = gateway.insert(p.collectionName, [legacy(p.data)])
      return { data: { _id: id } }
    },
    'database.queryDocument': (p) => {
      const docs = gateway.find(p.collectionName, legacyQuery(p), {
        sort: sortSpec(p.order),
        skip: asCount(p.offset, 'offset'),
        limit: asCount(p.limit, 'limit'),
        projection: asObject(p.projection, 'projection'),
      })
      return { data: { list: legacyList(docs) } }
    },
    'database.countDocument': (p) => ({
      data: { total: gateway.count(p.collectionName, legacyQuery(p)) },
    }),
    'database.updateDocument': (p) => {
      const result = gateway.modify(p.collectionName, legacyQuery(p), asObject(legacy(p.data), 'data'), modifyOptions(p))
      // This dialect reads the upserted document's id as upserted_id.
      return { data: { updated: result.updated, upserted_id: result.upsertId } }
    },
    'database.deleteDocument': (p) => ({
      data: { deleted: gateway.remove(p.collectionName, legacyQuery(p), bool(p.multi, false)) },
    }),
    // Its transactions: one document each, values as EJSON text, counts as EJSON text too.
    'database.getInTransaction': (p) => {
      const [doc] = gateway.find(p.collectionName, legacyQuery(p), { limit: 1 }, p.transactionId as string)
      return { data: doc ? encodeDoc(doc) : 'null' }
    },
    'database.insertDocInTransaction': (p) => {
      const doc = asObject(ejson(p.data, 'data'), 'data')
      if (p._id !== undefined) doc._id = p._id
      const [id] = gateway.insert(p.collectionName, [doc], p.transactionId as string)
      // The SDK passes the reply through, so the inserted id reaches the caller as `id`.
      return { id, inserted: '1', ok: '1' }
    },
    'database.updateDocInTransaction': (p) => {
      const data = asObject(ejson(p.data, 'data'), 'data')
      // set() sends the document itself, update() only operators.
      const merge = Object.keys(data).some((key) => key.startsWith('$'))
      const result = gateway.modify(p.collectionName, legacyQuery(p), data, modifyOptions(p, merge), p.transactionId as string)
      return { updated: String(result.updated), ...(result.upsertId !== undefined ? { upserted: JSON.stringify([{ _id: result.upsertId }]) } : {}) }
    },
    'database.deleteDocInTransaction': (p) => ({
      deleted: String(gateway.remove(p.collectionName, legacyQuery(p), false, p.transactionId as string)),
    }),
    'database.aggregate': (p) => {
      if (!Array.isArray(p.stages)) throw invalidParam('stages must be an array')
      const pipeline = p.stages.map((stage) => {
        const { stageKey, stageValue } = (stage ?? {}) as { stageKey?: unknown; stageValue?: unknown }
        // The stage's value is plain JSON text (a string stage, '$status', stays a string). Read as
        // EJSON, its `{ $date }` would become a Date that decodeLegacy then empties: read it as JSON.
        const value = typeof stageValue === 'string' ? JSON.parse(stageValue) : stageValue
        return { [String(stageKey)]: decodeLegacy(value, now()) }
      })
      // This dialect wants the list as one JSON string of EJSON strings.
      return { data: { list: JSON.stringify(list(gateway.aggregate(p.collectionName, pipeline))) } }
    },
  }
  return actions
}
