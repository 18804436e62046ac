/**
 * The functions' bundles leave out what the SDK loads but never runs here,
 * and load some rarer parts only at their first use: both still behave as
 * the packages do, or say plainly why not.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { FUNCTION_BUILD, LAZY, LEFT_OUT, trimSdk } from './build'

const dir = join(__dirname, '../build/test-bundles')

async function bundle(name: string, source: string, lazyFrom?: RegExp): Promise<{ exports: Record<string, (...args: unknown[]) => unknown>; inputs: string[] }> {
  mkdirSync(dir, { recursive: true })
  const entry = join(dir, `${name}.ts`)
  writeFileSync(entry, source)
  const outfile = join(dir, `${name}.js`)
  const plugins = lazyFrom ? [trimSdk(lazyFrom)] : FUNCTION_BUILD.plugins
  const { metafile } = await build({ ...FUNCTION_BUILD, plugins, entryPoints: [entry], outfile, absWorkingDir: join(__dirname, '..'), metafile: true })
  return { exports: require(outfile), inputs: Object.keys(metafile.inputs) }
}

describe('function bundles', () => {
  it('load a left-out package without error, and name it when it is used', async () => {
    expect(LEFT_OUT).toContain('@cloudbase/ai')
    const probe = (await bundle('left-out', `const ai = require('@cloudbase/ai')\nexport const use = () => new ai.AI()\n`)).exports
    expect(() => probe.use!()).toThrow("@cloudbase/ai is left out of this function's bundle")
  })

  it('run a lazy package at its first use, as the package itself behaves', async () => {
    expect(LAZY).toEqual(expect.arrayContaining(['axios', 'mime-db', 'form-data']))
    // Built as if this probe were the SDK, the importer whose requires are deferred.
    const { exports: probe, inputs } = await bundle(
      'lazy',
      `const db = require('mime-db')\nconst axios = require('axios')\nconst FormData = require('form-data')\nexport const extensions = () => db['application/json'].extensions\nexport const isCancel = () => axios.isCancel(new axios.Cancel('x'))\nexport const form = () => new FormData() instanceof FormData\n`,
      /test-bundles/,
    )
    expect(inputs.filter((input) => input.startsWith('lazy:')).length).toBe(3)
    expect(probe.extensions!()).toEqual(['json', 'map'])
    expect(probe.isCancel!()).toBe(true)
    expect(probe.form!()).toBe(true)
  })

  it("defer only the SDK's own requires: a package that lists mime-db's keys gets the module itself", async () => {
    const { exports: probe, inputs } = await bundle(
      'sdk',
      `import * as sdk from 'wx-server-sdk'\nexport const init = () => typeof sdk.init\nexport const lookup = (file: string) => require('mime-types').lookup(file)\n`,
    )
    expect(inputs.some((input) => input.startsWith('lazy:') && input.includes('axios'))).toBe(true)
    expect(probe.init!()).toBe('function')
    // mime-types builds its tables from Object.keys(mime-db) at load: a deferred module would leave them empty.
    expect(probe.lookup!('a.json')).toBe('application/json')
  })
})
