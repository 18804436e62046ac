/**
 * Builds the mini-program's code for the tests: the app for the simulated
 * runtime (test/support/miniprogram.ts), and each component and page beside
 * its WXML, WXSS and JSON for rendering (test/support/render.ts), as WeChat
 * DevTools compiles them. Run once by the global setup, in Node: esbuild does
 * not run inside the jsdom environment the rendered tests use.
 */
import { build } from 'esbuild'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ROOT } from '../../emulator/spawn'
import { RENDER_OUT, SIM_OUT } from './miniprogram-out'

const SOURCE = join(ROOT, 'miniprogram')

const APP = JSON.parse(readFileSync(join(SOURCE, 'app.json'), 'utf8')) as { pages: string[] }

/** Every component of miniprogram/components, as `components/<name>/<name>`, and every page (each built with Component()). */
export const COMPONENTS = [...readdirSync(join(SOURCE, 'components')).map((name) => `components/${name}/${name}`), ...APP.pages]

export async function buildForRender(paths: string[] = COMPONENTS): Promise<void> {
  await build({
    entryPoints: paths.map((path) => ({ in: join(SOURCE, `${path}.ts`), out: path })),
    outdir: RENDER_OUT,
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    target: 'es2020',
    logLevel: 'warning',
  })
  for (const path of paths) {
    mkdirSync(dirname(join(RENDER_OUT, path)), { recursive: true })
    for (const ext of ['wxml', 'wxss', 'json']) if (existsSync(join(SOURCE, `${path}.${ext}`))) copyFileSync(join(SOURCE, `${path}.${ext}`), join(RENDER_OUT, `${path}.${ext}`))
  }
}

/** Bundles the app for the simulated runtime, where it launches (WeChat DevTools compiles the same TypeScript for the device). */
export async function buildMiniprogram(): Promise<void> {
  mkdirSync(SIM_OUT, { recursive: true })
  await build({
    entryPoints: [{ in: join(SOURCE, 'app.ts'), out: 'app' }],
    outdir: SIM_OUT,
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    target: 'es2020',
    logLevel: 'warning',
  })
}
