/** Broadcast campaigns through `send`: every holder of a grant gets one message, and the campaign counts them. */
import { describe, expect, it } from 'vitest'
import { APPOINTMENT, EVENT, ORDER, exampleData, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct()

const tick = async (time = Date.now() + 1000) => (await emulator.trigger('send', new Date(time).toISOString())).body.result

/** Ticks until the campaign has nothing left queued, or fails past the deadline. */
async function drain(campaignId: string): Promise<any> {
  for (let ticks = 0; ticks < 10; ticks++) {
    const report = await product.send({ action: 'campaign', campaignId })
    if (report.status !== 'queuing' && report.queued === 0) return report
    await tick()
  }
  throw new Error(`campaign ${campaignId} still has messages queued after 10 ticks`)
}

async function holdersOf(templateId: string, count: number): Promise<string[]> {
  const holders = Array.from({ length: count }, () => newOpenid('oB'))
  for (const openid of holders) await product.subscribe(openid, { [templateId]: 'accept' })
  return holders
}

/** What a refused or repeated broadcast must leave as it was. */
const records = async () => ({ campaigns: await product.collection('campaigns'), messages: await product.collection('messages') })

describe('broadcast', () => {
  it('queues one message per holder, sends them, and reports the campaign', async () => {
    const holders = Array.from({ length: 24 }, () => newOpenid('oB'))
    for (const openid of holders) await product.subscribe(openid, { [ORDER]: 'accept' })
    const outsiders = [newOpenid('oB'), newOpenid('oB')]
    await product.subscribe(outsiders[0]!, { [ORDER]: 'reject' })
    await product.subscribe(outsiders[1]!, { [APPOINTMENT]: 'accept' })
    // One holder spends its grant before the broadcast goes out: that one is skipped.
    const spender = holders[0]!
    const reply = await product.send({ action: 'broadcast', templateId: ORDER, data: exampleData(ORDER), page: 'pages/index/index' })
    expect(reply).toEqual({ ok: true, campaignId: expect.stringMatching(/^cmp_/) })
    await product.send({ touser: spender, templateId: ORDER, data: exampleData(ORDER) })
    const before = await product.send({ action: 'campaign', campaignId: reply.campaignId })
    expect(before).toMatchObject({ ok: true, status: 'queued', total: 24, queued: 24, sent: 0 })
    await tick()
    const after = await product.send({ action: 'campaign', campaignId: reply.campaignId })
    expect(after).toMatchObject({ queued: 0, sent: 23, failed: 0, skipped: 1, unknown: 0 })
    for (const openid of holders.slice(1)) {
      const delivered = await product.delivered(openid)
      expect(delivered).toHaveLength(1)
      expect(delivered[0].page).toBe('pages/index/index')
    }
    for (const openid of outsiders) expect(await product.delivered(openid)).toEqual([])
    expect(await product.ledger(spender, ORDER)).toEqual(await product.oracleQuota(spender, ORDER))
  })

  it('is for server-side callers only', async () => {
    const openid = newOpenid('oB')
    expect(await product.send({ action: 'broadcast', templateId: ORDER, data: exampleData(ORDER) }, { openid })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect(await product.send({ action: 'campaign', campaignId: 'cmp_x' }, { openid })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
  })

  it('validates before queuing anything', async () => {
    const campaigns = (await product.collection('campaigns')).length
    expect(await product.send({ action: 'broadcast', templateId: 'NOPE', data: { thing1: 'x' } })).toMatchObject({ code: 'INVALID_DATA', field: 'templateId' })
    expect(await product.send({ action: 'broadcast', templateId: ORDER, data: { ...exampleData(ORDER), amount3: 'free' } })).toMatchObject({ code: 'INVALID_DATA', field: 'amount3' })
    expect(await product.send({ action: 'broadcast', templateId: ORDER, data: exampleData(ORDER), touser: 'o1' })).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await product.send({ action: 'campaign', campaignId: 'cmp_missing' })).toMatchObject({ code: 'NOT_FOUND' })
    expect((await product.collection('campaigns')).length).toBe(campaigns)
  })

  it('is one campaign under one key, asked four times (twice in a row, twice at once): each holder gets one message', async () => {
    const holders = await holdersOf(EVENT, 6)
    const request = { action: 'broadcast', templateId: EVENT, data: exampleData(EVENT), idempotencyKey: `launch-${newOpenid('k')}` }
    const campaignsBefore = (await product.collection('campaigns')).length
    const first = await product.send(request)
    expect(first).toEqual({ ok: true, campaignId: expect.stringMatching(/^cmp_/) })
    const replies = [await product.send(request), ...(await Promise.all([product.send(request), product.send(request)]))]
    for (const reply of replies) expect(reply).toEqual(first)
    expect((await product.collection('campaigns')).length).toBe(campaignsBefore + 1)
    const report = await drain(first.campaignId)
    expect(report).toMatchObject({ ok: true, status: 'queued', queued: 0, failed: 0, unknown: 0, cancelled: 0 })
    for (const openid of holders) expect(await product.delivered(openid)).toHaveLength(1)
    // Asked again once it is sent: still that campaign, and nothing more goes out.
    expect(await product.send(request)).toEqual(first)
    await tick()
    for (const openid of holders) expect(await product.delivered(openid)).toHaveLength(1)
  })

  it('is one campaign when its first asks come at once', async () => {
    const holders = await holdersOf(EVENT, 4)
    const request = { action: 'broadcast', templateId: EVENT, data: exampleData(EVENT), idempotencyKey: `launch-${newOpenid('k')}` }
    const replies = await Promise.all([product.send(request), product.send(request), product.send(request), product.send(request)])
    expect(new Set(replies.map((reply) => JSON.stringify(reply)))).toEqual(new Set([JSON.stringify({ ok: true, campaignId: replies[0].campaignId })]))
    await drain(replies[0].campaignId)
    for (const openid of holders) expect(await product.delivered(openid)).toHaveLength(1)
  })

  it('answers IDEMPOTENCY_MISMATCH for the same key with other content, and writes nothing', async () => {
    await holdersOf(EVENT, 3)
    const request = { action: 'broadcast', templateId: EVENT, data: exampleData(EVENT), idempotencyKey: `launch-${newOpenid('k')}` }
    const { campaignId } = await product.send(request)
    const before = await records()
    for (const other of [
      { ...request, data: { ...exampleData(EVENT), thing1: '另一场活动' } },
      { ...request, page: 'pages/index/index' },
      { ...request, lang: 'en_US' },
      { ...request, templateId: ORDER, data: exampleData(ORDER) },
    ]) {
      expect(await product.send(other)).toEqual({ ok: false, code: 'IDEMPOTENCY_MISMATCH', message: expect.any(String), campaignId })
    }
    expect(await records()).toEqual(before)
    await drain(campaignId)
  })

  it('stops when cancelled: what is still queued is cancelled, and nothing goes out', async () => {
    const holders = await holdersOf(ORDER, 5)
    const { campaignId } = await product.send({ action: 'broadcast', templateId: ORDER, data: exampleData(ORDER) })
    const queued = await product.send({ action: 'campaign', campaignId })
    expect(queued).toMatchObject({ status: 'queued', queued: queued.total, cancelled: 0 })
    expect(queued.total).toBeGreaterThanOrEqual(holders.length)
    expect(await product.send({ action: 'campaign', campaignId, cancel: true })).toEqual({ ok: true, campaignId, status: 'cancelled', cancelled: queued.total })
    await tick()
    for (const openid of holders) expect(await product.delivered(openid)).toEqual([])
    expect(await product.send({ action: 'campaign', campaignId })).toMatchObject({
      ok: true,
      status: 'cancelled',
      total: queued.total,
      queued: 0,
      sent: 0,
      cancelled: queued.total,
    })
    // The grants were never touched: the holders still hold them.
    for (const openid of holders) expect((await product.ledger(openid, ORDER)).available).toBe(1)
  })

  it('refuses a cancel that is not exactly true, or of an unknown campaign', async () => {
    const { campaignId } = await product.send({ action: 'broadcast', templateId: ORDER, data: exampleData(ORDER) })
    for (const cancel of [false, 'true', 1, null, { $eq: true }]) {
      expect(await product.send({ action: 'campaign', campaignId, cancel })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', field: 'cancel' })
    }
    expect((await product.send({ action: 'campaign', campaignId })).status).not.toBe('cancelled')
    expect(await product.send({ action: 'campaign', campaignId: 'cmp_missing', cancel: true })).toMatchObject({ ok: false, code: 'NOT_FOUND' })
    expect(await product.send({ action: 'campaign', campaignId, cancel: true }, { openid: newOpenid('oB') })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect((await product.send({ action: 'campaign', campaignId })).status).not.toBe('cancelled')
    expect(await product.send({ action: 'campaign', campaignId, cancel: true })).toMatchObject({ ok: true, status: 'cancelled' })
  })
})
