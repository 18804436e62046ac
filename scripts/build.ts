/**
 * npm run build: bundles each cloud function's TypeScript entry into its own
 * `index.js` (wx-server-sdk inlined, so a deploy needs no cloud npm install),
 * and the emulator into build/emulator/.
 */
import { build, type BuildOptions } from 'esbuild'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(__dirname, '..')

/** Matches the platform's oldest Node runtime we deploy to (Nodejs16.13). */
export const FUNCTION_BUILD: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node16',
  sourcemap: false,
  legalComments: 'none',
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
}

async function main(): Promise<void> {
  const started = Date.now()
  await Promise.all([buildFunctions(), buildEmulator()])
  console.log(`built ${functionNames().join(', ')} and the emulator in ${Date.now() - started} ms`)
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
