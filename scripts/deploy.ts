/**
 * npm run deploy [-- --dry-run] [--env <envId>] [--emulator <url>] [--prune] [--only database|functions] [--schema <dir>] [--no-build]
 *
 * Builds every function, migrates the database (the collections and indexes
 * of db/, read back and compared, then the schema record), and deploys the
 * functions with their settings and timer triggers, all through the
 * management API (@cloudbase/manager-node). `--emulator <url>` sends the same
 * requests to a local emulator. `--dry-run` prints the plan (the migration's
 * exact steps when the target can be read) and changes nothing.
 *
 * What a deploy cannot do: the openapi permissions in config.json take effect
 * through a WeChat DevTools upload or the console; message push is set in the
 * mini-program's console. `npm run admin -- doctor` checks all of it.
 */
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { buildFunctions, writeMiniprogramRegistry } from './build'
import { deployFunctions, secretsOrRefuse } from './deploy/functions'
import { MissingCredentials, missingCredentials, openTarget, type Target } from './deploy/management'
import { describeMigration, migrateDatabase, migrationPlan } from './deploy/migrate'
import { describePlan, planDeploy, root } from './deploy/plan'

class UsageError extends Error {}

const USAGE = 'usage: npm run deploy -- [--dry-run] [--env <envId>] [--emulator <url>] [--prune] [--only database|functions] [--schema <dir>] [--no-build]'

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      env: { type: 'string' },
      emulator: { type: 'string' },
      prune: { type: 'boolean', default: false },
      // One half of the deploy: the database's migration, or the functions (to a database already migrated).
      only: { type: 'string' },
      // Another folder of declarations than db/ (as the emulator's --schema): the tests migrate to changed ones.
      schema: { type: 'string' },
      // Deploys the last build as it is (the tests use it, so as not to rewrite bundles others are running).
      'no-build': { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.only !== undefined && values.only !== 'database' && values.only !== 'functions') {
    throw new UsageError(`--only takes database or functions, not ${values.only}`)
  }
  const envId = values.env ?? process.env.TCB_ENV_ID
  const dryRun = values['dry-run']
  // Said before anything is built or sent.
  const missing = values.emulator ? [] : missingCredentials(process.env, envId)
  if (missing.length && !dryRun) {
    console.error(`deploy: missing ${missing.join(', ')}: set them to deploy to the cloud, pass --emulator <url> for a local emulator, or --dry-run to see the plan`)
    return 2
  }
  if (!values['no-build']) {
    writeMiniprogramRegistry()
    await buildFunctions()
  }
  const plan = planDeploy(envId)
  const target: Target | undefined = missing.length ? undefined : openTarget({ emulator: values.emulator, envId, env: process.env })
  console.log(`Deploy to ${target?.describe ?? `environment ${plan.envId}`}`)
  console.log(describePlan(plan).join('\n'))
  const dbDir = values.schema ? resolve(values.schema) : join(root, 'db')
  const migration = await migrationPlan(target, dbDir, values.prune)
  console.log(describeMigration(migration).join('\n'))
  console.log('Not done by a deploy: openapi permissions (config.json) apply after a WeChat DevTools upload or a console change; message push is set in the console. Check with: npm run admin -- doctor')
  if (dryRun || !target) return 0

  const started = Date.now()
  const log = (line: string) => console.log(line)
  // Checked before the database is touched: a deploy that cannot finish changes nothing.
  const secrets = values.only === 'database' ? new Map() : await secretsOrRefuse(target, plan)
  if (values.only !== 'functions') await migrateDatabase(target, migration, log)
  if (values.only !== 'database') await deployFunctions(target, plan, log, secrets)
  console.log(`Deployed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return 0
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      const usage = error instanceof UsageError || error instanceof MissingCredentials || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
      console.error(`deploy: ${error instanceof Error ? error.message : error}${usage ? `\n${USAGE}` : ''}`)
      process.exit(usage ? 2 : 1)
    },
  )
}
