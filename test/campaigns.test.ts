/** Broadcast campaigns through `send`: every holder of a grant gets one message, and the campaign counts them. */
import { describe, expect, it } from 'vitest'
import { APPOINTMENT, ORDER, exampleData, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct()

const tick = async (time = Date.now() + 1000) => (await emulator.trigger('send', new Date(time).toISOString())).body.result

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
})
