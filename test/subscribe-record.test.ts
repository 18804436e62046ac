/** `subscribe-record` through the emulator: the ledger after the popup, as WeChat's oracle counts it. */
import { describe, expect, it } from 'vitest'
import { APPOINTMENT, CLASS, EVENT, ORDER, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct()

const record = (data: unknown, openid?: string) => emulator.result('subscribe-record', data, openid ? { openid } : undefined)

describe('subscribe-record', () => {
  it('adds one send per one-time accept and matches the oracle', async () => {
    const openid = newOpenid()
    const first = await product.subscribe(openid, { [APPOINTMENT]: 'accept', [ORDER]: 'reject' })
    expect(first.grants).toEqual({
      [APPOINTMENT]: { available: 1, kind: 'one-time', status: 'accept', uncertain: 0 },
      [ORDER]: { available: 0, kind: 'one-time', status: 'reject', uncertain: 0 },
    })
    await product.subscribe(openid, { [APPOINTMENT]: 'accept' })
    expect(await product.ledger(openid, APPOINTMENT)).toEqual(await product.oracleQuota(openid, APPOINTMENT))
    expect((await product.ledger(openid, APPOINTMENT)).available).toBe(2)
  })

  it('counts acceptWithAudio for one-time and acceptWithAlert for long-term; filter changes nothing', async () => {
    const openid = newOpenid()
    const reply = await record({ results: { errMsg: 'requestSubscribeMessage:ok', [APPOINTMENT]: 'acceptWithAudio', [EVENT]: 'filter' } }, openid)
    expect(reply.grants[APPOINTMENT]).toEqual({ available: 1, kind: 'one-time', status: 'accept', uncertain: 0 })
    expect(reply.grants[EVENT]).toEqual({ available: 0, kind: 'one-time', status: 'none', uncertain: 0 })
    const long = await record({ results: { [CLASS]: 'acceptWithAlert' } }, openid)
    expect(long.grants[CLASS]).toEqual({ available: 1, kind: 'long-term', status: 'accept', uncertain: 0 })
  })

  it('activates a long-term grant on accept and deactivates it on reject or ban', async () => {
    const openid = newOpenid()
    await product.subscribe(openid, { [CLASS]: 'accept' })
    expect(await product.ledger(openid, CLASS)).toEqual({ available: 1, kind: 'long-term', status: 'accept' })
    await product.subscribe(openid, { [CLASS]: 'reject' })
    expect(await product.ledger(openid, CLASS)).toEqual({ available: 0, kind: 'long-term', status: 'reject' })
    expect(await product.ledger(openid, CLASS)).toEqual(await product.oracleQuota(openid, CLASS))
    await product.subscribe(openid, { [CLASS]: 'accept' })
    await product.subscribe(openid, { [CLASS]: 'ban' })
    expect(await product.ledger(openid, CLASS)).toEqual({ available: 0, kind: 'long-term', status: 'ban' })
  })

  it('records ban for one-time and keeps what was granted', async () => {
    const openid = newOpenid()
    await product.subscribe(openid, { [APPOINTMENT]: 'accept' })
    await product.subscribe(openid, { [APPOINTMENT]: 'ban' })
    expect(await product.ledger(openid, APPOINTMENT)).toEqual({ available: 1, kind: 'one-time', status: 'ban' })
    expect(await product.ledger(openid, APPOINTMENT)).toEqual(await product.oracleQuota(openid, APPOINTMENT))
  })

  it('changes nothing when the same requestId is reported again, even concurrently', async () => {
    const openid = newOpenid()
    const popup = (await emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { [APPOINTMENT]: 'accept' } })).body
    const replies = await Promise.all(Array.from({ length: 6 }, () => record({ results: popup, requestId: 'req-1' }, openid)))
    expect(replies.every((r) => r.ok && r.grants[APPOINTMENT].available === 1)).toBe(true)
    expect((await product.collection('grant_reports')).filter((r) => r.openid === openid)).toHaveLength(1)
  })

  it('always records for the caller, whoever the data names', async () => {
    const openid = newOpenid()
    const other = newOpenid()
    // Naming a user is no field of the request: refused, and nothing is written for anyone.
    expect(await record({ results: { [APPOINTMENT]: 'accept' }, openid: other } as never, openid)).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', field: 'openid' })
    expect((await product.collection('grants')).some((g) => g.openid === other || g.openid === openid)).toBe(false)
    // The platform's userInfo names the caller, whatever the mini-program put there.
    const reply = await record({ results: { [APPOINTMENT]: 'accept' }, userInfo: { appId: 'wx0', openId: other } } as never, openid)
    expect(reply.grants[APPOINTMENT].available).toBe(1)
    expect((await product.collection('grants')).some((g) => g.openid === other)).toBe(false)
    expect((await product.collection('grants')).filter((g) => g.openid === openid)).toHaveLength(1)
  })

  it('reports status for given templates or all of the registry', async () => {
    const openid = newOpenid()
    await product.subscribe(openid, { [EVENT]: 'accept' })
    const all = await record({ action: 'status' }, openid)
    expect(Object.keys(all.grants)).toHaveLength(5)
    expect(all.grants[EVENT]).toEqual({ available: 1, kind: 'one-time', status: 'accept', uncertain: 0 })
    const one = await record({ action: 'status', templateIds: [EVENT] }, openid)
    expect(one.grants).toEqual({ [EVENT]: { available: 1, kind: 'one-time', status: 'accept', uncertain: 0 } })
  })

  it.each([
    ['results not an object', { results: 'accept' }],
    ['results an array', { results: [APPOINTMENT] }],
    ['an unknown template', { results: { NOT_A_TEMPLATE: 'accept' } }],
    ['an unknown outcome', { results: { [APPOINTMENT]: 'maybe' } }],
    ['more than 5 templates', { results: { a1: 'accept', a2: 'accept', a3: 'accept', a4: 'accept', a5: 'accept', a6: 'accept' } }],
    ['no template', { results: { errMsg: 'requestSubscribeMessage:ok' } }],
    ['an unknown field', { results: { [APPOINTMENT]: 'accept' }, extra: 1 }],
    ['an unknown action', { action: 'grant' }],
    ['a status of an unknown template', { action: 'status', templateIds: ['NOPE'] }],
  ])('refuses %s with INVALID_ARGUMENT, writing nothing', async (_name, data) => {
    const openid = newOpenid()
    const reply = await record(data, openid)
    expect(reply).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: expect.any(String) })
    expect((await product.collection('grants')).some((g) => g.openid === openid)).toBe(false)
  })

  it('refuses a server-side call with FORBIDDEN', async () => {
    expect(await record({ results: { [APPOINTMENT]: 'accept' } })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
  })
})
