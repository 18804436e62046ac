/**
 * npm run build: bundles each cloud function's TypeScript entry into its own
 * `index.js` (wx-server-sdk inlined, so a deploy needs no cloud npm install),
 * and the emulator into build/emulator/.
 */
import { build, type BuildOptions } from 'esbuild'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadSettings } from '../src/settings'

const root = resolve(__dirname, '..')

/** Matches the platform's oldest Node runtime we deploy to (Nodejs16.13). */
export const FUNCTION_BUILD: BuildOptions = {
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

export async function buildFunctions(functionsRoot = join(root, 'cloudfunctions')): Promise<void> {
  await Promise.all(
    functionNames(functionsRoot).map((name) =>
      build({
        ...FUNCTION_BUILD,
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
  // The local console: a browser script, and the page and style it comes with.
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
  for (const file of ['index.html', 'console.css']) copyFileSync(join(root, 'emulator/console', file), join(consoleDir, file))
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
