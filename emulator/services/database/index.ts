/**
 * The database service: the SDKs' `database.*` actions over one SQLite
 * store, with the project's declared collections and indexes, the faults
 * injected into those actions (faults.ts), and the control API's routes over
 * the collections (control.ts) and the faults (fault-routes.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { AdminAction, AdminReply, Service } from '../../service'
import type { Stats } from '../../stats'
import { DatabaseError, injectedFault } from './errors'
import { DatabaseFaults, type DatabaseFault } from './faults'
import { faultRoutes } from './fault-routes'
import { DatabaseGateway } from './gateway'
import { databaseActions } from './router'
import { loadDeclarations, type CollectionDeclaration } from './schema'
import { SCHEMA_RECORD, schemaVersion } from './schema-version'
import { controlRoutes } from './control'
import type { Store } from './store'

/** Runs one request under its fault, counting what was injected. */
async function underFault(fault: DatabaseFault, apply: () => AdminReply, stats: Stats): Promise<AdminReply> {
  if (fault.latencyMs > 0) {
    stats.countDatabaseFault('latency')
    await sleep(fault.latencyMs)
  }
  if (fault.kind === 'error') {
    stats.countDatabaseFault('error')
    const error = injectedFault()
    return { json: { code: error.code, message: error.message } }
  }
  const reply = apply()
  if (fault.kind === 'lostReply') {
    // Applied, then the connection is dropped unanswered. wx-server-sdk 4.0.2 rejects the call with -501001
    // "socket hang up" and sends it once only: its retry list (failures to connect) leaves
    // ECONNRESET out, and its resend on a reused keep-alive socket never fires on a first attempt
    // (nor in SCF, where keep-alive is off). So the write landed while its caller saw an error.
    stats.countDatabaseFault('lostReply')
    return { reset: true }
  }
  if (fault.kind === 'stall') {
    stats.countDatabaseFault('stall')
    await sleep(fault.stallMs)
  }
  return reply
}

/**
 * Writes the schema record (`_meta/schema`) for the declarations just laid out, as a deploy's
 * migration writes it, so that functions that check the schema before they serve find it.
 */
function recordSchema(gateway: DatabaseGateway, store: Store, declarations: CollectionDeclaration[], schemaDir: string, now: () => number): void {
  store.addCollection(SCHEMA_RECORD.collection)
  const record = {
    version: schemaVersion(schemaDir),
    collections: declarations.map((declaration) => declaration.collection).sort(),
    migratedAt: new Date(now()),
    by: 'emulator',
  }
  gateway.modify(SCHEMA_RECORD.collection, { _id: SCHEMA_RECORD.id }, record, { multi: false, merge: false, upsert: true })
}

export interface DatabaseService extends Service {
  gateway: DatabaseGateway
}

/**
 * `declare`: lay out the declared collections and indexes and write the schema record (the
 * default); false starts from the store as it is, as an empty environment that a deploy fills.
 */
export function createDatabaseService(options: { store: Store; stats: Stats; schemaDir: string; declare: boolean; now: () => number }): DatabaseService {
  const { store, stats } = options
  const gateway = new DatabaseGateway(store, stats, options.now)
  if (options.declare) {
    const declarations = loadDeclarations(options.schemaDir)
    gateway.applyDeclarations(declarations)
    if (declarations.length > 0) recordSchema(gateway, store, declarations, options.schemaDir, options.now)
  }
  const faults = new DatabaseFaults()
  const actions: Record<string, AdminAction> = {}
  for (const [action, handler] of Object.entries(databaseActions(gateway, options.now))) {
    const apply = (params: Record<string, unknown>): AdminReply => {
      try {
        return { json: handler(params) }
      } catch (error) {
        if (!(error instanceof DatabaseError)) throw error
        return { json: { code: error.code, message: error.message } }
      }
    }
    actions[action] = (params) => {
      // Without a fault a request runs at once, as it always has.
      const fault = faults.decide(action, params.collectionName)
      return fault ? underFault(fault, () => apply(params), stats) : apply(params)
    }
  }
  return {
    gateway,
    actions,
    routes: [...controlRoutes(store, gateway, stats), ...faultRoutes(faults)],
  }
}
