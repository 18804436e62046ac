/**
 * The functions' bundles leave out what the SDK loads but never runs here,
 * and load some rarer parts only at their first use: both still behave as
 * the packages do, or say plainly why not.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { FUNCTION_BUILD, LAZY, LEFT_OUT } from './build'

const dir = join(__dirname, '../build/test-bundles')

async function bundle(name: string, source: string): Promise<Record<string, (...args: unknown[]) => unknown>> {
  mkdirSync(dir, { recursive: true })
  const entry = join(dir, `${name}.ts`)
  writeFileSync(entry, source)
  const outfile = join(dir, `${name}.js`)
  await build({ ...FUNCTION_BUILD, entryPoints: [entry], outfile, absWorkingDir: join(__dirname, '..') })
  return require(outfile)
}

describe('function bundles', () => {
  it('load a left-out package without error, and name it when it is used', async () => {
    expect(LEFT_OUT).toContain('@cloudbase/ai')
    const probe = await bundle('left-out', `const ai = require('@cloudbase/ai')\nexport const use = () => new ai.AI()\n`)
    expect(() => probe.use!()).toThrow("@cloudbase/ai is left out of this function's bundle")
  })

  it('run a lazy package at its first use, as the package itself behaves', async () => {
    expect(LAZY).toEqual(expect.arrayContaining(['axios', 'mime-db']))
    const probe = await bundle(
      'lazy',
      `const db = require('mime-db')\nconst axios = require('axios')\nexport const extensions = () => db['application/json'].extensions\nexport const isCancel = () => axios.isCancel(new axios.Cancel('x'))\n`,
    )
    expect(probe.extensions!()).toEqual(['json', 'map'])
    expect(probe.isCancel!()).toBe(true)
  })
})
