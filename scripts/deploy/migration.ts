/**
 * The database's migration: the collections and indexes of `db/` made to
 * exist on a live environment through the management API, read back and
 * compared, and only then the schema record (`_meta/schema`) written, which
 * the functions check before they serve. Nothing is dropped unless it was
 * declared differently (then it is dropped and made again) or `--prune` asks.
 */
import { SCHEMA_RECORD, readDeclarations, versionOf } from '../schema-version'
import { describeError, type Target } from './management'

export type Direction = 1 | -1 | '2dsphere'
export interface IndexSpec {
  name: string
  unique: boolean
  keys: Array<{ field: string; direction: Direction }>
}
interface Declared {
  collection: string
  indexes: IndexSpec[]
}

/** What the service holds now: per collection, its indexes (but `_id_`), or null when it does not exist. */
export type Current = Map<string, IndexSpec[] | null>

export interface CollectionPlan {
  collection: string
  create: boolean
  /** Declared but absent. */
  add: IndexSpec[]
  /** Present, but declared otherwise: dropped and made again. */
  change: IndexSpec[]
  /** Present, not declared: reported, dropped only with --prune. */
  undeclared: string[]
}

export interface MigrationPlan {
  version: string
  /** The declarations the plan was made from, so that applying it reads db/ no second time. */
  declared: Declared[]
  collections: CollectionPlan[]
  prune: boolean
}

/** Whether an index on the service is the one declared: the one rule for "declared otherwise". */
export const sameIndex = (a: IndexSpec, b: IndexSpec) => JSON.stringify(normal(a)) === JSON.stringify(normal(b))
const normal = (index: IndexSpec): IndexSpec => ({ name: index.name, unique: index.unique === true, keys: index.keys.map(({ field, direction }) => ({ field, direction })) })

/** db/ read once: its declarations and the version they make. */
export function declarations(dir: string): { version: string; declared: Declared[] } {
  const declared = readDeclarations(dir) as Declared[]
  return { version: versionOf(declared), declared }
}

/** What the migration makes exist: the declared collections, and the schema record's without indexes. */
const wantedOf = (declared: Declared[]): Declared[] => [...declared, { collection: SCHEMA_RECORD.collection, indexes: [] }]

/** The collections the migration touches. */
export function collectionsOf(declared: Declared[]): string[] {
  return wantedOf(declared).map((d) => d.collection)
}

/** Pure: what must change for the service to hold the declarations. */
export function planMigration(declared: Declared[], current: Current, version: string, prune: boolean): MigrationPlan {
  const collections = wantedOf(declared).map(({ collection, indexes }) => {
    const present = current.get(collection) ?? null
    const byName = new Map((present ?? []).map((index) => [index.name, index]))
    return {
      collection,
      create: present === null,
      add: indexes.filter((index) => !byName.has(index.name)),
      change: indexes.filter((index) => byName.has(index.name) && !sameIndex(index, byName.get(index.name)!)),
      undeclared: [...byName.keys()].filter((name) => !indexes.some((index) => index.name === name)),
    }
  })
  return { version, declared, collections, prune }
}

export function isNoop(plan: MigrationPlan): boolean {
  return plan.collections.every((c) => !c.create && c.add.length === 0 && c.change.length === 0 && (!plan.prune || c.undeclared.length === 0))
}

const describeIndex = (index: IndexSpec) =>
  `${index.name} (${index.unique ? 'unique, ' : ''}${index.keys.map((k) => `${k.field} ${k.direction}`).join(', ')})`

export function describeMigration(plan: MigrationPlan): string[] {
  const lines = [`Database, schema version ${plan.version}:`]
  for (const c of plan.collections) {
    const steps = [
      ...(c.create ? ['create the collection'] : []),
      ...c.add.map((index) => `create index ${describeIndex(index)}`),
      ...c.change.map((index) => `drop and create again index ${describeIndex(index)} (declared otherwise)`),
      ...c.undeclared.map((name) => (plan.prune ? `drop undeclared index ${name} (--prune)` : `keep undeclared index ${name} (not in db/; --prune drops it)`)),
    ]
    lines.push(`- ${c.collection}: ${steps.length ? steps.join('; ') : 'as declared'}`)
  }
  if (isNoop(plan)) lines.push('  nothing to change')
  return lines
}

const directionOf = (raw: unknown): Direction => (raw === '2dsphere' ? '2dsphere' : Number(raw) === -1 ? -1 : 1)

/** Reads each collection's indexes through DescribeTable; a collection that is not there is null. */
export async function readCurrent(target: Target, collections: string[]): Promise<Current> {
  const current: Current = new Map()
  for (const collection of collections) {
    try {
      const table = (await target.manager.database.describeCollection(collection)) as { Indexes?: Array<Record<string, any>> }
      current.set(
        collection,
        (table.Indexes ?? [])
          .filter((index) => index.Name !== '_id_')
          .map((index) => ({
            name: String(index.Name),
            unique: index.Unique === true,
            keys: (index.Keys ?? []).map((key: Record<string, unknown>) => ({ field: String(key.Name), direction: directionOf(key.Direction) })),
          })),
      )
    } catch (error) {
      if (!/NotExist|not exist|ResourceNotFound/i.test(`${describeError(error).code} ${describeError(error).message}`)) throw error
      current.set(collection, null)
    }
  }
  return current
}

const createIndex = (index: IndexSpec) => ({
  IndexName: index.name,
  MgoKeySchema: { MgoIsUnique: index.unique, MgoIndexKeys: index.keys.map((k) => ({ Name: k.field, Direction: String(k.direction) })) },
})

/**
 * How many documents already share a key of a unique index, counted on the data plane
 * before anything is changed, so that a colliding index fails the deploy with the old one intact.
 */
export async function collisions(target: Target, collection: string, index: IndexSpec): Promise<{ documents: number; keys: number }> {
  const db = target.app.database()
  const $ = db.command.aggregate
  const group = Object.fromEntries(index.keys.map((key, i) => [`k${i}`, `$${key.field}`]))
  const reply = (await db
    .collection(collection)
    .aggregate()
    .group({ _id: group, n: $.sum(1) })
    .match({ n: db.command.gt(1) })
    .group({ _id: null, documents: $.sum('$n'), keys: $.sum(1) })
    .end()) as { data?: Array<{ documents: number; keys: number }>; code?: string; message?: string }
  if (reply.code) throw new Error(`counting ${collection}'s documents for ${index.name}: ${reply.code} ${reply.message}`)
  return reply.data?.[0] ?? { documents: 0, keys: 0 }
}

export class MigrationFailed extends Error {}

/** Applies the plan; throws MigrationFailed (nothing of a colliding index changed) or the management error. */
export async function applyMigration(target: Target, plan: MigrationPlan, log: (line: string) => void): Promise<void> {
  for (const c of plan.collections) {
    for (const index of [...c.add, ...c.change].filter((i) => i.unique)) {
      if (c.create) continue
      const found = await collisions(target, c.collection, index)
      if (found.documents > 0) {
        throw new MigrationFailed(
          `${c.collection}: unique index ${index.name} cannot be made: ${found.documents} documents share ${found.keys} values of ${index.keys.map((k) => k.field).join(', ')}. Remove or merge them, then deploy again.`,
        )
      }
    }
  }
  for (const c of plan.collections) {
    const db = target.manager.database
    if (c.create) {
      await db.createCollection(c.collection)
      log(`  ${c.collection}: collection created`)
    }
    const drops = [...c.change.map((index) => index.name), ...(plan.prune ? c.undeclared : [])]
    if (drops.length) {
      await db.updateCollection(c.collection, { DropIndexes: drops.map((IndexName) => ({ IndexName })) })
      log(`  ${c.collection}: dropped ${drops.join(', ')}`)
    }
    // One index a request, so that a refusal names its index.
    for (const index of [...c.add, ...c.change]) {
      try {
        await db.updateCollection(c.collection, { CreateIndexes: [createIndex(index)] })
      } catch (error) {
        const { code, message } = describeError(error)
        throw new MigrationFailed(`${c.collection}: index ${index.name} was refused: ${code} ${message}`)
      }
      log(`  ${c.collection}: index ${describeIndex(index)} created`)
    }
  }
}

/** Reads everything back; what still differs from the declarations, in words (empty when all match). */
export async function verifyMigration(target: Target, declared: Declared[]): Promise<string[]> {
  const current = await readCurrent(target, collectionsOf(declared))
  const problems: string[] = []
  for (const { collection, indexes } of wantedOf(declared)) {
    const present = current.get(collection)
    if (!present) {
      problems.push(`collection ${collection} is missing`)
      continue
    }
    for (const index of indexes) {
      const found = present.find((p) => p.name === index.name)
      if (!found) problems.push(`${collection}: index ${index.name} is missing`)
      else if (!sameIndex(found, index)) problems.push(`${collection}: index ${index.name} is ${describeIndex(found)}, declared ${describeIndex(index)}`)
    }
  }
  return problems
}

export interface SchemaRecord {
  version?: string
  collections?: string[]
}

export async function readSchemaRecord(target: Target): Promise<SchemaRecord | null> {
  const reply = (await target.app.database().collection(SCHEMA_RECORD.collection).doc(SCHEMA_RECORD.id).get()) as {
    data?: SchemaRecord[]
    code?: string
    message?: string
  }
  if (reply.code) {
    if (/NOT_EXIST/.test(reply.code)) return null
    throw new Error(`reading ${SCHEMA_RECORD.collection}/${SCHEMA_RECORD.id}: ${reply.code} ${reply.message}`)
  }
  return reply.data?.[0] ?? null
}

export async function writeSchemaRecord(target: Target, version: string, declared: Declared[]): Promise<void> {
  const reply = (await target.app
    .database()
    .collection(SCHEMA_RECORD.collection)
    .doc(SCHEMA_RECORD.id)
    .set({ version, collections: declared.map((d) => d.collection).sort(), migratedAt: new Date(), by: 'deploy' })) as { code?: string; message?: string }
  if (reply.code) throw new Error(`writing the schema record: ${reply.code} ${reply.message}`)
}
