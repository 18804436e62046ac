/**
 * Where a database says which schema it was migrated to: one document,
 * `{ _id: 'schema', version, … }` in the `_meta` collection, written by the
 * deploy (and by the emulator at its start) once the collections and indexes
 * of `db/` are in place. `version` is the hash of those declarations
 * (scripts/schema-version.ts).
 */
export const SCHEMA_RECORD = { collection: '_meta', id: 'schema' } as const
