/**
 * The funnel through the real emulator and the real bundles: a scripted day
 * of popups and sends, then the product's report (send's `{ action: "report" }`)
 * held against WeChat's own funnel (`GET /_emulator/wechat/funnel`), for
 * every count both know; its bad input refused with nothing written; and the
 * operator's `npm run admin -- report`.
 */
import { describe, expect, it } from 'vitest'
import { runAdmin } from '../scripts/admin'
import { ROOT, until } from './support/emulator'
import { APPOINTMENT, CLASS, ORDER, TEMPLATES, exampleData, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct()

type Row = Record<string, any> & { date: string; templateId: string }

const report = (request: Record<string, unknown> = {}) => product.send({ action: 'report', ...request })
const oracle = async (days: number): Promise<Row[]> => (await emulator.request('GET', `/_emulator/wechat/funnel?days=${days}`)).body.data
const today = (rows: Row[], templateId: string) => rows.filter((r) => r.templateId === templateId).at(-1)!

async function admin(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const code = await runAdmin(['--emulator', emulator.url, 'report', ...args], { out: (l) => lines.push(l), progress: () => undefined, root: ROOT, sleep: async () => undefined }, {})
  return { code, out: lines.join('\n') }
}

/** What the day's script did, per template, as the product should count it. */
const SCRIPTED = {
  [ORDER]: { asked: 5, accepted: 4, rejected: 1, banned: 0, sent: 2, delivered: 1, failed: 1, unknown: 1, noQuota: 2, superseded: 0, expired: 0 },
  [APPOINTMENT]: { asked: 2, accepted: 1, rejected: 0, banned: 1, sent: 1, delivered: 1, failed: 0, unknown: 0, noQuota: 0, superseded: 0, expired: 0 },
  [CLASS]: { asked: 1, accepted: 1, rejected: 0, banned: 0, sent: 2, delivered: 2, failed: 0, unknown: 0, noQuota: 0, superseded: 0, expired: 0 },
}
/** Sends the ledger refused without calling WeChat (no grant): NO_QUOTA that WeChat never saw. */
const REFUSED_BY_LEDGER = { [ORDER]: 1 }

describe('the funnel', () => {
  it("counts a scripted day as WeChat's own funnel counts it", { timeout: 60_000 }, async () => {
    const [a, b, c, d, e, f] = Array.from({ length: 6 }, () => newOpenid('oFun'))
    const send = (touser: string, templateId: string) => product.send({ touser, templateId, data: exampleData(templateId) })

    // Popups: accepts, a reject, a ban, and one report sent twice under its requestId (the mini-program retrying).
    const popup = (await emulator.request('POST', '/_emulator/wechat/subscribe', { openid: a, choices: { [ORDER]: 'accept' } })).body
    for (let i = 0; i < 2; i++) await emulator.result('subscribe-record', { results: popup, requestId: 'funnel-a-1' }, { openid: a })
    await product.subscribe(b!, { [ORDER]: 'accept', [APPOINTMENT]: 'accept' })
    await product.subscribe(c!, { [ORDER]: 'reject' })
    await product.subscribe(d!, { [APPOINTMENT]: 'ban' })
    await product.subscribe(d!, { [CLASS]: 'accept' })
    await product.subscribe(e!, { [ORDER]: 'accept' })
    await product.subscribe(f!, { [ORDER]: 'accept' })

    // Sends: delivered ones, one reported failed later, one unknown (-1), one refused 43101, one the ledger refused.
    expect(await send(a!, ORDER)).toMatchObject({ ok: true, status: 'sent' })
    const failing = await send(b!, ORDER)
    expect(failing).toMatchObject({ ok: true, status: 'sent' })
    expect(await send(b!, APPOINTMENT)).toMatchObject({ ok: true, status: 'sent' })
    for (let i = 0; i < 2; i++) expect(await send(d!, CLASS)).toMatchObject({ ok: true, status: 'sent' })
    try {
      await product.faults({ errcode: -1 })
      expect(await send(e!, ORDER)).toMatchObject({ ok: false, code: 'UNKNOWN_OUTCOME' })
      await product.faults({ errcode: 43101 })
      expect(await send(f!, ORDER)).toMatchObject({ ok: false, code: 'NO_QUOTA', errcode: 43101 })
    } finally {
      await product.faults(null)
    }
    expect(await send(c!, ORDER)).toMatchObject({ ok: false, code: 'NO_QUOTA' })
    // Delivery events are on (emulator.config.json names wechat-events): the failure reaches the message.
    expect((await emulator.request('POST', `/_emulator/wechat/messages/${failing.msgid}/fail`, { errorCode: 10002 })).status).toBe(200)
    await until(
      async () => (await product.send({ action: 'get', messageId: failing.messageId })).message?.status,
      (status) => status === 'failed',
      'the delivery failure applied',
    )

    // Two days, so that a day turning (UTC+8) mid-test still leaves every event in the window.
    const reply = await report({ days: 2 })
    expect(reply.ok).toBe(true)
    const ours: Row[] = reply.days
    const theirs = await oracle(2)
    const key = (r: Row) => `${r.date} ${r.templateId}`
    expect(ours.map(key).sort()).toEqual(theirs.filter((r) => TEMPLATES.some((t) => t.id === r.templateId)).map(key).sort())
    for (const row of ours) {
      const seen = theirs.find((r) => r.date === row.date && r.templateId === row.templateId)!
      const label = key(row)
      expect({ asked: row.asked, accepted: row.accepted, rejected: row.rejected, banned: row.banned }, label).toEqual({ asked: seen.asked, accepted: seen.accepted, rejected: seen.rejected, banned: seen.banned })
      // Sent: every message WeChat took, the one reported failed later among them.
      expect(row.sent, label).toBe(seen.delivered)
      expect(row.sent, label).toBe(row.delivered + row.failed)
      expect(row.unknown, label).toBe(seen.refused['-1'] ?? 0)
      const byLedger = row.date === ours.at(-1)!.date ? (REFUSED_BY_LEDGER[row.templateId] ?? 0) : 0
      expect(row.noQuota, label).toBe((seen.refused['43101'] ?? 0) + byLedger)
    }
    for (const [templateId, counts] of Object.entries(SCRIPTED)) {
      const [yesterday, now] = ours.filter((r) => r.templateId === templateId)
      const both = Object.fromEntries(Object.keys(counts).map((key) => [key, yesterday![key] + now![key]]))
      expect(both, templateId).toEqual(counts)
    }
  })

  it('asks for one template, or the registry; days from 1 to 31, 7 by default', async () => {
    const one = await report({ templateId: ORDER, days: 3 })
    expect(one.days.map((r: Row) => r.templateId)).toEqual([ORDER, ORDER, ORDER])
    expect(one.days.at(-1)).toEqual(today((await report()).days, ORDER))
    expect((await report()).days).toHaveLength(7 * TEMPLATES.length)
    expect((await report({ days: 31 })).days).toHaveLength(31 * TEMPLATES.length)
    expect(Object.keys(one.days[0])).toEqual(['date', 'templateId', 'asked', 'accepted', 'rejected', 'banned', 'sent', 'delivered', 'failed', 'unknown', 'noQuota', 'superseded', 'expired'])
    expect(one.days.map((r: Row) => r.date)).toEqual([...one.days.map((r: Row) => r.date)].sort())
  })

  it('refuses bad input, naming the field, and writes nothing', async () => {
    const before = await Promise.all(['messages', 'popups', 'grants', 'grant_reports'].map((name) => product.collection(name)))
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ days: 0 }, 'days'],
      [{ days: 32 }, 'days'],
      [{ days: 2.5 }, 'days'],
      [{ days: '7' }, 'days'],
      [{ days: null }, 'days'],
      [{ days: [7] }, 'days'],
      [{ templateId: 42 }, 'templateId'],
      [{ templateId: '' }, 'templateId'],
      [{ templateId: 'x'.repeat(65) }, 'templateId'],
      [{ templateId: { $ne: null } }, 'templateId'],
      [{ templateId: 'NoSuchTemplate0000000000000000000000000000' }, 'templateId'],
      [{ since: '2026-01-01' }, 'since'],
      [{ days: 7, openid: 'oSomeone' }, 'openid'],
    ]
    for (const [request, field] of bad) expect(await report(request), JSON.stringify(request)).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', field })
    // A mini-program user may not read everyone's funnel.
    expect(await product.send({ action: 'report' }, { openid: newOpenid('oFun') })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect(await Promise.all(['messages', 'popups', 'grants', 'grant_reports'].map((name) => product.collection(name)))).toEqual(before)
  })

  it('npm run admin -- report: the day as JSON, counting exactly the accepts and sends made, or as a table', async () => {
    const run = await admin('--days', '1', '--json')
    expect(run.code).toBe(0)
    const printed = JSON.parse(run.out)
    expect(Object.keys(printed)).toEqual(['days'])
    expect(printed.days).toEqual((await report({ days: 1 })).days)
    const accepted = printed.days.reduce((n: number, r: Row) => n + r.accepted, 0)
    const sent = printed.days.reduce((n: number, r: Row) => n + r.sent, 0)
    // Exactly the first test's accepts (4 + 1 + 1) and the sends WeChat took (2 + 1 + 2), as WeChat counted them.
    expect([accepted, sent]).toEqual([6, 5])
    const wechat = await oracle(1)
    expect([accepted, sent]).toEqual([wechat.reduce((n, r) => n + r.accepted, 0), wechat.reduce((n, r) => n + r.delivered, 0)])

    const table = await admin('--template', ORDER)
    expect(table.code).toBe(0)
    const lines = table.out.split('\n')
    expect(lines[0]).toMatch(/^date\s+templateId\s+asked\s+accepted\s+rejected\s+banned\s+sent\s+delivered\s+failed\s+unknown\s+noQuota\s+superseded\s+expired$/)
    expect(lines).toHaveLength(1 + 7)
    expect(lines.slice(1).every((line) => line.includes(ORDER))).toBe(true)

    for (const args of [['--days', '0'], ['--days', '32'], ['--days', 'x'], ['--days'], ['--template'], ['--json', 'yes'], ['--since', 'monday'], ['extra']]) {
      const refused = await admin(...args)
      expect(refused.code, args.join(' ')).toBe(2)
      expect(refused.out).toMatch(/usage: npm run admin -- report/)
    }
    // A template the registry lacks is send's to refuse: the reply, and exit 1.
    const unknown = await admin('--template', 'NoSuchTemplate')
    expect(unknown.code).toBe(1)
    expect(JSON.parse(unknown.out)).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', field: 'templateId' })
  })
})
