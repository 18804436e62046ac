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
import { DatabaseError } from './errors'
import { DatabaseGateway } from './gateway'
import { databaseActions } from './router'
import { loadDeclarations } from './schema'
import type { Store } from './store'

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
        /^\/_emulator\/db\/([^/]+)$/,
        async (_req, res, [collection], url) => {
          const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 1000)
          const offset = Math.max(Number(url.searchParams.get('offset') ?? 0) || 0, 0)
          if (!store.hasCollection(collection!)) throw new HttpError(404, `collection ${collection} does not exist`)
          const after = url.searchParams.get('after')
          if (after !== null) {
            // A range of the natural-order index: a page costs what it returns, however deep.
            if (!/^\d+$/.test(after)) throw new HttpError(400, '"after" is the "next" of the page before, or 0')
            const page = store.page(collection!, Number(after), limit)
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
