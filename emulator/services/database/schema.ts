import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Collection and index declarations: one JSON file per collection in the
 * project's schema folder, read by the emulator and by the deploy tooling alike.
 *
 *   { "collection": "messages",
 *     "indexes": [ { "name": "byKey", "unique": true, "keys": [ { "field": "key", "direction": 1 } ] },
 *                  { "name": "byPlace", "keys": [ { "field": "location", "direction": "2dsphere" } ] } ] }
 */
export interface IndexKey {
  field: string
  direction: 1 | -1
}

export interface IndexDeclaration {
  name: string
  keys: IndexKey[]
  unique: boolean
}

/** A geo index: one key whose direction is "2dsphere", alone in its index. Its name is kept to list and drop it. */
export interface GeoIndex {
  name: string
  field: string
}

export interface CollectionDeclaration {
  collection: string
  indexes: IndexDeclaration[]
  geoIndexes?: GeoIndex[]
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/

export function parseDeclaration(raw: unknown, source: string): CollectionDeclaration {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`)
  }
  if (!raw || typeof raw !== 'object') fail('expected an object')
  const record = raw as Record<string, unknown>
  const collection = record.collection
  if (typeof collection !== 'string' || !NAME.test(collection)) fail('"collection" must be a collection name')
  const indexes = record.indexes ?? []
  if (!Array.isArray(indexes)) fail('"indexes" must be an array')
  const names = new Set<string>()
  const geoIndexes: GeoIndex[] = []
  const parsed = (indexes as unknown[]).flatMap((entry, i): IndexDeclaration[] => {
    const index = entry as Record<string, unknown>
    const name = index?.name
    if (typeof name !== 'string' || !NAME.test(name) || name === '_id_') fail(`indexes[${i}].name is invalid`)
    if (names.has(name as string)) fail(`index name ${String(name)} is declared twice`)
    names.add(name as string)
    const keys = index.keys
    if (!Array.isArray(keys) || keys.length === 0) fail(`indexes[${i}].keys must be a non-empty array`)
    const parsedKeys = (keys as unknown[]).map((key, k) => {
      const { field, direction } = (key ?? {}) as Record<string, unknown>
      if (typeof field !== 'string' || field === '' || field.startsWith('$')) fail(`indexes[${i}].keys[${k}].field is invalid`)
      if (direction !== 1 && direction !== -1 && direction !== '2dsphere') fail(`indexes[${i}].keys[${k}].direction must be 1, -1 or "2dsphere"`)
      return { field: field as string, direction: direction as IndexKey['direction'] | '2dsphere' }
    })
    if (parsedKeys.some((key) => key.direction === '2dsphere')) {
      if (parsedKeys.length !== 1) fail(`indexes[${i}]: a 2dsphere key stands alone in its index here`)
      geoIndexes.push({ name: name as string, field: parsedKeys[0]!.field })
      return []
    }
    if (index.unique !== undefined && typeof index.unique !== 'boolean') fail(`indexes[${i}].unique must be a boolean`)
    return [{ name: name as string, keys: parsedKeys as IndexKey[], unique: index.unique === true }]
  })
  return { collection: collection as string, indexes: parsed, geoIndexes }
}

/** Reads every `*.json` declaration in a folder; a missing folder declares nothing. */
export function loadDeclarations(dir: string | undefined): CollectionDeclaration[] {
  if (!dir || !existsSync(dir)) return []
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const path = join(dir, file)
      return parseDeclaration(JSON.parse(readFileSync(path, 'utf8')), path)
    })
}
