/**
 * The schema version: a hash of the project's collection declarations
 * (`db/*.json`). The build computes it with its own code and gives it to the
 * functions, which compare it with the schema record (`_meta/schema`) before
 * they serve; the emulator writes that record at start as a deploy's
 * migration would. The algorithm is the contract between the two, so it is
 * written out here rather than shared.
 */
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** Where the schema record lives. */
export const SCHEMA_RECORD = { collection: '_meta', id: 'schema' } as const

interface RawDeclaration {
  collection: string
  indexes?: Array<{ name: string; unique?: unknown; keys: Array<{ field: string; direction: unknown }> }>
}

/** Code-unit order, the same on every machine and locale. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Every `*.json` of the folder normalised to `{ collection, indexes: [ { name, unique, keys: [ { field, direction } ] } ] }`
 * (`unique` a boolean, no other field, in this order), indexes sorted by name and collections by collection.
 */
function normalised(declarationsDir: string) {
  return readdirSync(declarationsDir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const raw = JSON.parse(readFileSync(join(declarationsDir, file), 'utf8')) as RawDeclaration
      const indexes = (raw.indexes ?? [])
        .map((index) => ({ name: index.name, unique: index.unique === true, keys: index.keys.map(({ field, direction }) => ({ field, direction })) }))
        .sort((a, b) => byCodeUnits(a.name, b.name))
      return { collection: raw.collection, indexes }
    })
    .sort((a, b) => byCodeUnits(a.collection, b.collection))
}

/** The first 16 hex characters of the sha256 of the normalised declarations as JSON. */
export function schemaVersion(declarationsDir: string): string {
  return createHash('sha256').update(JSON.stringify(normalised(declarationsDir))).digest('hex').slice(0, 16)
}
