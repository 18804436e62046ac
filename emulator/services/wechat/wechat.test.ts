/**
 * The emulator's WeChat, judged through its own routes and through cloud
 * calls made by bundled functions with the real SDK.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { CLASS, ORDER, classData, newUser, orderData, useWechat } from './harness'

const { emulator, subscribe, send, quota, messages } = useWechat()

describe('the done-when scenario', () => {
  it('one accept, two server sends: one message delivered and one 43101', async () => {
    const openid = newUser()
    expect((await subscribe(openid, { [ORDER]: 'accept' })).body).toEqual({ errMsg: 'requestSubscribeMessage:ok', [ORDER]: 'accept' })
    const first = await send({ touser: openid, templateId: ORDER, data: orderData })
    const second = await send({ touser: openid, templateId: ORDER, data: orderData })
    expect(first.ok).toMatchObject({ errCode: 0, errMsg: 'openapi.subscribeMessage.send:ok', msgid: expect.stringMatching(/^\d{19}$/) })
    expect(second.error.errCode).toBe(43101)
    const delivered = await messages(openid)
    expect(delivered).toEqual([
      {
        touser: openid,
        template_id: ORDER,
        page: null,
        data: orderData,
        miniprogram_state: 'formal',
        lang: 'zh_CN',
        msgid: first.ok.msgid,
        sentAt: expect.any(String),
      },
    ])
    expect(await quota(openid, ORDER)).toEqual({ available: 0, kind: 'one-time', status: 'accept' })
  })
})

describe('the popup', () => {
  it.each([
    ['empty', {}, 10001],
    ['an unknown id', { NOPE: 'accept' }, 20001],
    ['one-time and long-term mixed', { [ORDER]: 'accept', [CLASS]: 'accept' }, 20002],
    ['more than 5', { ONE_TIME_ORDER: 'accept', ONE_TIME_A: 'accept', ONE_TIME_B: 'accept', ONE_TIME_C: 'accept', ONE_TIME_D: 'accept', ONE_TIME_ORDER_TWIN: 'accept' }, 20003],
  ])('fails for %s', async (_name, choices, errCode) => {
    const openid = newUser()
    const reply = await subscribe(openid, choices as Record<string, string>)
    expect(reply.status).toBe(400)
    expect(reply.body.errCode).toBe(errCode)
    expect(reply.body.errMsg).toMatch(/^requestSubscribeMessage:fail /)
    expect(await quota(openid, ORDER)).toMatchObject({ available: 0, status: 'none' })
  })

  it('fails with 20004 when the main switch is off, and works again when it is on', async () => {
    const openid = newUser()
    await emulator.request('PUT', '/_emulator/wechat/settings', { openid, mainSwitch: false })
    expect((await subscribe(openid, { [ORDER]: 'accept' })).body.errCode).toBe(20004)
    expect((await emulator.request('GET', `/_emulator/wechat/settings?openid=${openid}`)).body.subscriptionsSetting.mainSwitch).toBe(false)
    await emulator.request('PUT', '/_emulator/wechat/settings', { openid, mainSwitch: true })
    expect((await subscribe(openid, { [ORDER]: 'accept' })).status).toBe(200)
  })

  it('filters a template whose title repeats another in the same call', async () => {
    const openid = newUser()
    const reply = await subscribe(openid, { ONE_TIME_ORDER: 'accept', ONE_TIME_ORDER_TWIN: 'accept', ONE_TIME_A: 'reject' })
    expect(reply.body).toEqual({ errMsg: 'requestSubscribeMessage:ok', ONE_TIME_ORDER: 'accept', ONE_TIME_ORDER_TWIN: 'filter', ONE_TIME_A: 'reject' })
    expect((await quota(openid, 'ONE_TIME_ORDER_TWIN')).available).toBe(0)
    expect(await quota(openid, 'ONE_TIME_A')).toEqual({ available: 0, kind: 'one-time', status: 'reject' })
  })

  it('refuses a choice that is not accept, reject or ban', async () => {
    expect((await subscribe(newUser(), { [ORDER]: 'maybe' })).status).toBe(400)
  })

  it('keeps "always keep this choice": reported by getSetting, and given again without asking', async () => {
    const openid = newUser()
    await subscribe(openid, { [ORDER]: 'accept' }, true)
    const settings = (await emulator.request('GET', `/_emulator/wechat/settings?openid=${openid}`)).body
    expect(settings).toEqual({ errMsg: 'getSetting:ok', authSetting: {}, subscriptionsSetting: { mainSwitch: true, itemSettings: { [ORDER]: 'accept' } } })
    const again = await subscribe(openid, { [ORDER]: 'reject' })
    expect(again.body[ORDER]).toBe('accept')
    expect((await quota(openid, ORDER)).available).toBe(2)
  })

  it("changes a kept choice as the settings page does, and only a kept template's", async () => {
    const openid = newUser()
    await subscribe(openid, { [ORDER]: 'reject' }, true)
    const put = (body: Record<string, unknown>) => emulator.request('PUT', '/_emulator/wechat/settings', { openid, ...body })
    expect((await put({ itemSettings: { [ORDER]: 'accept' } })).body.subscriptionsSetting.itemSettings).toEqual({ [ORDER]: 'accept' })
    // Kept as accept now: the popup answers accept without asking.
    expect((await subscribe(openid, { [ORDER]: 'reject' })).body[ORDER]).toBe('accept')
    expect((await put({ itemSettings: { ONE_TIME_A: 'accept' } })).status).toBe(400)
    expect((await put({ itemSettings: { [ORDER]: 'maybe' } })).status).toBe(400)
    expect((await put({})).status).toBe(400)
    expect((await emulator.request('GET', `/_emulator/wechat/settings?openid=${openid}`)).body.subscriptionsSetting.itemSettings).toEqual({ [ORDER]: 'accept' })
  })
})

describe('quota', () => {
  it('adds one send per one-time accept, and a reject keeps what was granted', async () => {
    const openid = newUser()
    for (let i = 0; i < 3; i++) await subscribe(openid, { [ORDER]: 'accept' })
    await subscribe(openid, { [ORDER]: 'reject' })
    expect(await quota(openid, ORDER)).toEqual({ available: 3, kind: 'one-time', status: 'reject' })
    for (let i = 0; i < 3; i++) expect((await send({ touser: openid, templateId: ORDER, data: orderData })).ok).toBeDefined()
    expect((await send({ touser: openid, templateId: ORDER, data: orderData })).error.errCode).toBe(43101)
  })

  it('lets a long-term accept send many times, until a reject', async () => {
    const openid = newUser()
    await subscribe(openid, { [CLASS]: 'accept' })
    for (let i = 0; i < 4; i++) expect((await send({ touser: openid, templateId: CLASS, data: classData })).ok).toBeDefined()
    expect(await quota(openid, CLASS)).toEqual({ available: 1, kind: 'long-term', status: 'accept' })
    await subscribe(openid, { [CLASS]: 'reject' })
    expect((await send({ touser: openid, templateId: CLASS, data: classData })).error.errCode).toBe(43101)
    expect((await messages(openid)).length).toBe(4)
  })

  it('answers 43107 for a banned template', async () => {
    const openid = newUser()
    await subscribe(openid, { [ORDER]: 'accept' })
    await subscribe(openid, { [ORDER]: 'ban' })
    expect((await send({ touser: openid, templateId: ORDER, data: orderData })).error.errCode).toBe(43107)
  })

  it('equals an independent count over random sequences of accepts, rejects and sends', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('popup' as const), choice: fc.constantFrom('accept', 'reject', 'accept') }),
      fc.record({ kind: fc.constant('send' as const) }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const openid = newUser()
        await emulator.call('echo', {}, { openid })
        let expected = 0
        let delivered = 0
        for (const s of steps) {
          if (s.kind === 'popup') {
            await subscribe(openid, { ONE_TIME_A: s.choice })
            if (s.choice === 'accept') expected += 1
          } else {
            const reply = await send({ touser: openid, templateId: 'ONE_TIME_A', data: { thing1: { value: '事项' }, date2: { value: '2026-12-01' } } })
            if (expected > 0) {
              expect(reply.ok).toBeDefined()
              expected -= 1
              delivered += 1
            } else {
              expect(reply.error.errCode).toBe(43101)
            }
          }
        }
        expect((await quota(openid, 'ONE_TIME_A')).available).toBe(expected)
        expect((await messages(openid)).length).toBe(delivered)
      }),
      { numRuns: 25 },
    )
  })
})

describe('send rules', () => {
  let openid: string
  beforeAll(async () => {
    openid = newUser()
    await subscribe(openid, { [ORDER]: 'accept' })
  })

  it.each([
    ['an unknown template', { templateId: 'NOPE', data: orderData }, 40037, /invalid template_id/],
    ['a missing keyword', { data: { thing1: { value: 'x' }, character_string2: { value: 'SO' } } }, 47003, /data\.enum3\.value is empty/],
    ['an extra keyword', { data: { ...orderData, thing9: { value: 'x' } } }, 47003, /data\.thing9/],
    ['a thing over 20 characters', { data: { ...orderData, thing1: { value: '一二三四五六七八九十一二三四五六七八九十一' } } }, 47003, /argument invalid! data\.thing1\.value invalid/],
    ['a value not in the enum', { data: { ...orderData, enum3: { value: '丢失' } } }, 47003, /data\.enum3\.value invalid/],
    ['a character_string with Chinese', { data: { ...orderData, character_string2: { value: '订单1' } } }, 47003, /data\.character_string2\.value invalid/],
    ['a value that is not a string', { data: { ...orderData, thing1: { value: 5 } } }, 47003, /data\.thing1\.value invalid/],
    ['a page not in app.json', { data: orderData, page: 'pages/nowhere/index' }, 41030, /invalid page/],
    ['an invalid miniprogram_state', { data: orderData, miniprogramState: 'beta' }, 47003, /miniprogram_state/],
    ['an invalid lang', { data: orderData, lang: 'fr_FR' }, 47003, /lang/],
  ])('refuses %s', async (_name, request, errCode, errMsg) => {
    const reply = await send({ touser: openid, templateId: ORDER, ...request })
    expect(reply.error.errCode).toBe(errCode)
    expect(reply.error.errMsg).toMatch(errMsg)
    expect((await quota(openid, ORDER)).available).toBe(1)
  })

  it('refuses an openid the app never issued with 40003', async () => {
    expect((await send({ touser: 'oNeverSeen', templateId: ORDER, data: orderData })).error.errCode).toBe(40003)
  })

  it('counts an openid that called a function as one of the app', async () => {
    const caller = newUser()
    await emulator.call('echo', {}, { openid: caller })
    expect((await send({ touser: caller, templateId: ORDER, data: orderData })).error.errCode).toBe(43101)
  })

  it('delivers with a page, query included, state and lang', async () => {
    const user = newUser()
    await subscribe(user, { [ORDER]: 'accept' })
    const reply = await send({ touser: user, templateId: ORDER, data: orderData, page: 'pages/order/detail?id=7', miniprogramState: 'trial', lang: 'en_US' })
    expect(reply.ok.msgid).toMatch(/^\d{19}$/)
    expect(await messages(user)).toEqual([expect.objectContaining({ page: 'pages/order/detail?id=7', miniprogram_state: 'trial', lang: 'en_US' })])
  })

  it('answers 43108 to a send while another to the same user is in flight', async () => {
    const user = newUser()
    await subscribe(user, { [ORDER]: 'accept' })
    await subscribe(user, { [ORDER]: 'accept' })
    // Long enough that the two overlap even when their instances start one after the other.
    await emulator.request('PUT', '/_emulator/wechat/faults', { latencyMs: 1500 })
    const replies = await Promise.all([0, 1].map(() => send({ touser: user, templateId: ORDER, data: orderData })))
    expect(replies.map((r) => r.ok?.errCode ?? r.error.errCode).sort()).toEqual([0, 43108])
    expect((await quota(user, ORDER)).available).toBe(1)
  })
})

describe('faults', () => {
  it('answers the injected error and spends no quota', async () => {
    const user = newUser()
    await subscribe(user, { [ORDER]: 'accept' })
    await emulator.request('PUT', '/_emulator/wechat/faults', { errcode: -1 })
    expect((await send({ touser: user, templateId: ORDER, data: orderData })).error.errCode).toBe(-1)
    expect((await quota(user, ORDER)).available).toBe(1)
    await emulator.request('DELETE', '/_emulator/wechat/faults')
    expect((await send({ touser: user, templateId: ORDER, data: orderData })).ok).toBeDefined()
  })

  it('delivers before answering the error for the share deliverFirst says', async () => {
    const user = newUser()
    await subscribe(user, { [ORDER]: 'accept' })
    await subscribe(user, { [ORDER]: 'accept' })
    await emulator.request('PUT', '/_emulator/wechat/faults', { errcode: -1, deliverFirst: 1 })
    expect((await send({ touser: user, templateId: ORDER, data: orderData })).error.errCode).toBe(-1)
    expect(await messages(user)).toHaveLength(1)
    expect((await quota(user, ORDER)).available).toBe(1)
    await emulator.request('PUT', '/_emulator/wechat/faults', { errcode: -1, deliverFirst: 0 })
    expect((await send({ touser: user, templateId: ORDER, data: orderData })).error.errCode).toBe(-1)
    expect(await messages(user)).toHaveLength(1)
    expect((await emulator.request('PUT', '/_emulator/wechat/faults', { deliverFirst: 2 })).status).toBe(400)
    await emulator.request('DELETE', '/_emulator/wechat/faults')
  })

  it('repeats the same draws for the same seed', async () => {
    const outcomes = async () => {
      const user = newUser()
      for (let i = 0; i < 12; i++) await subscribe(user, { [ORDER]: 'accept' })
      await emulator.request('PUT', '/_emulator/wechat/faults', { errcode: 45009, rate: 0.5, seed: 42 })
      const codes: number[] = []
      for (let i = 0; i < 12; i++) {
        const reply = await send({ touser: user, templateId: ORDER, data: orderData })
        codes.push(reply.ok ? 0 : reply.error.errCode)
      }
      return codes
    }
    const first = await outcomes()
    expect(first).toContain(0)
    expect(first).toContain(45009)
    expect(await outcomes()).toEqual(first)
  })

  it('refuses bad fault settings', async () => {
    expect((await emulator.request('PUT', '/_emulator/wechat/faults', { rate: 2 })).status).toBe(400)
    expect((await emulator.request('PUT', '/_emulator/wechat/faults', { nonsense: 1 })).status).toBe(400)
    expect((await emulator.request('PUT', '/_emulator/wechat/faults', { latencyByUser: { oX: -1 } })).status).toBe(400)
    expect((await emulator.request('PUT', '/_emulator/wechat/faults', { latencyByUser: ['oX'] })).status).toBe(400)
  })

  it('answers one recipient slowly and the others at once, as latencyByUser says', async () => {
    const [slow, quick] = [newUser(), newUser()]
    for (const user of [slow, quick]) await subscribe(user, { [ORDER]: 'accept' })
    await emulator.request('PUT', '/_emulator/wechat/faults', { latencyByUser: { [slow]: 2000 } })
    const started = Date.now()
    const slowReply = send({ touser: slow, templateId: ORDER, data: orderData })
    expect((await send({ touser: quick, templateId: ORDER, data: orderData })).ok?.errCode).toBe(0)
    // The quick one is answered while the slow one is still in flight: WeChat has delivered only it.
    const delivered = (await emulator.request('GET', '/_emulator/wechat/messages')).body.data.map((m: { touser: string }) => m.touser)
    expect(delivered).toContain(quick)
    expect(delivered).not.toContain(slow)
    expect((await slowReply).ok?.errCode).toBe(0)
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000)
  })

  it('answers 45009 past the daily limit', async () => {
    const user = newUser()
    for (let i = 0; i < 3; i++) await subscribe(user, { [ORDER]: 'accept' })
    const today = (await emulator.request('GET', '/_emulator/wechat/messages')).body.data.length
    await emulator.request('PUT', '/_emulator/wechat/faults', { dailyLimit: today + 1 })
    expect((await send({ touser: user, templateId: ORDER, data: orderData })).ok).toBeDefined()
    expect((await send({ touser: user, templateId: ORDER, data: orderData })).error.errCode).toBe(45009)
    expect((await quota(user, ORDER)).available).toBe(2)
  })

  it('hangs: the caller times out, and the outcome at the oracle follows the seed', async () => {
    const delivered: boolean[] = []
    for (const seed of [1, 7, 2, 8]) {
      const user = newUser()
      await subscribe(user, { [ORDER]: 'accept' })
      await emulator.request('PUT', '/_emulator/wechat/faults', { hang: true, seed })
      const started = Date.now()
      const reply = await emulator.call('sender', { touser: user, templateId: ORDER, data: orderData })
      expect(reply.status).toBe(500)
      expect(reply.body.errMsg).toMatch(/timed out after 2 seconds/)
      expect(Date.now() - started).toBeLessThan(4000)
      delivered.push((await messages(user)).length === 1)
      expect((await quota(user, ORDER)).available).toBe(delivered.at(-1) ? 0 : 1)
    }
    expect(delivered).toContain(true)
    expect(delivered).toContain(false)
  }, 30_000)
})

