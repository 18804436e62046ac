/**
 * A function serves only a database migrated to the schema it was built for.
 * An instance reads the schema record (src/schema/record.ts) at its first
 * call; once the version is the built one, the instance is ready for its
 * life and never reads it again. Until then every call is refused (the door
 * answers NOT_READY with the reason given here, naming what is missing and
 * the command that fixes it), and the next call reads again: a deploy that
 * migrates makes a warm instance ready without a restart. A failure of the
 * read itself is the database's, not a verdict: it is thrown as any database
 * error is, and nothing is cached.
 *
 * The database is passed in, so that this folder imports nothing of the
 * product's (the door above it does).
 */
import { SCHEMA_RECORD } from './record'

/** The schema version the bundle was built for; undefined in code that was not bundled (scripts/build.ts defines it). */
export const BUILT_FOR: string | undefined = typeof __SCHEMA_VERSION__ === 'string' ? __SCHEMA_VERSION__ : undefined

/** The part of the database (src/cloud.ts) that reads the record. */
export interface SchemaDatabase {
  collection(name: string): { doc(id: string): { field(projection: Record<string, boolean>): { get(): Promise<{ data: Record<string, unknown> | null }> } } }
}

const RECORD = `${SCHEMA_RECORD.collection}/${SCHEMA_RECORD.id}`
const FIX = 'Run `npm run deploy`: it migrates the collections and indexes of db/, writes the schema record and uploads the functions built for it.'

let ready = false

/** The service's answer for a collection that does not exist: -502005, DATABASE_COLLECTION_NOT_EXIST. */
function isMissingCollection(error: unknown): boolean {
  const { errCode, code } = (error ?? {}) as { errCode?: unknown; code?: unknown }
  return errCode === -502005 || code === 'DATABASE_COLLECTION_NOT_EXIST'
}

/** The record's version field, or null for no record (or no `_meta` collection); anything else thrown is a database fault. */
async function recordedVersion(db: SchemaDatabase): Promise<{ version: unknown } | null> {
  try {
    const { data } = await db.collection(SCHEMA_RECORD.collection).doc(SCHEMA_RECORD.id).field({ version: true }).get()
    return data ? { version: data.version } : null
  } catch (error) {
    if (isMissingCollection(error)) return null
    throw error
  }
}

/** Why the database is not the one this function was built for, or undefined when it is. */
function mismatch(record: { version: unknown } | null, builtFor: string): string | undefined {
  if (record === null) return `the database has no schema record (${RECORD}): its collections and indexes were never migrated`
  if (typeof record.version !== 'string') return `the database's schema record (${RECORD}) names no version, this function was built for ${builtFor}`
  if (record.version !== builtFor) return `the database is at schema ${record.version}, this function was built for ${builtFor}`
  return undefined
}

/**
 * Undefined once the database is at the schema this function was built for
 * (one read at the instance's first call, none after); otherwise why not,
 * and what fixes it: the message of a NOT_READY reply.
 */
export async function notReady(open: () => SchemaDatabase, builtFor = BUILT_FOR): Promise<string | undefined> {
  if (ready) return undefined
  if (builtFor === undefined) return `this function was built without a schema version (not bundled by \`npm run build\`). ${FIX}`
  const why = mismatch(await recordedVersion(open()), builtFor)
  if (why !== undefined) return `${why}. ${FIX}`
  ready = true
  return undefined
}
