/** The operator's CLI against the emulator, through tcb-admin-node as a server-side caller. */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAdmin } from '../scripts/admin'
import { ROOT } from './support/emulator'
import { ORDER, exampleData, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct()
const root = mkdtempSync(join(tmpdir(), 'admin-root-'))
beforeAll(() => {
  cpSync(join(ROOT, 'templates.json'), join(root, 'templates.json'))
  cpSync(join(ROOT, 'db'), join(root, 'db'), { recursive: true })
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

async function admin(...args: string[]): Promise<{ code: number; out: string; progress: string[] }> {
  const lines: string[] = []
  const progress: string[] = []
  const code = await runAdmin(['--emulator', emulator.url, ...args], { out: (l) => lines.push(l), progress: (l) => progress.push(l), root, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))) }, {})
  return { code, out: lines.join('\n'), progress }
}

const json = (out: string) => JSON.parse(out.slice(out.indexOf('{')))

describe('npm run admin', () => {
  it('sends, schedules, shows and cancels messages', async () => {
    const openid = newOpenid('oCli')
    await product.subscribe(openid, { [ORDER]: 'accept' })
    const data = JSON.stringify(exampleData(ORDER))
    const sent = await admin('send', '--to', openid, '--template', ORDER, '--data', data, '--key', `cli-${openid}`)
    expect(sent.code).toBe(0)
    expect(json(sent.out)).toMatchObject({ ok: true, status: 'sent' })
    expect(await product.delivered(openid)).toHaveLength(1)

    const at = new Date(Date.now() + 3_600_000).toISOString()
    const scheduled = json((await admin('schedule', '--at', at, '--to', openid, '--template', ORDER, '--data', data)).out)
    expect(scheduled).toMatchObject({ ok: true, status: 'scheduled' })
    expect(json((await admin('message', scheduled.messageId)).out).message.status).toBe('scheduled')
    expect(json((await admin('cancel', scheduled.messageId)).out)).toMatchObject({ ok: true, status: 'cancelled' })

    const noQuota = await admin('send', '--to', openid, '--template', ORDER, '--data', data)
    expect(noQuota.code).toBe(1)
    expect(json(noQuota.out).code).toBe('NO_QUOTA')
  })

  it('broadcasts with a progress bar until the campaign is done', async () => {
    const holders = [newOpenid('oCli'), newOpenid('oCli'), newOpenid('oCli')]
    for (const openid of holders) await product.subscribe(openid, { [ORDER]: 'accept' })
    // The timer sends the campaign: fire it while the command waits.
    const ticking = setInterval(() => void emulator.trigger('send', new Date().toISOString()), 300)
    try {
      const run = await admin('broadcast', '--template', ORDER, '--data', JSON.stringify(exampleData(ORDER)))
      expect(run.code).toBe(0)
      expect(run.progress.at(-1)).toMatch(/\[#+\] (\d+)\/\1 sent/)
      const campaignId = /campaign (cmp_\w+)/.exec(run.out)![1]!
      expect(json((await admin('campaign', campaignId)).out)).toMatchObject({ ok: true, queued: 0 })
    } finally {
      clearInterval(ticking)
    }
    for (const openid of holders) expect(await product.delivered(openid)).toHaveLength(1)
  })

  it('lists grants and message stats', async () => {
    const openid = newOpenid('oCli')
    await product.subscribe(openid, { [ORDER]: 'accept' })
    expect((await admin('grants', openid)).out).toMatch(new RegExp(`${ORDER}\\s+one-time\\s+available 1\\s+accept\\s+uncertain 0`))
    const stats = await admin('stats')
    expect(stats.code).toBe(0)
    expect(stats.out).toMatch(new RegExp(`${ORDER}\\s+sent\\s+\\d+`))
  })

  it('pulls the account templates into the registry, keeping known options', async () => {
    const before = JSON.parse(readFileSync(join(root, 'templates.json'), 'utf8'))
    const run = await admin('templates', 'sync')
    expect(run.code).toBe(0)
    const after = JSON.parse(readFileSync(join(root, 'templates.json'), 'utf8'))
    expect(after.templates.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining(before.templates.map((t: { id: string }) => t.id)))
    const event = after.templates.find((t: { title: string }) => t.title === '活动开始提醒')
    expect(event.keywords.find((k: { key: string }) => k.key === 'enum4').enumValues).toEqual(['报名中', '已满员', '已结束'])
    expect(event.options).toEqual(before.templates.find((t: { id: string }) => t.id === event.id).options)
  })

  it('creates the declared collections', async () => {
    const run = await admin('db', 'init')
    expect(run.code).toBe(0)
    expect(run.out).toMatch(/messages: exists/)
    expect(run.out).toMatch(/index idempotencyKey \(unique\): idempotencyKey asc/)
  })

  it('says clearly what is wrong: credentials, reachability, arguments', async () => {
    const lines: string[] = []
    const io = { out: (l: string) => lines.push(l), progress: () => undefined, root, sleep: async () => undefined }
    expect(await runAdmin(['stats'], io, {})).toBe(2)
    expect(lines.join('\n')).toMatch(/missing credentials: set TCB_SECRET_ID, TCB_SECRET_KEY, TCB_ENV_ID/)
    lines.length = 0
    expect(await runAdmin(['--emulator', 'http://127.0.0.1:9', 'stats'], io, {})).toBe(1)
    expect(lines.join('\n')).toMatch(/cannot reach the emulator at http:\/\/127\.0\.0\.1:9/)
    expect((await admin('send', '--to', 'o1')).out).toMatch(/--template is required/)
    expect((await admin('frobnicate')).code).toBe(2)
    expect((await admin('send', '--to', 'o1', '--template', ORDER, '--data', '{oops')).out).toMatch(/--data must be a JSON object/)
  })

  it('runs as npm run admin', () => {
    const run = spawnSync('npx', ['tsx', 'scripts/admin.ts'], { cwd: ROOT, encoding: 'utf8' })
    expect(run.status).toBe(2)
    expect(run.stdout).toMatch(/usage: npm run admin -- \[--emulator <url>\] <command>/)
  })
})
