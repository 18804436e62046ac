// @vitest-environment jsdom
/**
 * The whole product once per transport to WeChat: under `cloud`, the
 * mini-program calls through wx.cloud and the functions send by cloud call;
 * under `https`, the mini-program logs in with wx.login's code and calls over
 * HTTP access with its session, and the functions send over WeChat's HTTPS
 * API with the shared access token. Each covers the mini-program's journey
 * (its pages rendered through their WXML),
 * a scheduled dispatch, a broadcast and a pushed event, judged by WeChat's
 * oracle, and the stats say which way each send went.
 */
import { describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../emulator/spawn'
import { until } from './support/emulator'
import { httpProductArgs } from './support/http'
import { MiniProgram, type Mode } from './support/miniprogram'
import { child, heldOn, openPage, showAgain, tap, textOf, textsOf } from './support/render'
import { APPOINTMENT, ORDER, exampleData, newOpenid, useProduct } from './support/product'

const SECRET = 'journey-app-secret-3e81d0'
const FUNCTIONS = ['login', 'subscribe-record', 'send', 'wechat-events']
const BASE = ['--no-timers', '--time-travel', '--max-instances', '20']

interface Transport {
  transport: 'cloud' | 'https'
  mode: Mode
  args: string[]
}

const TRANSPORTS: Transport[] = [
  { transport: 'cloud', mode: 'cloud', args: BASE },
  {
    transport: 'https',
    mode: 'http',
    args: [
      ...httpProductArgs(BASE),
      '--app-secret',
      SECRET,
      ...FUNCTIONS.flatMap((fn) => ['--function-env', `${fn}:WECHAT_TRANSPORT=https`, '--function-env', `${fn}:WECHAT_APP_SECRET=${SECRET}`]),
    ],
  },
]

const stats = async (emulator: RunningEmulator): Promise<{ tokenFetches: { stable_token: number; token: number }; sends: { https: number; cloud: number } }> =>
  (await emulator.request('GET', '/_emulator/stats')).body.wechat

/** Pushed events are applied asynchronously: wait until none is pending, and none failed. */
async function eventsSettled(emulator: RunningEmulator): Promise<void> {
  const events = await until(
    async () => (await emulator.request('GET', '/_emulator/wechat/events')).body.data as Array<{ outcome: string }>,
    (all) => all.every((event) => event.outcome !== 'pending'),
    'the pushed events handled',
  )
  expect(events.filter((event) => event.outcome === 'failed')).toEqual([])
}

describe.each(TRANSPORTS)('the journey with transport $transport', ({ transport, mode, args }) => {
  const { emulator, product } = useProduct(args)
  const other: Transport['transport'] = transport === 'cloud' ? 'https' : 'cloud'

  it('a user subscribes from the mini-program, schedules a reminder, and the timer delivers it', async () => {
    const app = new MiniProgram(emulator, newOpenid('oJ'), mode)
    app.launch()
    const home = await openPage(app, 'pages/index/index')
    expect(textOf(home, '.signed-in')).toBe(`已登录：${app.openid}`)
    const subscriptions = await openPage(app, 'pages/subscriptions/subscriptions')
    const oneTime = child(subscriptions, 'one-time')
    await tap(app, oneTime, '.subscribe-button')
    expect(textOf(oneTime, '.notice')).toBe('订阅成功。')
    expect(heldOn(oneTime)['预约提醒']).toBe('剩余 1 次')
    expect(await product.oracleQuota(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })

    const reminder = await openPage(app, 'pages/reminder/reminder')
    reminder.querySelector('.what')!.dispatchEvent('input', { detail: { value: '取快递' } })
    await tap(app, reminder, '.schedule')
    expect(textOf(reminder, '.error')).toBeUndefined()
    expect(textsOf(reminder, '.when')).toHaveLength(1)
    expect(await product.delivered(app.openid)).toEqual([])

    const report = await product.tick(Date.now() + 2 * 60_000)
    expect(report).toMatchObject({ sent: 1, failed: 0 })
    const [message] = await product.delivered(app.openid)
    expect(message).toMatchObject({ template_id: APPOINTMENT })
    expect(message.data.thing1).toEqual({ value: '取快递' })
    await showAgain(app, subscriptions)
    expect(heldOn(oneTime)['预约提醒']).toBe('剩余 0 次')
    expect(await product.ledger(app.openid, APPOINTMENT)).toEqual(await product.oracleQuota(app.openid, APPOINTMENT))
    if (mode === 'http') expect(app.requests.filter((r) => r.endsWith('/login'))).toEqual(['200 /login'])
    else expect(app.requests).toEqual([])
  })

  it('a broadcast reaches every holder, through the timer', async () => {
    const holders = Array.from({ length: 6 }, () => newOpenid('oJ'))
    for (const openid of holders) await product.subscribe(openid, { [ORDER]: 'accept' })
    const { campaignId } = await product.send({ action: 'broadcast', templateId: ORDER, data: exampleData(ORDER) })
    expect(campaignId).toMatch(/^cmp_/)
    await product.tick(Date.now() + 1000)
    const campaign = await product.send({ action: 'campaign', campaignId })
    // Every holder of ORDER: these six, and the mini-program's user, whose one tap accepted it too.
    expect(campaign).toMatchObject({ total: 7, queued: 0, sent: 7, failed: 0, skipped: 0, unknown: 0 })
    for (const openid of holders) expect(await product.delivered(openid)).toHaveLength(1)
  })

  it("a pushed card reject reaches wechat-events and zeroes the user's grant, which a send then respects", async () => {
    const openid = newOpenid('oJ')
    await product.subscribe(openid, { [ORDER]: 'accept' })
    await product.subscribe(openid, { [ORDER]: 'accept' })
    expect((await emulator.request('POST', '/_emulator/wechat/reject', { openid, templateId: ORDER })).status).toBe(200)
    await eventsSettled(emulator)
    expect(await product.ledger(openid, ORDER)).toEqual({ available: 0, kind: 'one-time', status: 'reject' })
    expect(await product.ledger(openid, ORDER)).toEqual(await product.oracleQuota(openid, ORDER))
    expect(await product.send({ touser: openid, templateId: ORDER, data: exampleData(ORDER) })).toMatchObject({ ok: false, code: 'NO_QUOTA' })
    expect(await product.delivered(openid)).toEqual([])
  })

  it('no function left work running after its reply: nothing was frozen after return', async () => {
    const { frozenAfterReturn } = (await emulator.request('GET', '/_emulator/stats')).body
    expect(frozenAfterReturn).toEqual({})
  })

  it(`every send went by ${transport}, none by ${other}`, async () => {
    const { sends, tokenFetches } = await stats(emulator)
    // One reminder and seven broadcast messages.
    expect(sends[transport]).toBe(8)
    expect(sends[other]).toBe(0)
    expect(tokenFetches).toEqual({ stable_token: transport === 'https' ? 1 : 0, token: 0 })
  })
})
