/** npm start as a newcomer meets it: a seeded demo on the first start, kept data and no second seed after. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runAdmin } from '../scripts/admin'
import { ROOT } from './support/emulator'

const data = mkdtempSync(join(tmpdir(), 'start-data-'))
afterAll(() => rmSync(data, { recursive: true, force: true }))

async function start(): Promise<{ child: ChildProcess; url: string; output: string[] }> {
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/start.ts'], { cwd: ROOT, env: { ...process.env, PORT: '0', EMULATOR_DATA: data, EMULATOR_ARGS: '--time-travel' } })
  const output: string[] = []
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(output.join('\n'))), 30_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      output.push(...chunk.toString().split('\n'))
      const found = /The local cloud is at (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join('\n'))
      if (found) {
        clearTimeout(timer)
        resolve(found[1]!)
      }
    })
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()))
  })
  return { child, url, output }
}

const stop = (child: ChildProcess) => new Promise<void>((resolve) => (child.kill('SIGINT'), child.once('exit', () => resolve())))

describe('npm start', () => {
  it('seeds a demo whose messages WeChat delivers, once', async () => {
    const first = await start()
    try {
      expect(first.output.join('\n')).toMatch(/demo: 3 users logged in and accepted templates/)
      expect(first.output.join('\n')).toMatch(/npm run admin -- --emulator http/)
      // Reached through the deploy's migration step: the database is as declared, and doctor finds nothing to do.
      expect(first.output.join('\n')).toMatch(/Database: as declared; schema record [0-9a-f]{16} already there/)
      const doctor: string[] = []
      expect(await runAdmin(['--emulator', first.url, 'doctor'], { out: (l) => doctor.push(l), progress: () => {}, root: ROOT, sleep: async () => {} }, {})).toBe(0)
      expect(doctor.at(-1)).toMatch(/^doctor: \d+ ✓, 0 ✗/)
      // The console's address comes first, as soon as the cloud is up, before the demo.
      expect(first.output.find((line) => /^console |^demo:/.test(line))).toMatch(/^console http:\/\/127\.0\.0\.1:\d+\/$/)
      // The timer's next runs, a couple of minutes ahead (the test's emulator lets a trigger's time be the function's clock).
      await fetch(`${first.url}/_emulator/functions/send/trigger`, { method: 'POST', body: JSON.stringify({ time: new Date(Date.now() + 120_000).toISOString() }) })
      const delivered = ((await (await fetch(`${first.url}/_emulator/wechat/messages`)).json()) as { data: Array<{ touser: string; miniprogram_state: string }> }).data
      expect(delivered.map((m: { touser: string }) => m.touser).sort()).toEqual(['oDemoAlice', 'oDemoBob', 'oDemoCarol'])
      // On the local cloud a card opens the developer version, as the printed lines say.
      expect(delivered.map((m) => m.miniprogram_state)).toEqual(['developer', 'developer', 'developer'])
      expect(first.output.join('\n')).toMatch(/a card opens the mini-program's developer version \(开发版\)/)
    } finally {
      await stop(first.child)
    }
    const second = await start()
    try {
      expect(second.output.join('\n')).toMatch(/data kept from the last start; nothing seeded/)
      const delivered = ((await (await fetch(`${second.url}/_emulator/wechat/messages`)).json()) as { data: unknown[] }).data
      expect(delivered).toHaveLength(3)
    } finally {
      await stop(second.child)
    }
  }, 90_000)
})
