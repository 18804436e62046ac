/**
 * Faults injected into the SDKs' database requests (`database.*` of
 * `POST /admin`), for reliability tests: a share refused and not applied, a
 * share applied whose reply is lost, a share applied at once but answered
 * late, and latency before each. The control API's own routes are never
 * faulted. A seed makes every draw repeatable.
 */
import { SeededSettings } from '../../random'

export const DATABASE_OPS = ['get', 'count', 'add', 'update', 'remove', 'aggregate', 'transaction'] as const
export type DatabaseOp = (typeof DATABASE_OPS)[number]

/**
 * The op each action of both dialects is. An action run inside a transaction
 * is the op it performs (an update is `update`); `transaction` is only the
 * transaction's start, commit and abort. `addCollection` is none: it is set-up,
 * never faulted.
 */
export const OP_OF_ACTION: Readonly<Record<string, DatabaseOp>> = {
  'database.getDocument': 'get',
  'database.queryDocument': 'get',
  'database.getInTransaction': 'get',
  'database.calculateDocument': 'count',
  'database.countDocument': 'count',
  'database.insertDocument': 'add',
  'database.addDocument': 'add',
  'database.insertDocInTransaction': 'add',
  'database.modifyDocument': 'update',
  'database.modifyAndReturnDoc': 'update',
  'database.updateDocument': 'update',
  'database.updateDocInTransaction': 'update',
  'database.removeDocument': 'remove',
  'database.deleteDocument': 'remove',
  'database.deleteDocInTransaction': 'remove',
  'database.aggregateDocuments': 'aggregate',
  'database.aggregate': 'aggregate',
  'database.startTransaction': 'transaction',
  'database.commitTransaction': 'transaction',
  'database.abortTransaction': 'transaction',
}

export interface DatabaseFaultSettings {
  /** The share of matching requests refused with a database error, not applied. */
  rate?: number
  /** The share applied, then answered by a reset of the connection: the caller cannot know it landed. */
  lostReply?: number
  /** The share applied at once but answered `stallMs` later. */
  stallRate?: number
  stallMs?: number
  /** Added before every matching request is applied. */
  latencyMs?: number
  /** All ops when absent. */
  ops?: DatabaseOp[]
  /** All collections when absent. A transaction's start, commit and abort name none, so a list leaves them alone. */
  collections?: string[]
  seed?: number
}

/** What happens to one request: `pass` is latency alone. */
export type DatabaseFault =
  | { kind: 'pass'; latencyMs: number }
  | { kind: 'error'; latencyMs: number }
  | { kind: 'lostReply'; latencyMs: number }
  | { kind: 'stall'; latencyMs: number; stallMs: number }

const MAX_MS = 600_000
const KNOWN = new Set(['rate', 'lostReply', 'stallRate', 'stallMs', 'latencyMs', 'ops', 'collections', 'seed'])

/** A setting the control API refuses, naming the field. */
export class FaultSettingError extends Error {}

export function parseDatabaseFaults(body: unknown): DatabaseFaultSettings {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new FaultSettingError('database faults must be a JSON object')
  const input = body as Record<string, unknown>
  for (const key of Object.keys(input)) if (!KNOWN.has(key)) throw new FaultSettingError(`unknown database fault setting ${key}`)
  const number = (key: string, max: number, integer = false) => {
    const value = input[key]
    if (value === undefined) return undefined
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max || (integer && !Number.isInteger(value))) {
      throw new FaultSettingError(`${key} must be a ${integer ? 'whole ' : ''}number from 0 to ${max}`)
    }
    return value
  }
  const names = (key: string, allowed?: readonly string[]) => {
    const value = input[key]
    if (value === undefined) return undefined
    const valid = Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item !== '' && (!allowed || allowed.includes(item)))
    if (!valid) throw new FaultSettingError(`${key} must be a non-empty list of ${allowed ? allowed.join(', ') : 'collection names'}`)
    return [...new Set(value as string[])]
  }
  const settings: DatabaseFaultSettings = {
    rate: number('rate', 1),
    lostReply: number('lostReply', 1),
    stallRate: number('stallRate', 1),
    stallMs: number('stallMs', MAX_MS),
    latencyMs: number('latencyMs', MAX_MS),
    ops: names('ops', DATABASE_OPS) as DatabaseOp[] | undefined,
    collections: names('collections'),
    seed: number('seed', 2 ** 32 - 1, true),
  }
  if ((settings.stallRate === undefined) !== (settings.stallMs === undefined)) {
    throw new FaultSettingError(`${settings.stallMs === undefined ? 'stallMs' : 'stallRate'} is needed with ${settings.stallMs === undefined ? 'stallRate' : 'stallMs'}: how long a stall lasts, and the share of requests stalled`)
  }
  // One draw decides each request's fault, so the three shares split the same requests.
  if ((settings.rate ?? 0) + (settings.lostReply ?? 0) + (settings.stallRate ?? 0) > 1) {
    throw new FaultSettingError('rate + lostReply + stallRate must be at most 1: each is a share of the same requests')
  }
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined))
}

export class DatabaseFaults extends SeededSettings<DatabaseFaultSettings> {
  /**
   * This request's fault, or undefined when none applies (the request then
   * runs as ever, at once). A matching request takes exactly one draw
   * whatever its fate, so with a seed the n-th matching request always meets
   * the same fault.
   */
  decide(action: string, collection: unknown): DatabaseFault | undefined {
    const { rate = 0, lostReply = 0, stallRate = 0, stallMs = 0, latencyMs = 0, ops, collections } = this.settings
    if (rate === 0 && lostReply === 0 && stallRate === 0 && latencyMs === 0) return undefined
    const op = OP_OF_ACTION[action]
    if (op === undefined || (ops && !ops.includes(op))) return undefined
    if (collections && !(typeof collection === 'string' && collections.includes(collection))) return undefined
    if (rate === 0 && lostReply === 0 && stallRate === 0) return { kind: 'pass', latencyMs }
    const draw = this.random()
    if (draw < rate) return { kind: 'error', latencyMs }
    if (draw < rate + lostReply) return { kind: 'lostReply', latencyMs }
    if (draw < rate + lostReply + stallRate) return { kind: 'stall', latencyMs, stallMs }
    return { kind: 'pass', latencyMs }
  }
}
