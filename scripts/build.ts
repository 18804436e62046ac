/**
 * npm run build: bundles each cloud function's TypeScript entry into its own
 * `index.js` (wx-server-sdk inlined, so a deploy needs no cloud npm install),
 * and the emulator into build/emulator/.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { loadSettings } from '../src/settings'
import { schemaVersion } from './schema-version'

const root = resolve(__dirname, '..')

/**
 * Packages the SDK loads at start but the functions never call: AI, data
 * models, storage's XML, custom-login tickets. Left out of the bundles, for
 * less to compile and run at each cold start; a call into one throws an
 * error that names it.
 */
export const LEFT_OUT = ['@cloudbase/ai', '@cloudbase/app', 'web-streams-polyfill', '@cloudbase/wx-cloud-client-sdk', 'xml2js', 'jsonwebtoken']
/**
 * Packages the SDK loads at start and may call only on rarer paths (axios
 * reads credentials from the metadata server when the environment has none;
 * a proxy's agents; forms for uploads; mime-db names a file an open API
 * returns; a deep clone for real-time watches): bundled, and loaded at their
 * first use instead of at start.
 */
export const LAZY = ['axios', 'https-proxy-agent', 'http-proxy-agent', 'form-data', 'mime-db', 'lodash.clonedeep']

/** The importers whose requires of LAZY packages are deferred: the SDK's own, whose uses are property reads, calls and `new`. */
const SDK_FILES = /[\\/]node_modules[\\/](wx-server-sdk|@cloudbase[\\/]node-sdk)[\\/]/

const exactly = (names: string[]) => new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})(/.*)?$`)

/** LEFT_OUT and LAZY, as esbuild resolves a function's imports; `lazyFrom` names the importers LAZY applies to. */
export const trimSdk = (lazyFrom = SDK_FILES): Plugin => ({
  name: 'trim-sdk',
  setup(builder) {
    builder.onResolve({ filter: exactly(LEFT_OUT) }, (args) => ({ path: args.path, namespace: 'left-out' }))
    builder.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      loader: 'js',
      contents: `const fail = () => { throw new Error(${JSON.stringify(`${args.path} is left out of this function's bundle (LEFT_OUT in scripts/build.ts)`)}) }
// Module loaders may ask whether it is an ES module or a promise; anything else is a use.
module.exports = new Proxy(fail, { get: (_t, key) => (typeof key === 'symbol' || key === '__esModule' || key === 'then' ? undefined : fail()), apply: fail, construct: fail })
`,
    }))
    builder.onResolve({ filter: exactly(LAZY) }, async (args) => {
      // A package that lists the module's keys at load (mime-types over mime-db) gets the module itself.
      if (args.pluginData === 'lazy' || !lazyFrom.test(args.importer)) return undefined
      const real = await builder.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'lazy' })
      if (real.errors.length > 0) return { errors: real.errors }
      return { path: real.path, namespace: 'lazy' }
    })
    builder.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      loader: 'js',
      resolveDir: root,
      // The real module, required (and so run) on the first use of anything it exports.
      contents: `let real
const load = () => (real ??= require(${JSON.stringify(args.path)}))
module.exports = new Proxy(function () {}, {
  get: (_t, key) => (key === '__esModule' ? undefined : load()[key]),
  has: (_t, key) => key in load(),
  apply: (_t, self, args) => Reflect.apply(load(), self, args),
  construct: (_t, args) => Reflect.construct(load(), args),
})
`,
    }))
  },
})

/**
 * The global a bundle reads the schema version it was built for from
 * (src/schema/built.d.ts): the hash of the project's `db/`, so that a
 * function refuses a database that was not migrated to it.
 */
export const schemaDefine = (declarationsDir = join(root, 'db')): Record<string, string> => ({ __SCHEMA_VERSION__: JSON.stringify(schemaVersion(declarationsDir)) })

/** Matches the platform's oldest Node runtime we deploy to (Nodejs16.13); built for this project's `db/`. */
export const FUNCTION_BUILD: BuildOptions = {
  define: schemaDefine(),
  plugins: [trimSdk()],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node16',
  sourcemap: false,
  legalComments: 'none',
  // Less to read and compile at each cold start; names kept, so errors and stacks still say what failed.
  minify: true,
  keepNames: true,
  logLevel: 'warning',
}

/** Functions are the folders of a cloudfunctions root that hold an `index.ts`. */
export function functionNames(functionsRoot = join(root, 'cloudfunctions')): string[] {
  return readdirSync(functionsRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(functionsRoot, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort()
}

/** Each function of a project, bundled for the schema of that project's `db/` (beside its cloudfunctions root). */
export async function buildFunctions(functionsRoot = join(root, 'cloudfunctions')): Promise<void> {
  const declarations = join(dirname(resolve(functionsRoot)), 'db')
  const define = existsSync(declarations) ? schemaDefine(declarations) : FUNCTION_BUILD.define
  await Promise.all(
    functionNames(functionsRoot).map((name) =>
      build({
        ...FUNCTION_BUILD,
        define,
        entryPoints: [join(functionsRoot, name, 'index.ts')],
        outfile: join(functionsRoot, name, 'index.js'),
      }),
    ),
  )
}

export async function buildEmulator(): Promise<void> {
  await build({
    entryPoints: {
      cli: join(root, 'emulator/cli.ts'),
      worker: join(root, 'emulator/services/functions/worker.ts'),
    },
    outdir: join(root, 'build/emulator'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
  })
  // The local console: a browser script, the style its modules import (bundled into console.css), and its page.
  const consoleDir = join(root, 'build/emulator/console')
  await build({
    entryPoints: [join(root, 'emulator/console/console.ts')],
    outfile: join(consoleDir, 'console.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'warning',
  })
  copyFileSync(join(root, 'emulator/console/index.html'), join(consoleDir, 'index.html'))
}

/**
 * The mini-program's view of the registry, written under miniprogram/ because
 * DevTools packages only what lies there: ids, titles, kinds and keywords,
 * and the environment the app initialises wx.cloud with.
 */
export function writeMiniprogramRegistry(): void {
  const registry = JSON.parse(readFileSync(join(root, 'templates.json'), 'utf8')) as {
    templates: Array<{ id: string; title: string; kind: string; keywords: Array<{ key: string; name: string; example?: string }>; options?: { selfService?: boolean } }>
  }
  const envId = (JSON.parse(readFileSync(join(root, 'cloudbaserc.json'), 'utf8')) as { envId: string }).envId
  const templates = registry.templates.map((t) => ({
    id: t.id,
    title: t.title,
    kind: t.kind,
    selfService: t.options?.selfService === true,
    keywords: t.keywords.map((k) => ({ key: k.key, name: k.name, example: k.example ?? '' })),
  }))
  const dir = join(root, 'miniprogram/generated')
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'registry.ts'),
    `// Written by \`npm run build\` from templates.json and cloudbaserc.json: edit those, not this.
export interface RegistryTemplate {
  id: string
  title: string
  kind: 'one-time' | 'long-term'
  selfService: boolean
  keywords: Array<{ key: string; name: string; example: string }>
}

export const ENV_ID = ${JSON.stringify(envId)}

export const TEMPLATES: RegistryTemplate[] = ${JSON.stringify(templates, null, 2)}
`,
  )
}

/**
 * Refuses settings.json if the functions would refuse it when loaded (with
 * each function's envVariables from cloudbaserc.json applied), or if
 * timing.functionTimeoutMs is not `send`'s timeout there.
 */
export function checkSettings(): void {
  const file = JSON.parse(readFileSync(join(root, 'settings.json'), 'utf8')) as unknown
  const rc = JSON.parse(readFileSync(join(root, 'cloudbaserc.json'), 'utf8')) as { functions?: Array<{ name: string; timeout?: number; envVariables?: Record<string, string> }> }
  for (const fn of rc.functions ?? []) {
    const settings = loadSettings(file, fn.envVariables ?? {})
    if (fn.name === 'send' && (fn.timeout ?? 3) * 1000 !== settings.timing.functionTimeoutMs) {
      throw new Error(`settings.json: timing.functionTimeoutMs (${settings.timing.functionTimeoutMs}) is not send's timeout in cloudbaserc.json (${fn.timeout} s)`)
    }
  }
}

async function main(): Promise<void> {
  const started = Date.now()
  checkSettings()
  writeMiniprogramRegistry()
  await Promise.all([buildFunctions(), buildEmulator()])
  console.log(`built ${functionNames().join(', ')} and the emulator in ${Date.now() - started} ms`)
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
