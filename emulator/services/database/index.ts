/**
 * The database service: the SDKs' `database.*` actions over one SQLite
 * store, with the project's declared collections and indexes, and the
 * control API's read of a collection, in insertion order and in relaxed
 * EJSON, so that a value keeps its type.
 */
import { EJSON } from 'bson'
import { HttpError, sendJson } from '../../http'
import type { AdminAction, Service } from '../../service'
import type { Stats } from '../../stats'
import { compileFilter } from './changes'
import { DatabaseError } from './errors'
import { DatabaseGateway } from './gateway'
import { databaseActions } from './router'
import { loadDeclarations } from './schema'
import type { Store } from './store'
import { decodeEjson, isPlainObject, type Doc } from './values'

/** The `filter` parameter: a query in the database's language, as relaxed EJSON text. */
function filterOf(url: URL): Record<string, unknown> | undefined {
  const text = url.searchParams.get('filter')
  if (text === null || text.trim() === '') return undefined
  const filter = asHttp(() => decodeEjson(text, 'filter', Date.now()))
  if (!isPlainObject(filter)) throw new HttpError(400, 'filter must be a query object')
  return filter
}

/** A service error in a control route is the caller's: HTTP 400 with its message. */
function asHttp<T>(work: () => T): T {
  try {
    return work()
  } catch (error) {
    if (error instanceof DatabaseError) throw new HttpError(error.code === 'DATABASE_COLLECTION_NOT_EXIST' ? 404 : 400, error.message)
    throw error
  }
}

/** How many documents one filtered page may read before it ends short. */
const MAX_SCAN = 5000

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

export function createDatabaseService(options: { store: Store; stats: Stats; schemaDir: string; now: () => number }): Service {
  const { store } = options
  const gateway = new DatabaseGateway(store, options.stats, options.now)
  gateway.applyDeclarations(loadDeclarations(options.schemaDir))
  const actions: Record<string, AdminAction> = {}
  for (const [action, handler] of Object.entries(databaseActions(gateway, options.now))) {
    actions[action] = (params) => {
      try {
        return { json: handler(params) }
      } catch (error) {
        if (!(error instanceof DatabaseError)) throw error
        return { json: { code: error.code, message: error.message } }
      }
    }
  }
  return {
    actions,
    routes: [
      ['GET', /^\/_emulator\/db$/, async (_req, res) => sendJson(res, 200, { data: store.listCollections() })],
      [
        'GET',
        /^\/_emulator\/db\/([^/]+)\/count$/,
        async (_req, res, [collection], url) => sendJson(res, 200, { total: asHttp(() => gateway.count(collection, filterOf(url) ?? {})) }),
      ],
      [
        'GET',
        /^\/_emulator\/db\/([^/]+)$/,
        async (_req, res, [collection], url) => {
          const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 1000)
          const offset = Math.max(Number(url.searchParams.get('offset') ?? 0) || 0, 0)
          if (!store.hasCollection(collection!)) throw new HttpError(404, `collection ${collection} does not exist`)
          const after = url.searchParams.get('after')
          if (after !== null) {
            // A range of the natural-order index: a page costs what it returns (and what the filter passes over).
            if (!/^\d+$/.test(after)) throw new HttpError(400, '"after" is the "next" of the page before, or 0')
            const page = browse(store, options.stats, collection!, filterOf(url), Number(after), limit)
            return sendJson(res, 200, { data: page.docs.map((doc) => EJSON.serialize(doc, { relaxed: true })), next: page.next })
          }
          const data = []
          let index = 0
          for (const { doc } of store.scan(collection!)) {
            if (index++ < offset) continue
            if (data.length >= limit) break
            // Relaxed EJSON: a Date reads { $date }, never a string a reader could take for one.
            data.push(EJSON.serialize(doc, { relaxed: true }))
          }
          sendJson(res, 200, { data })
        },
      ],
    ],
  }
}
