/** The emulator as a user starts it: the ready line, kept data, the control routes. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT, spawnEmulator } from './support/emulator'

const dataDir = mkdtempSync(join(tmpdir(), 'emu-data-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('the emulator command', () => {
  it('keeps every document across a restart', async () => {
    const first = await spawnEmulator({ data: dataDir })
    expect(first.output.some((line) => /^ready http:\/\/127\.0\.0\.1:\d+$/.test(line))).toBe(true)
    await first.result('login', {}, { openid: 'oKept' })
    await first.stop()

    const second = await spawnEmulator({ data: dataDir })
    try {
      const users = (await second.request('GET', '/_emulator/db/users')).body.data
      expect(users).toEqual([expect.objectContaining({ _id: 'oKept', logins: 1 })])
      await second.result('login', {}, { openid: 'oKept' })
      expect((await second.request('GET', '/_emulator/db/users')).body.data[0].logins).toBe(2)
    } finally {
      await second.stop()
    }
  })

  it('serves stats by action and resets them', async () => {
    const emulator = await spawnEmulator()
    try {
      await emulator.result('login', {}, { openid: 'oStats' })
      const stats = (await emulator.request('GET', '/_emulator/stats')).body
      expect(stats.requests.byAction['database.modifyDocument']).toBeGreaterThanOrEqual(1)
      expect(stats.requests.total).toBeGreaterThanOrEqual(2)
      const reset = (await emulator.request('DELETE', '/_emulator/stats')).body
      expect(reset.requests.total).toBe(0)
      expect(reset.documentsExamined).toBe(0)
      expect((await emulator.request('GET', '/_emulator/db/nothing')).status).toBe(404)
      expect((await emulator.request('GET', '/_emulator/unknown')).status).toBe(404)
    } finally {
      await emulator.stop()
    }
  })

  it('refuses bad arguments with a usage line', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'build/emulator/cli.js'), '--data', dataDir, '--in-memory'], { encoding: 'utf8' })
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/--data and --in-memory exclude each other/)
    expect(run.stderr).toMatch(/usage: emulator/)
  })
})
