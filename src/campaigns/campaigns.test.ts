/** Campaign queuing, page by page, against the emulator through the real SDK. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type RunningEmulator } from '../../test/support/emulator'
import { connectSdk } from '../../test/support/sdk'
import { database } from '../cloud'
import { Ledger } from '../ledger/ledger'
import { findTemplate } from '../templates/registry'
import { Campaigns } from './campaigns'

const ORDER = findTemplate('Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w')!
const data = { character_string1: 'SO1', thing2: '杯子', amount3: '¥1.00', name4: '张三', phrase5: '已发货' }
const server = { kind: 'server' as const, source: 'scf' }

let emulator: RunningEmulator

beforeAll(async () => {
  emulator = await startEmulator()
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
    const { campaignId } = (await campaigns.broadcast(server, { action: 'broadcast', templateId: ORDER.id, data }, 0)) as { campaignId: string }
    expect(await messagesOf(campaignId)).toHaveLength(5)
    await emulator.request('DELETE', '/_emulator/stats')
    expect(await campaigns.advance(0)).toBe(5)
    expect((await emulator.request('GET', '/_emulator/stats')).body.documentsExamined).toBeLessThanOrEqual(5 + 1 + 1)
    for (let i = 0; i < 5; i++) await campaigns.advance(0)
    const queued = await messagesOf(campaignId)
    expect(queued).toHaveLength(23)
    expect(new Set(queued.map((m: { touser: string }) => m.touser)).size).toBe(23)
    expect(await campaigns.report(server, { action: 'campaign', campaignId })).toMatchObject({ status: 'queued', total: 23, queued: 23 })
  })

  it('queues each holder once when two runs advance the same campaign at once', async () => {
    const campaigns = new Campaigns(database(), 4, Date.now)
    const { campaignId } = (await campaigns.broadcast(server, { action: 'broadcast', templateId: ORDER.id, data }, 0)) as { campaignId: string }
    for (let i = 0; i < 8; i++) await Promise.all([campaigns.advance(0), campaigns.advance(0)])
    const queued = await messagesOf(campaignId)
    expect(queued).toHaveLength(23)
    expect(new Set(queued.map((m: { touser: string }) => m.touser)).size).toBe(23)
  })
})
