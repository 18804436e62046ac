/** Campaign queuing, page by page, against the emulator through the real SDK. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnEmulator, type RunningEmulator } from '../../test/support/emulator'
import { connectSdk } from '../../test/support/sdk'
import { database } from '../cloud'
import { Ledger } from '../ledger/ledger'
import { findTemplate } from '../templates/registry'
import { Campaigns } from './campaigns'

const ORDER = findTemplate('Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w')!
const data = { character_string1: 'SO1', thing2: '杯子', amount3: '¥1.00', name4: '张三', phrase5: '已发货' }
const eventData = { thing1: '周末读书会', date2: '2026年12月5日', number3: '12', enum4: '报名中', symbol5: '★★★' }

let emulator: RunningEmulator

beforeAll(async () => {
  emulator = await spawnEmulator()
  connectSdk(emulator)
  const ledger = new Ledger(database())
  for (let i = 0; i < 23; i++) await ledger.recordPopup(`oCm${String(i).padStart(2, '0')}`, [{ template: ORDER, outcome: 'accept' }], 'r')
})
afterAll(() => emulator.stop())

const messagesOf = async (campaignId: string) =>
  (await emulator.request('GET', '/_emulator/db/messages?limit=1000')).body.data.filter((m: { campaignId: string }) => m.campaignId === campaignId)

describe('Campaigns', () => {
  it('resumes across ticks, a page at a time, reading only each page', async () => {
    const campaigns = new Campaigns(database(), 5, Date.now)
    // No budget: the broadcast itself queues one page, each advance one more.
    const { campaignId } = (await campaigns.broadcast({ action: 'broadcast', templateId: ORDER.id, data }, 0)) as { campaignId: string }
    expect(await messagesOf(campaignId)).toHaveLength(5)
    await emulator.request('DELETE', '/_emulator/stats')
    expect(await campaigns.advance(0)).toBe(5)
    expect((await emulator.request('GET', '/_emulator/stats')).body.documentsExamined).toBeLessThanOrEqual(5 + 1 + 1)
    for (let i = 0; i < 5; i++) await campaigns.advance(0)
    const queued = await messagesOf(campaignId)
    expect(queued).toHaveLength(23)
    expect(new Set(queued.map((m: { touser: string }) => m.touser)).size).toBe(23)
    expect(await campaigns.campaign({ action: 'campaign', campaignId })).toMatchObject({ status: 'queued', total: 23, queued: 23 })
  })

  it('queues each holder once when two runs advance the same campaign at once, and counts them all', async () => {
    const campaigns = new Campaigns(database(), 4, Date.now)
    const { campaignId } = (await campaigns.broadcast({ action: 'broadcast', templateId: ORDER.id, data }, 0)) as { campaignId: string }
    for (let i = 0; i < 8; i++) await Promise.all([campaigns.advance(0), campaigns.advance(0)])
    const queued = await messagesOf(campaignId)
    expect(queued).toHaveLength(23)
    expect(new Set(queued.map((m: { touser: string }) => m.touser)).size).toBe(23)
    expect(await campaigns.campaign({ action: 'campaign', campaignId })).toMatchObject({ status: 'queued', total: 23, queued: 23 })
  })

  it('reads only holders: a template whose grants are mostly spent costs what it queues', async () => {
    const ledger = new Ledger(database())
    const event = findTemplate('Zx4cV8bN1mQ6wE3rT9yU2iO7pA5sD0fG4hJ8kL1zX6c')!
    for (let i = 0; i < 40; i++) {
      const openid = `oSp${String(i).padStart(2, '0')}`
      await ledger.recordPopup(openid, [{ template: event, outcome: 'accept' }], 'r')
      // All but every tenth spend their one unit.
      if (i % 10 !== 0) expect(await ledger.reserve(openid, event, `spend-${openid}`)).toBeDefined()
    }
    const campaigns = new Campaigns(database(), 200, Date.now)
    await emulator.request('DELETE', '/_emulator/stats')
    const { campaignId } = (await campaigns.broadcast({ action: 'broadcast', templateId: event.id, data: eventData }, 0)) as { campaignId: string }
    expect((await messagesOf(campaignId)).map((m: { touser: string }) => m.touser).sort()).toEqual(['oSp00', 'oSp10', 'oSp20', 'oSp30'])
    // The four holders, read by the (templateId, holding, _id) index, and the campaign itself.
    expect((await emulator.request('GET', '/_emulator/stats')).body.documentsExamined).toBeLessThanOrEqual(4 + 2)
  })

  it('checks each page of holders against the audience with one read of users, never one per user', async () => {
    const ledger = new Ledger(database())
    const event = findTemplate('Zx4cV8bN1mQ6wE3rT9yU2iO7pA5sD0fG4hJ8kL1zX6c')!
    const openids = Array.from({ length: 12 }, (_, i) => `oAu${String(i).padStart(2, '0')}`)
    for (const openid of openids) await ledger.recordPopup(openid, [{ template: event, outcome: 'accept' }], 'r')
    // Every third user is tagged; one holder has no users document at all.
    const users = openids.slice(0, -1).map((openid, i) => ({ _id: openid, tags: i % 3 === 0 ? ['aimed', 'x'] : ['x'] }))
    expect((await emulator.request('POST', '/_emulator/db/users/import', users)).status).toBe(200)
    const campaigns = new Campaigns(database(), 5, Date.now, ['tags'])
    const { campaignId } = (await campaigns.broadcast({ action: 'broadcast', templateId: event.id, data: eventData, audience: { tags: 'aimed' } }, 0)) as { campaignId: string }
    await emulator.request('DELETE', '/_emulator/stats')
    // The second page: the campaign, five grants and those five users, each read once, and the campaign's cursor moved.
    expect(await campaigns.advance(0)).toBe(2)
    const stats = (await emulator.request('GET', '/_emulator/stats')).body
    expect(stats.documentsExamined).toBeLessThanOrEqual(1 + 5 + 5 + 1)
    // Reads: the campaigns (queuing and scheduled ones, one index read), the grants, the users; writes: the page, the cursor.
    expect(stats.requests.byAction).toEqual({ 'database.getDocument': 3, 'database.modifyDocument': 1, 'database.insertDocument': 1 })
    for (let i = 0; i < 3; i++) await campaigns.advance(0)
    expect((await messagesOf(campaignId)).map((m: { touser: string }) => m.touser).sort()).toEqual(['oAu00', 'oAu03', 'oAu06', 'oAu09'])
    // Excluded: every other holder of the template, this test's and any an earlier test left.
    const filter = encodeURIComponent(JSON.stringify({ templateId: event.id, holding: true }))
    const holders = (await emulator.request('GET', `/_emulator/db/grants/count?filter=${filter}`)).body.total
    expect(holders).toBeGreaterThanOrEqual(12)
    expect(await campaigns.campaign({ action: 'campaign', campaignId })).toMatchObject({ status: 'queued', total: 4, remaining: 4, excluded: holders - 4, audience: { tags: 'aimed' } })
  })

  it('a cancelled campaign queues no further page, and its queued messages are cancelled', async () => {
    const campaigns = new Campaigns(database(), 5, Date.now)
    const { campaignId } = (await campaigns.broadcast({ action: 'broadcast', templateId: ORDER.id, data }, 0)) as { campaignId: string }
    expect(await messagesOf(campaignId)).toHaveLength(5)
    expect(await campaigns.campaign({ action: 'campaign', campaignId, cancel: true })).toEqual({ ok: true, campaignId, status: 'cancelled', cancelled: 5 })
    expect(await campaigns.advance(Date.now() + 5000, campaignId)).toBe(0)
    const messages = await messagesOf(campaignId)
    expect(messages.map((m: { status: string }) => m.status)).toEqual(Array(5).fill('cancelled'))
    expect(await campaigns.campaign({ action: 'campaign', campaignId })).toMatchObject({ status: 'cancelled', total: 5, queued: 0, cancelled: 5 })
    // Again: nothing left to cancel.
    expect(await campaigns.campaign({ action: 'campaign', campaignId, cancel: true })).toEqual({ ok: true, campaignId, status: 'cancelled', cancelled: 0 })
    await expect(campaigns.campaign({ action: 'campaign', campaignId: 'cmp_missing', cancel: true })).rejects.toMatchObject({ reply: { code: 'NOT_FOUND' } })
  })

  it('leaves nothing queued when a cancel comes while pages are being queued', async () => {
    const campaigns = new Campaigns(database(), 2, Date.now)
    for (let round = 0; round < 4; round++) {
      const { campaignId } = (await campaigns.broadcast({ action: 'broadcast', templateId: ORDER.id, data }, 0)) as { campaignId: string }
      await Promise.all([campaigns.advance(Date.now() + 10_000, campaignId), campaigns.campaign({ action: 'campaign', campaignId, cancel: true })])
      const statuses = (await messagesOf(campaignId)).map((m: { status: string }) => m.status)
      expect(statuses.filter((status: string) => status !== 'cancelled')).toEqual([])
      expect(await campaigns.advance(Date.now() + 10_000, campaignId)).toBe(0)
    }
  })
})
