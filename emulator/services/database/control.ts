/**
 * The control API over the collections, for tools, tests and the console:
 * list them, read one in insertion order (by offset, or by range with a
 * filter in the database's language), count, replace or delete a document,
 * export and import a collection. Documents travel as relaxed EJSON, so a
 * value keeps its type: a Date reads `{ "$date": … }`, never a bare string.
 */
import { EJSON } from 'bson'
import { HttpError, readJson, sendJson } from '../../http'
import type { RouteEntry } from '../../service'
import type { Stats } from '../../stats'
import { compileFilter } from './changes'
import { DatabaseError } from './errors'
import type { DatabaseGateway } from './gateway'
import type { Store } from './store'
import { decodeEjson, isPlainObject, type Doc } from './values'

/** How many documents one filtered page may read before it ends short. */
const MAX_SCAN = 5000

const relaxed = (doc: Doc) => EJSON.serialize(doc, { relaxed: true })

/** A service error in a control route is the caller's: HTTP 400 (404 for a missing collection) with its message. */
function asHttp<T>(work: () => T): T {
  try {
    return work()
  } catch (error) {
    if (error instanceof DatabaseError) throw new HttpError(error.code === 'DATABASE_COLLECTION_NOT_EXIST' ? 404 : 400, error.message)
    throw error
  }
}

/** Relaxed EJSON (text, or a value already parsed from a JSON body) as the store's values. */
const fromRelaxed = (value: unknown, what: string) => asHttp(() => decodeEjson(typeof value === 'string' ? value : JSON.stringify(value), what, Date.now()))

/** The `filter` parameter: a query in the database's language, as relaxed EJSON text. */
function filterOf(url: URL): Record<string, unknown> | undefined {
  const text = url.searchParams.get('filter')
  if (text === null || text.trim() === '') return undefined
  const filter = fromRelaxed(text, 'filter')
  if (!isPlainObject(filter)) throw new HttpError(400, 'filter must be a query object')
  return filter
}

/** A page's size: 100 unless `limit` says, at most 1000. A fraction or a number below 1 would reach SQLite's LIMIT (-1 there is no limit at all). */
function pageLimit(url: URL): number {
  const raw = url.searchParams.get('limit')
  if (raw === null || raw === '') return 100
  const limit = Number(raw)
  if (!Number.isInteger(limit) || limit < 1) throw new HttpError(400, `"limit" must be a whole number from 1 (at most 1000 are read), not ${raw.slice(0, 40)}`)
  return Math.min(limit, 1000)
}

/** Up to `limit` documents after a natural-order position that pass the filter, read in ranges. */
function browse(store: Store, stats: Stats, collection: string, filter: Record<string, unknown> | undefined, after: number, limit: number): { docs: Doc[]; next: number | null } {
  if (!filter) {
    const page = store.page(collection, after, limit)
    stats.countExamined(page.docs.length)
    return page
  }
  const query = asHttp(() => compileFilter(filter))
  const docs: Doc[] = []
  let examined = 0
  let from: number | null = after
  try {
    while (from !== null && docs.length < limit) {
      // A rare match costs at most MAX_SCAN documents a page: the page then ends short, and `next` goes on from there.
      if (examined >= MAX_SCAN) return { docs, next: from }
      const page = store.page(collection, from, 500)
      for (const [i, doc] of page.docs.entries()) {
        examined += 1
        if (!query.test(doc)) continue
        docs.push(doc)
        if (docs.length === limit) return { docs, next: page.positions[i]! }
      }
      from = page.next
    }
    return { docs, next: null }
  } finally {
    stats.countExamined(examined)
  }
}

export function controlRoutes(store: Store, gateway: DatabaseGateway, stats: Stats): RouteEntry[] {
  const existing = (collection: string) => {
    if (!store.hasCollection(collection)) throw new HttpError(404, `collection ${collection} does not exist`)
    return collection
  }
  return [
    ['GET', /^\/_emulator\/db$/, async (_req, res) => sendJson(res, 200, { data: store.listCollections() })],
    [
      'GET',
      /^\/_emulator\/db\/([^/]+)\/indexes$/,
      // A collection's declared indexes in the shape of `db/<collection>.json`, so that a deploy's result can be held against it.
      async (_req, res, [collection]) => sendJson(res, 200, { data: store.indexSpecs(existing(collection!)) }),
    ],
    [
      'GET',
      /^\/_emulator\/db\/([^/]+)\/count$/,
      async (_req, res, [collection], url) => sendJson(res, 200, { total: asHttp(() => gateway.count(collection, filterOf(url) ?? {})) }),
    ],
    [
      'GET',
      /^\/_emulator\/db\/([^/]+)$/,
      async (_req, res, [collection], url) => {
        const limit = pageLimit(url)
        const offset = Math.max(Number(url.searchParams.get('offset') ?? 0) || 0, 0)
        existing(collection!)
        const after = url.searchParams.get('after')
        const filter = filterOf(url)
        // A filter reads by range too (from the start without "after"): the skip below does not filter.
        if (filter && after === null && offset > 0) throw new HttpError(400, '"filter" pages with "after", not "offset"')
        if (after !== null || filter) {
          // A range of the natural-order index: a page costs what it returns (and what the filter passes over).
          if (after !== null && !/^\d+$/.test(after)) throw new HttpError(400, '"after" is the "next" of the page before, or 0')
          const page = browse(store, stats, collection!, filter, Number(after ?? 0), limit)
          return sendJson(res, 200, { data: page.docs.map(relaxed), next: page.next })
        }
        const data = []
        let index = 0
        for (const { doc } of store.scan(collection!)) {
          if (index++ < offset) continue
          if (data.length >= limit) break
          data.push(relaxed(doc))
        }
        sendJson(res, 200, { data })
      },
    ],
    [
      'PUT',
      /^\/_emulator\/db\/([^/]+)\/doc\/([^/]+)$/,
      async (req, res, [collection, id]) => {
        const doc = fromRelaxed(await readJson(req), 'document')
        if (!isPlainObject(doc)) throw new HttpError(400, 'the body must be a document')
        if (doc._id !== undefined && doc._id !== id) throw new HttpError(400, 'the _id of a document cannot change')
        const { _id, ...rest } = doc
        const result = asHttp(() => gateway.modify(existing(collection!), { _id: id }, rest, { multi: false, merge: false, upsert: false, countMatched: true }))
        if (result.updated === 0) throw new HttpError(404, `no document ${id} in ${collection}`)
        sendJson(res, 200, { data: relaxed(result.doc!) })
      },
    ],
    [
      'DELETE',
      /^\/_emulator\/db\/([^/]+)\/doc\/([^/]+)$/,
      async (_req, res, [collection, id]) => {
        const deleted = asHttp(() => gateway.remove(existing(collection!), { _id: id }, false))
        if (deleted === 0) throw new HttpError(404, `no document ${id} in ${collection}`)
        sendJson(res, 200, { deleted })
      },
    ],
    [
      'GET',
      /^\/_emulator\/db\/([^/]+)\/export$/,
      async (_req, res, [collection]) => {
        existing(collection!)
        // Written as it is read, a document at a time: a large collection is never held whole.
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-disposition': `attachment; filename="${collection}.json"` })
        let first = true
        res.write('[')
        for (const { doc } of store.scan(collection!)) {
          res.write(`${first ? '' : ','}\n${JSON.stringify(relaxed(doc))}`)
          first = false
        }
        res.end('\n]\n')
      },
    ],
    [
      'POST',
      /^\/_emulator\/db\/([^/]+)\/import$/,
      async (req, res, [collection]) => {
        const body = await readJson(req)
        if (!Array.isArray(body) || body.length === 0) throw new HttpError(400, 'the body must be a non-empty array of documents, as export gives them')
        const docs = body.map((doc, i) => fromRelaxed(doc, `document ${i}`))
        // All or nothing: one duplicate _id and nothing is written.
        const inserted = asHttp(() => gateway.insert(existing(collection!), docs))
        sendJson(res, 200, { inserted: inserted.length })
      },
    ],
  ]
}
