import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnEmulator, type RunningEmulator } from '../../test/support/emulator'
import { connectSdk } from '../../test/support/sdk'
import { database } from '../cloud'
import { Ledger } from '../ledger/ledger'
import { TEMPLATES } from '../templates/registry'
import { startOfBeijingDay } from '../beijing'
import { funnelReport } from './funnel'

const [oneTime, other] = [...TEMPLATES.values()]
const longTerm = [...TEMPLATES.values()].find((t) => t.kind === 'long-term')!
const H = 3600_000
const DAY = 24 * H
/** 12:00 on 2025-01-10 in UTC+8. */
const NOON = Date.UTC(2025, 0, 10, 4)
const zero = { asked: 0, accepted: 0, rejected: 0, banned: 0, sent: 0, delivered: 0, failed: 0, unknown: 0, noQuota: 0, superseded: 0, expired: 0 }

let emulator: RunningEmulator
let seq = 0

beforeAll(async () => {
  emulator = await spawnEmulator()
  connectSdk(emulator)
})
afterAll(() => emulator.stop())

const refused = (event: unknown) => funnelReport(database(), event, Date.now()).then(
  () => undefined,
  (error: { reply?: unknown }) => error.reply,
)

/** Messages as the product leaves them, only the fields the funnel reads, each at its time. */
async function seedMessages(templateId: string, rows: Array<[status: string, code: string | null, at: number]>) {
  const docs = rows.map(([status, code, at]) => ({ _id: `msg_seed${seq++}`, idempotencyKey: `seed-${seq}`, queueSlot: `msg_seed${seq}`, templateId, touser: 'oSeed', status, code, updatedAt: { $date: new Date(at).toISOString() } }))
  expect((await emulator.request('POST', '/_emulator/db/messages/import', docs)).status).toBe(200)
}

describe('funnelReport', () => {
  it('refuses what is not its request, naming the field', async () => {
    expect(await refused({ action: 'report', days: 0 })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'days' })
    expect(await refused({ action: 'report', days: 32 })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'days' })
    expect(await refused({ action: 'report', days: 1.5 })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'days' })
    expect(await refused({ action: 'report', days: '7' })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'days' })
    expect(await refused({ action: 'report', days: null })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'days' })
    expect(await refused({ action: 'report', templateId: 42 })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'templateId' })
    expect(await refused({ action: 'report', templateId: 'nope' })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'templateId' })
    expect(await refused({ action: 'report', templateId: { $ne: null } })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'templateId' })
    expect(await refused({ action: 'report', since: 'monday' })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'since' })
    expect(await refused({ action: 'list' })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'action' })
    expect(await refused([])).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'request' })
  })

  it('gives 7 days of every template by default, oldest first, today last', async () => {
    const reply = (await funnelReport(database(), { action: 'report' }, NOON + 100 * DAY)) as { ok: true; days: Array<{ date: string; templateId: string }> }
    expect(reply.ok).toBe(true)
    expect(reply.days).toHaveLength(7 * TEMPLATES.size)
    expect(reply.days[0]).toEqual({ date: '2025-04-14', templateId: oneTime!.id, ...zero })
    expect(reply.days.at(-1)).toMatchObject({ date: '2025-04-20', templateId: [...TEMPLATES.keys()].at(-1) })
  })

  it('counts each message once, by its status and the day (UTC+8) of the write that gave it', async () => {
    const midnight = startOfBeijingDay(NOON)
    expect(new Date(midnight).toISOString()).toBe('2025-01-09T16:00:00.000Z')
    await seedMessages(oneTime!.id, [
      ['sent', null, midnight - 1], // the last moment of the 9th
      ['sent', null, midnight],
      ['sent', null, NOON],
      ['failed', 'DELIVERY_FAILED', NOON],
      ['failed', 'NO_QUOTA', NOON - 2 * H],
      ['failed', 'NO_QUOTA', midnight - DAY - 1], // the 8th: outside a 2-day window
      ['failed', 'TEMPLATE_BANNED', NOON],
      ['unknown', 'UNKNOWN_OUTCOME', NOON],
      ['superseded', null, NOON - DAY],
      ['expired', 'NO_QUOTA', NOON],
      ['cancelled', null, NOON],
      ['scheduled', null, NOON],
    ])
    await seedMessages(other!.id, [['sent', null, NOON]])
    const reply = (await funnelReport(database(), { action: 'report', days: 2, templateId: oneTime!.id }, NOON)) as { days: unknown[] }
    expect(reply.days).toEqual([
      { date: '2025-01-09', templateId: oneTime!.id, ...zero, sent: 1, delivered: 1, superseded: 1 },
      { date: '2025-01-10', templateId: oneTime!.id, ...zero, sent: 3, delivered: 2, failed: 1, unknown: 1, noQuota: 1, expired: 1 },
    ])
    const both = (await funnelReport(database(), { action: 'report', days: 1 }, NOON)) as { days: Array<{ templateId: string; sent: number }> }
    expect(both.days.map((d) => [d.templateId, d.sent])).toEqual([...TEMPLATES.keys()].map((id) => [id, id === oneTime!.id ? 3 : id === other!.id ? 1 : 0]))
  })

  it('reads one range of an index per count: no message but those it counts, and the failed ones it tells apart by code', async () => {
    await emulator.request('DELETE', '/_emulator/stats')
    await funnelReport(database(), { action: 'report', days: 1, templateId: oneTime!.id }, NOON)
    const stats = (await emulator.request('GET', '/_emulator/stats')).body
    // One count per figure over the day (10), none more for a one-day window.
    expect(stats.requests.byAction).toEqual({ 'database.calculateDocument': 10 })
    // Those counted (2 sent, 1 unknown, 1 expired), and the template's failed messages of the day (3) once for failed and once for noQuota.
    expect(stats.documentsExamined).toBe(2 + 1 + 1 + 3 + 3)
  })

  it('counts popups once per applied report, as the ledger applied each outcome', async () => {
    const ledger = new Ledger(database())
    const openid = `oFunnel${Date.now().toString(36)}`
    expect(await ledger.recordPopup(openid, [{ template: oneTime!, outcome: 'accept' }, { template: other!, outcome: 'reject' }], 'p1')).toBe(true)
    expect(await ledger.recordPopup(openid, [{ template: oneTime!, outcome: 'accept' }, { template: other!, outcome: 'reject' }], 'p1')).toBe(false)
    expect(await ledger.recordPopup(openid, [{ template: oneTime!, outcome: 'acceptWithAudio' }, { template: other!, outcome: 'filter' }], 'p2')).toBe(true)
    // acceptWithAlert is not a one-time accept: the ledger applies it as a reject, and so it is counted.
    expect(await ledger.recordPopup(openid, [{ template: oneTime!, outcome: 'acceptWithAlert' }], 'p3')).toBe(true)
    expect(await ledger.recordPopup(openid, [{ template: oneTime!, outcome: 'ban' }], 'p4')).toBe(true)
    expect(await ledger.recordPopup(openid, [{ template: longTerm, outcome: 'acceptWithAlert' }], 'p5')).toBe(true)
    const reply = (await funnelReport(database(), { action: 'report', days: 1 }, Date.now())) as { days: Array<{ templateId: string }> }
    const row = (id: string) => reply.days.find((d) => d.templateId === id)
    expect(row(oneTime!.id)).toMatchObject({ asked: 4, accepted: 2, rejected: 1, banned: 1 })
    expect(row(other!.id)).toMatchObject({ asked: 2, accepted: 0, rejected: 1, banned: 0 })
    expect(row(longTerm.id)).toMatchObject({ asked: 1, accepted: 1 })
    const popups = (await emulator.request('GET', `/_emulator/db/popups?limit=100&after=0&filter=${encodeURIComponent(JSON.stringify({ openid }))}`)).body.data
    expect(popups).toHaveLength(7)
    expect(popups[0]).toEqual({ _id: `${openid}:p1:${oneTime!.id}`, openid, templateId: oneTime!.id, outcome: 'accept', at: { $date: expect.any(String) } })
  })
})
