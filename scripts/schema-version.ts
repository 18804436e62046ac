/**
 * The schema a database is migrated to, named by a hash of the project's
 * declarations (`db/<collection>.json`: a collection and its indexes). The
 * build gives each function the hash it was built with; the deploy writes the
 * hash it migrated to as the schema record, which the functions read before
 * they serve (src/schema/readiness.ts). The emulator computes the same hash
 * in its own code: the algorithm is the contract, so it changes in both or
 * in neither.
 */
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** Where the schema record lives: the collection and the document id (the functions read it from there). */
export { SCHEMA_RECORD } from '../src/schema/record'

export interface IndexKey {
  field: string
  direction: number | string
}

export interface IndexDeclaration {
  name: string
  unique: boolean
  keys: IndexKey[]
}

export interface CollectionDeclaration {
  collection: string
  indexes: IndexDeclaration[]
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Every `*.json` of the folder, each `{ collection, indexes: [ { name, unique?, keys: [ { field, direction } ] } ] }`,
 * normalised: `unique` a boolean, only the declared fields in a fixed order,
 * indexes sorted by name and collections by collection name.
 */
export function readDeclarations(dir: string): CollectionDeclaration[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => {
      const file = JSON.parse(readFileSync(join(dir, name), 'utf8')) as {
        collection: string
        indexes?: Array<{ name: string; unique?: unknown; keys: Array<{ field: string; direction: number | string }> }>
      }
      const indexes = (file.indexes ?? [])
        .map((index) => ({
          name: index.name,
          unique: index.unique === true,
          keys: index.keys.map(({ field, direction }) => ({ field, direction })),
        }))
        .sort((a, b) => byText(a.name, b.name))
      return { collection: file.collection, indexes }
    })
    .sort((a, b) => byText(a.collection, b.collection))
}

/** The first 16 hex characters of the sha256 of the normalised declarations, as JSON. */
export function schemaVersion(declarationsDir: string): string {
  return versionOf(readDeclarations(declarationsDir))
}

/** The version of declarations already read (and normalised) by readDeclarations. */
export function versionOf(declarations: CollectionDeclaration[]): string {
  return createHash('sha256').update(JSON.stringify(declarations)).digest('hex').slice(0, 16)
}
