/** The operator's CLI against the emulator, through tcb-admin-node as a server-side caller. */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAdmin } from '../scripts/admin'
import { ROOT } from './support/emulator'
import { EVENT, ORDER, exampleData, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct()
const root = mkdtempSync(join(tmpdir(), 'admin-root-'))
beforeAll(() => {
  cpSync(join(ROOT, 'templates.json'), join(root, 'templates.json'))
  cpSync(join(ROOT, 'db'), join(root, 'db'), { recursive: true })
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A command against the test's emulator: stdout and stderr apart, as the process writes them. */
async function admin(...args: string[]): Promise<{ code: number; out: string; err: string; progress: string[] }> {
  const lines: string[] = []
  const errors: string[] = []
  const progress: string[] = []
  const io = { out: (l: string) => lines.push(l), err: (l: string) => errors.push(l), progress: (l: string) => progress.push(l), root, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 50))) }
  const code = await runAdmin(['--emulator', emulator.url, ...args], io, {})
  return { code, out: lines.join('\n'), err: errors.join('\n'), progress }
}

const json = (out: string) => JSON.parse(out.slice(out.indexOf('{')))

/** A read command with --json: exactly one JSON document on stdout, and nothing on stderr. */
async function document(...args: string[]): Promise<any> {
  const run = await admin(...args, '--json')
  expect(run, args.join(' ')).toMatchObject({ code: 0, err: '' })
  return JSON.parse(run.out)
}

/** A table's lines after its header, as words. */
const rowsOf = (out: string) => out.split('\n').slice(1).map((line) => line.split(/\s+/))

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

  it('broadcasts to an audience, and at a later time without waiting for it', async () => {
    const tag = `cli-${newOpenid('t')}`
    const [aimed, other] = [newOpenid('oCli'), newOpenid('oCli')]
    for (const openid of [aimed, other]) await product.subscribe(openid, { [ORDER]: 'accept' })
    await emulator.request('POST', '/_emulator/db/users/import', [{ _id: aimed, tags: [tag] }, { _id: other, tags: ['x'] }])
    const data = JSON.stringify(exampleData(ORDER))
    const audience = JSON.stringify({ tags: tag })
    const ticking = setInterval(() => void emulator.trigger('send', new Date().toISOString()), 300)
    try {
      const run = await admin('broadcast', '--template', ORDER, '--data', data, '--audience', audience)
      expect(run.code).toBe(0)
      expect(json(run.out)).toMatchObject({ ok: true, status: 'queued', total: 1, sent: 1, remaining: 0, audience: { tags: tag } })
    } finally {
      clearInterval(ticking)
    }
    expect(await product.delivered(aimed)).toHaveLength(1)
    expect(await product.delivered(other)).toEqual([])
    const at = new Date(Date.now() + 3_600_000).toISOString()
    const later = await admin('broadcast', '--template', ORDER, '--data', data, '--audience', audience, '--at', at)
    expect(later.code).toBe(0)
    expect(later.out).toContain(`scheduled: queuing starts at the first tick at or after ${at}`)
    const campaignId = /campaign (cmp_\w+)/.exec(later.out)![1]!
    expect(json((await admin('campaign', campaignId)).out)).toMatchObject({ ok: true, status: 'scheduled', sendAt: at, total: 0, remaining: 0 })
    const undeclared = await admin('broadcast', '--template', ORDER, '--data', data, '--audience', '{"phone":"1"}')
    expect(undeclared.code).toBe(1)
    expect(json(undeclared.out)).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', field: 'audience.phone' })
    expect((await admin('broadcast', '--template', ORDER, '--data', data, '--audience', 'vip')).code).toBe(2)
  })

  it('lists grants and message stats', async () => {
    const openid = newOpenid('oCli')
    await product.subscribe(openid, { [ORDER]: 'accept' })
    expect((await admin('grants', openid)).out).toMatch(new RegExp(`${ORDER}\\s+one-time\\s+available 1\\s+accept\\s+uncertain 0`))
    const stats = await admin('stats')
    expect(stats.code).toBe(0)
    expect(stats.out).toMatch(new RegExp(`${ORDER}\\s+sent\\s+\\d+`))
  })

  it('--json: every read command prints one JSON document, with the figures of its table', async () => {
    const openid = newOpenid('oCli')
    await product.subscribe(openid, { [ORDER]: 'accept', [EVENT]: 'accept' })
    const data = JSON.stringify(exampleData(ORDER))
    const sent = json((await admin('send', '--to', openid, '--template', ORDER, '--data', data)).out)
    expect(sent).toMatchObject({ ok: true, status: 'sent' })

    const stats = await admin('stats')
    const { counts } = await document('stats')
    expect(counts.map((c: Record<string, unknown>) => [c.templateId, c.status, String(c.count)])).toEqual(rowsOf(stats.out))
    expect(counts).toContainEqual({ templateId: ORDER, status: 'sent', count: expect.any(Number) })

    const grants = await document('grants', openid)
    expect(grants.openid).toBe(openid)
    const line = (g: Record<string, unknown>) => `${g.templateId}  ${g.kind}  available ${g.available}  ${g.status}  uncertain ${g.uncertain}`
    expect(grants.grants.map(line).sort()).toEqual((await admin('grants', openid)).out.split('\n').sort())
    expect(grants.grants.find((g: { templateId: string }) => g.templateId === ORDER)).toMatchObject({ available: 0, uncertain: 0 })
    expect(grants.grants.find((g: { templateId: string }) => g.templateId === EVENT)).toMatchObject({ available: 1, uncertain: 0 })
    expect(await document('grants', 'oNobodyAtAll')).toEqual({ openid: 'oNobodyAtAll', grants: [] })

    const message = await document('message', sent.messageId)
    expect(message.message).toMatchObject({ messageId: sent.messageId, status: 'sent', touser: openid, templateId: ORDER })
    expect(message).toEqual(json((await admin('message', sent.messageId)).out))

    // A campaign for nobody, later: nothing is sent by it.
    const at = new Date(Date.now() + 3_600_000).toISOString()
    const later = await admin('broadcast', '-t', ORDER, '-d', data, '--audience', JSON.stringify({ tags: `none-${openid}` }), '--at', at)
    const campaignId = /campaign (cmp_\w+)/.exec(later.out)![1]!
    const campaign = await document('campaign', campaignId)
    expect(campaign).toMatchObject({ ok: true, campaignId, status: 'scheduled', sendAt: at })
    expect(campaign).toEqual(json((await admin('campaign', campaignId)).out))

    const report = await admin('report', '--days', '1', '--template', ORDER)
    const [header, ...rows] = report.out.split('\n').map((l) => l.split(/\s+/))
    const { days } = await document('report', '--days', '1', '--template', ORDER)
    expect(days.map((row: Record<string, unknown>) => header!.map((name) => String(row[name])))).toEqual(rows)
    expect(days[0].sent).toBeGreaterThan(0)

    const future = new Date(Date.now() + 3_600_000).toISOString()
    expect(await document('unknown', '--since', future)).toEqual({ since: future, total: 0, messages: [] })
    expect(await document('pause')).toEqual({ ok: true, pausedUntil: null })
    expect((await admin('pause')).out).toBe('no pause')
    expect(await document('token', 'status')).toEqual({ ok: true, transport: 'cloud', token: null })
    expect((await admin('token', 'status')).out).toBe('the functions use cloud call (wechat.transport cloud): there is no access token')
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

  it('doctor: every line ✓ on the emulator as it starts, and a schema record at another version is ✗ with what to do', async () => {
    const lines: string[] = []
    const doctor = async () => {
      lines.length = 0
      return runAdmin(['--emulator', emulator.url, 'doctor'], { out: (l) => lines.push(l), progress: () => {}, root: ROOT, sleep: async () => {} }, {})
    }
    expect(await doctor()).toBe(0)
    expect(lines.filter((line) => line.startsWith('✗'))).toEqual([])
    expect(lines).toContain('✓ index messages.idempotencyKey: unique idempotencyKey 1')
    expect(lines.at(-1)).toMatch(/^doctor: \d+ ✓, 0 ✗ on the emulator at http/)
    const printed: string[] = []
    const io = { out: (l: string) => printed.push(l), err: (l: string) => printed.push(`stderr ${l}`), progress: () => {}, root: ROOT, sleep: async () => {} }
    expect(await runAdmin(['--emulator', emulator.url, 'doctor', '--json'], io, {})).toBe(0)
    const report = JSON.parse(printed.join('\n'))
    expect(report).toMatchObject({ ok: true, target: `the emulator at ${emulator.url}` })
    expect(report.checks.map((c: { ok: boolean; line: string }) => `${c.ok ? '✓' : '✗'} ${c.line}`)).toEqual(lines.filter((l) => /^[✓✗] /.test(l)))

    const record = (await emulator.request('GET', '/_emulator/db/_meta')).body.data.find((doc: { _id: string }) => doc._id === 'schema')
    await emulator.request('PUT', '/_emulator/db/_meta/doc/schema', { ...record, version: '0000000000000000' })
    try {
      expect(await doctor()).toBe(1)
      expect(lines.filter((line) => line.startsWith('✗'))).toEqual([
        `✗ schema record _meta/schema: at 0000000000000000, db/ is ${record.version}: run npm run deploy`,
      ])
    } finally {
      await emulator.request('PUT', '/_emulator/db/_meta/doc/schema', record)
    }
  })

  it('shows the daily-limit pause and lifts it: a send then goes out', async () => {
    const openid = newOpenid('oCli')
    await product.subscribe(openid, { [ORDER]: 'accept' })
    const send = () => admin('send', '--to', openid, '--template', ORDER, '--data', JSON.stringify(exampleData(ORDER)))
    expect(await admin('pause')).toMatchObject({ code: 0, out: 'no pause' })
    try {
      // WeChat's 45009 on an immediate send pauses every send until its count starts again.
      await product.faults({ errcode: 45009 })
      const limited = json((await send()).out)
      expect(limited).toMatchObject({ ok: false, code: 'DAILY_LIMIT', retryAt: expect.any(String) })
      await product.faults(null)
      expect((await admin('pause', 'show')).out).toBe(`paused until ${limited.retryAt} (WeChat's daily limit): nothing is sent before then`)
      expect(json((await send()).out)).toMatchObject({ ok: false, code: 'DAILY_LIMIT' })
      expect(await product.delivered(openid)).toEqual([])

      expect(await admin('pause', 'clear')).toMatchObject({ code: 0, out: `pause lifted (was until ${limited.retryAt})` })
      expect(await admin('pause', 'clear')).toMatchObject({ code: 0, out: 'no pause' })
      expect((await admin('pause')).out).toBe('no pause')
      expect(json((await send()).out)).toMatchObject({ ok: true, status: 'sent' })
      expect(await product.delivered(openid)).toHaveLength(1)
      expect((await admin('pause', 'lift')).code).toBe(2)
    } finally {
      await product.faults(null)
      await product.clearDispatchState()
    }
  })

  it('lists unknown messages newest first, and resends one knowingly, once', async () => {
    const openid = newOpenid('oCli')
    // Three units: two for the sends whose outcome is lost, one for the resend.
    for (let i = 0; i < 3; i++) await product.subscribe(openid, { [ORDER]: 'accept' })
    const since = new Date().toISOString()
    const lost: Array<Record<string, any>> = []
    try {
      await product.faults({ errcode: -1 })
      for (let i = 0; i < 2; i++) lost.push(json((await admin('send', '--to', openid, '--template', ORDER, '--data', JSON.stringify(exampleData(ORDER)))).out))
    } finally {
      await product.faults(null)
    }
    for (const reply of lost) expect(reply).toMatchObject({ ok: false, code: 'UNKNOWN_OUTCOME' })
    expect(await product.delivered(openid)).toEqual([])

    const listed = await admin('unknown', '--since', since)
    expect(listed.code).toBe(0)
    const lines = listed.out.split('\n')
    const listedJson = await document('unknown', '--since', since)
    expect(listedJson.total).toBe(lines.length - 2)
    expect(listedJson.messages.map((m: { _id: string }) => m._id)).toEqual(lines.slice(1, -1).map((l) => l.split(/\s+/)[1]))
    expect(lines[0]).toMatch(/^updatedAt\s+messageId\s+touser\s+templateId\s+errmsg$/)
    // Newest first: the second lost send, then the first.
    expect(lines.slice(1, 3).map((l) => l.split(/\s+/).slice(1, 4))).toEqual([
      [lost[1]!.messageId, openid, ORDER],
      [lost[0]!.messageId, openid, ORDER],
    ])
    expect(lines.at(-1)).toBe(`${lines.length - 2} unknown messages since ${since}`)
    const future = new Date(Date.now() + 3_600_000).toISOString()
    expect(await admin('unknown', '--since', future)).toMatchObject({ code: 0, out: `no unknown messages since ${future}` })
    for (const bad of ['yesterday', '2026-13-45T00:00:00Z', '2026-12-01']) {
      const refused = await admin('unknown', '--since', bad)
      expect(refused.code).toBe(2)
      expect(refused.err).toMatch(/--since takes a time in ISO 8601 with its offset/)
    }

    const resent = json((await admin('resend', lost[0]!.messageId)).out)
    expect(resent).toMatchObject({ ok: true, status: 'sent', resendOf: lost[0]!.messageId })
    expect(resent.messageId).not.toBe(lost[0]!.messageId)
    expect(await product.delivered(openid)).toHaveLength(1)
    expect(json((await admin('message', resent.messageId)).out).message).toMatchObject({ status: 'sent', touser: openid, templateId: ORDER, resendOf: lost[0]!.messageId })
    // Asked again: the first resend's answer, and nothing more goes out.
    expect(json((await admin('resend', lost[0]!.messageId)).out)).toEqual(resent)
    expect(await product.delivered(openid)).toHaveLength(1)

    // A message that went out is not resent, and nothing is written.
    const before = await product.collection('messages')
    const refused = await admin('resend', resent.messageId)
    expect(refused.code).toBe(1)
    expect(json(refused.out)).toMatchObject({ ok: false, code: 'NOT_RESENDABLE', messageId: resent.messageId, status: 'sent' })
    expect(json((await admin('resend', 'msg_nowhere')).out)).toMatchObject({ ok: false, code: 'NOT_FOUND' })
    expect(await product.collection('messages')).toEqual(before)
    expect(await product.delivered(openid)).toHaveLength(1)
    expect((await admin('resend')).code).toBe(2)
  })

  it('lists at most the newest 1000 unknown messages, paged by the index, and says when it cut', async () => {
    // Seven to a timestamp, so that pages end among equal times.
    const seeded = Array.from({ length: 1010 }, (_, i) => ({
      _id: `msg_seed${String(i).padStart(5, '0')}`,
      idempotencyKey: `server:seed-${i}`,
      queueSlot: `msg_seed${i}`,
      status: 'unknown',
      touser: 'oSeeded',
      templateId: ORDER,
      errmsg: 'system error',
      updatedAt: { $date: new Date(Date.UTC(2020, 0, 1) + Math.floor(i / 7) * 1000).toISOString() },
    }))
    expect((await emulator.request('POST', '/_emulator/db/messages/import', seeded)).status).toBe(200)
    const examined = async () => (await emulator.request('GET', '/_emulator/stats')).body.documentsExamined
    const examinedBefore = await examined()
    const listed = await admin('unknown')
    expect(listed.code).toBe(0)
    // Each page a range of the index from where the last ended: about what is listed, not a rescan from the top per page.
    expect((await examined()) - examinedBefore).toBeLessThan(1200)
    const lines = listed.out.split('\n')
    const rows = lines.slice(1, -1).map((l) => l.split(/\s+/))
    expect(rows).toHaveLength(1000)
    const total = (await emulator.request('GET', `/_emulator/db/messages/count?filter=${encodeURIComponent('{"status":"unknown"}')}`)).body.total
    expect(lines.at(-1)).toBe(`${total} unknown messages; the newest 1000 shown`)
    // Every row once, newest first (by time, then id).
    expect(new Set(rows.map((r) => r[1])).size).toBe(1000)
    const keys = rows.map((r) => `${r[0]} ${r[1]}`)
    expect(keys).toEqual([...keys].sort().reverse())
    expect(rows.at(-1)).toEqual([expect.any(String), `msg_seed${String(total - 1000).padStart(5, '0')}`, 'oSeeded', ORDER, 'system', 'error'])
  })

  it('says clearly what is wrong: credentials, reachability, arguments', async () => {
    const lines: string[] = []
    const io = { out: (l: string) => lines.push(l), progress: () => undefined, root, sleep: async () => undefined }
    expect(await runAdmin(['stats'], io, {})).toBe(2)
    expect(lines.join('\n')).toMatch(/missing credentials: set TCB_SECRET_ID, TCB_SECRET_KEY, TCB_ENV_ID/)
    lines.length = 0
    expect(await runAdmin(['--emulator', 'http://127.0.0.1:9', 'stats'], io, {})).toBe(1)
    expect(lines.join('\n')).toMatch(/cannot reach the emulator at http:\/\/127\.0\.0\.1:9/)
    expect((await admin('send', '--to', 'o1')).err).toMatch(/--template is required/)
    // An option send does not take is refused, and nothing is sent or written.
    const openid = newOpenid('oCli')
    await product.subscribe(openid, { [ORDER]: 'accept' })
    const before = await product.collection('messages')
    const refused = await admin('send', '--to', openid, '--template', ORDER, '--data', JSON.stringify(exampleData(ORDER)), '--priority', 'high')
    expect(refused).toMatchObject({ code: 2, out: '' })
    expect(refused.err).toMatch(/^unknown option --priority\nusage: npm run admin -- send /)
    expect(await product.collection('messages')).toEqual(before)
    expect(await product.delivered(openid)).toEqual([])
    expect((await admin('frobnicate')).code).toBe(2)
    expect((await admin('send', '--to', 'o1', '--template', ORDER, '--data', '{oops')).err).toMatch(/--data must be a JSON object/)
  })

  it('runs as npm run admin: no command is exit 2 with the usage, and --json is the only thing on stdout', () => {
    const run = (...args: string[]) => spawnSync('npx', ['tsx', 'scripts/admin.ts', ...args], { cwd: ROOT, encoding: 'utf8' })
    const bare = run()
    expect(bare.status).toBe(2)
    expect(bare.stderr).toMatch(/usage: npm run admin -- \[--emulator <url>\] <command>/)
    const stats = run('stats', '--emulator', emulator.url, '--json')
    expect(stats.status).toBe(0)
    expect(JSON.parse(stats.stdout)).toEqual({ counts: expect.any(Array) })
  })
})
