/**
 * One migration step, shared by the deploy and `npm start`: plan against what
 * the target holds, apply, read back, and write the schema record only when
 * everything matches (and only when its version changed).
 */
import { migrateData } from './data-migrations'
import type { Target } from './management'
import {
  MigrationFailed,
  applyMigration,
  collectionsOf,
  declarations,
  describeMigration,
  isNoop,
  planMigration,
  readCurrent,
  readSchemaRecord,
  verifyMigration,
  writeSchemaRecord,
  type MigrationPlan,
} from './migration'

export async function migrationPlan(target: Target | undefined, dbDir: string, prune: boolean): Promise<MigrationPlan> {
  const { version, declared } = declarations(dbDir)
  // Without a readable target, the plan says what must exist, not what will change.
  const current = target ? await readCurrent(target, collectionsOf(declared)) : new Map()
  return planMigration(declared, current, version, prune)
}

export { describeMigration }

/** Applies a plan made by migrationPlan; returns what it said, line by line. */
export async function migrateDatabase(target: Target, plan: MigrationPlan, log: (line: string) => void): Promise<void> {
  const { version, declared } = plan
  if (!isNoop(plan)) await applyMigration(target, plan, log)
  const problems = await verifyMigration(target, declared)
  if (problems.length) throw new MigrationFailed(`the database does not match db/ after the migration:\n  ${problems.join('\n  ')}`)
  await migrateData(target, declared.map((d) => d.collection), log)
  const record = await readSchemaRecord(target)
  if (record?.version === version) return log(`Database: as declared; schema record ${version} already there`)
  await writeSchemaRecord(target, version, declared)
  log(`Database: as declared; schema record ${version} written (it was ${record?.version ?? 'missing'})`)
}
