/**
 * The database service: the SDKs' `database.*` actions over one SQLite
 * store, with the project's declared collections and indexes, and the
 * control API's routes over the collections (control.ts).
 */
import type { AdminAction, Service } from '../../service'
import type { Stats } from '../../stats'
import { DatabaseError } from './errors'
import { DatabaseGateway } from './gateway'
import { databaseActions } from './router'
import { loadDeclarations } from './schema'
import { controlRoutes } from './control'
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
    routes: controlRoutes(store, gateway, options.stats),
  }
}
