/**
 * npm run emulator -- --port <n> [--data <dir> | --in-memory] [--no-timers] [--empty]
 *   [--project <dir>] [--schema <dir>] [--env <id>] [--max-instances <n>]
 *   [--function-env <function>:<NAME>=<value>]… [--function-timeout <function>:<seconds>]…
 *   [--time-travel] [--push-source <source>] [--app-secret <secret>] [--token-lifetime <seconds>] [--quiet]
 */
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { startEmulator } from './server'
import { SOURCE_CHAIN } from './services/functions/runtime'

const USAGE = [
  'usage: emulator --port <n> [--data <dir> | --in-memory] [--no-timers] [--empty] [--project <dir>] [--schema <dir>] [--env <id>] [--max-instances <n>] [--function-env <function>:<NAME>=<value>]… [--function-timeout <function>:<seconds>]… [--time-travel] [--push-source <source>] [--app-secret <secret>] [--token-lifetime <seconds>] [--quiet]',
  "  --app-secret      the AppSecret WeChat's HTTPS API takes with the project's AppID (default local-app-secret)",
  "  --token-lifetime  an access token's lifetime, 2 to 7200 s (default 7200, as WeChat's); the 300 s overlap and renewal window (lifetime/24, at least 1 s) and the 30 s between force refreshes (lifetime/240) scale with it",
].join('\n')

function fail(message: string): never {
  console.error(`emulator: ${message}\n${USAGE}`)
  process.exit(2)
}

/** `<function>:<seconds>` entries, as ms per function; the platform allows up to 900 s. */
function parseTimeouts(entries: string[]): Record<string, number> {
  const timeouts: Record<string, number> = {}
  for (const entry of entries) {
    const match = /^([A-Za-z0-9_-]+):(\d+(?:\.\d+)?)$/.exec(entry)
    const seconds = Number(match?.[2])
    if (!match || !(seconds > 0 && seconds <= 900)) fail(`--function-timeout takes <function>:<seconds>, over 0 and at most 900, not ${entry}`)
    // At least 1 ms, so a tiny but positive value still ends up positive.
    timeouts[match[1]!] = Math.max(1, Math.round(seconds * 1000))
  }
  return timeouts
}

async function main(): Promise<void> {
  let values
  try {
    ;({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        data: { type: 'string' },
        'in-memory': { type: 'boolean', default: false },
        'no-timers': { type: 'boolean', default: false },
        // No function, collection or index of the project: an empty environment that a deploy fills.
        empty: { type: 'boolean', default: false },
        project: { type: 'string' },
        schema: { type: 'string' },
        env: { type: 'string' },
        'max-instances': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        'function-env': { type: 'string', multiple: true, default: [] },
        'function-timeout': { type: 'string', multiple: true, default: [] },
        'time-travel': { type: 'boolean', default: false },
        'push-source': { type: 'string', default: 'wx_unknown' },
        'app-secret': { type: 'string' },
        'token-lifetime': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }))
  } catch (error) {
    fail((error as Error).message)
  }
  if (values.help) {
    console.log(USAGE)
    return
  }
  if (values.data && values['in-memory']) fail('--data and --in-memory exclude each other')
  const port = Number(values.port ?? process.env.PORT ?? 8900)
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid port ${values.port}`)
  const maxInstances = Number(values['max-instances'] ?? 10)
  if (!Number.isInteger(maxInstances) || maxInstances < 1) fail('--max-instances must be a positive integer')
  const functionEnv: Record<string, Record<string, string>> = {}
  for (const entry of values['function-env'] as string[]) {
    const match = /^([A-Za-z0-9_-]+):([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(entry)
    if (!match) fail(`--function-env takes <function>:<NAME>=<value>, not ${entry}`)
    ;(functionEnv[match[1]!] ??= {})[match[2]!] = match[3]!
  }
  const functionTimeouts = parseTimeouts(values['function-timeout'] as string[])
  const pushSource = values['push-source'] as string
  // Empty (`--push-source=`) means a push carries no SOURCE at all.
  if (pushSource !== '' && !SOURCE_CHAIN.test(pushSource)) {
    fail(`--push-source takes lower-case names and "_", comma-chained (such as wx_unknown), or nothing; not ${pushSource}`)
  }
  const appSecret = values['app-secret'] as string | undefined
  if (appSecret === '') fail('--app-secret takes a non-empty secret')
  const lifetime = values['token-lifetime'] === undefined ? undefined : Number(values['token-lifetime'])
  if (lifetime !== undefined && !(Number.isInteger(lifetime) && lifetime >= 2 && lifetime <= 7200)) fail(`--token-lifetime takes whole seconds from 2 to 7200, not ${values['token-lifetime']}`)
  const projectDir = resolve(values.project ?? process.cwd())
  const quiet = values.quiet
  const emulator = await startEmulator({
    projectDir,
    port,
    dataDir: values['in-memory'] ? undefined : resolve(values.data ?? join(projectDir, '.data', 'emulator')),
    schemaDir: values.schema ? resolve(values.schema) : undefined,
    timers: !values['no-timers'],
    envId: values.env,
    empty: values.empty,
    maxInstancesPerFunction: maxInstances,
    functionEnv,
    functionTimeouts,
    timeTravel: values['time-travel'],
    pushSource,
    appSecret,
    tokenLifetimeS: lifetime,
    workerScript: join(__dirname, 'worker.js'),
    log: quiet ? undefined : (line) => console.log(line),
  })
  // Said even with --quiet: what was assumed, or refused, changes what the project does here.
  for (const warning of emulator.project.warnings) console.log(`warning: ${warning}`)
  const names = [...emulator.project.functions.keys()]
  console.log(`functions: ${names.length ? names.join(', ') : '(none)'} · env ${emulator.project.envId}`)
  if (values.empty) console.log(`empty environment: deploy to it through the management API at POST ${emulator.url}/`)
  console.log(`ready ${emulator.url}`)
  let closing = false
  const stop = () => {
    if (closing) return
    closing = true
    void emulator.close().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((error) => {
  console.error(`emulator: ${(error as Error).stack ?? error}`)
  process.exit(1)
})
