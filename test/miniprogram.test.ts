/**
 * The mini-program end to end: its own page code in the simulated runtime,
 * against the project's functions in the emulator, judged by WeChat's oracle;
 * through wx.cloud, and over HTTP access with a session from a code login.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { signSession } from '../src/session/token'
import { SESSION_SECRET, httpProductArgs } from './support/http'
import { MiniProgram, type Mode } from './support/miniprogram'
import { buildMiniprogram } from './support/render-build'
import { APPOINTMENT, CLASS, EVENT, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct(httpProductArgs(['--no-timers', '--time-travel', '--max-instances', '20']))
beforeAll(async () => {
  await buildMiniprogram()
})

const row = (page: any, id: string) => page.data.rows.find((r: { id: string }) => r.id === id)

describe.each<Mode>(['cloud', 'http'])('the mini-program (%s)', (mode) => {
  function user(): MiniProgram {
    const app = new MiniProgram(emulator, newOpenid('oMini'), mode)
    app.launch()
    return app
  }

  it('a tap, the popup accepted, the result recorded, a reminder scheduled and delivered, the count shown', async () => {
    const app = user()
    const home = await app.open('pages/index/index')
    expect(home.data.openid).toBe(app.openid)

    const subscriptions = await app.open('pages/subscriptions/subscriptions')
    expect(row(subscriptions, APPOINTMENT)).toMatchObject({ available: 0, status: 'none' })
    await app.tap(subscriptions, 'subscribe', { kind: 'one-time' })
    expect(app.toasts).toContain('订阅成功')
    expect(row(subscriptions, APPOINTMENT)).toMatchObject({ available: 1, status: 'accept' })
    expect(row(subscriptions, EVENT).available).toBe(1)
    expect(await product.oracleQuota(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })

    const reminder = await app.open('pages/reminder/reminder')
    reminder.onWhat({ detail: { value: '复查牙齿' } })
    await app.tap(reminder, 'schedule')
    expect(reminder.data).toMatchObject({ error: '', scheduled: expect.stringMatching(/^msg_/) })
    expect(await product.delivered(app.openid)).toEqual([])

    const fired = await emulator.trigger('send', new Date(Date.now() + 2 * 60_000).toISOString())
    expect(fired.status).toBe(200)
    const [message] = await product.delivered(app.openid)
    expect(message).toMatchObject({ template_id: APPOINTMENT, page: 'pages/subscriptions/subscriptions' })
    expect(message.data.thing1).toEqual({ value: '复查牙齿' })

    await subscriptions.onShow()
    await app.idle()
    expect(row(subscriptions, APPOINTMENT)).toMatchObject({ available: 0, status: 'accept' })
    expect(row(subscriptions, EVENT).available).toBe(1)
    // Each mode took its own way: no wx.request through wx.cloud; over HTTP, one login and every call after it.
    if (mode === 'cloud') expect(app.requests).toEqual([])
    else expect(app.requests.filter((r) => r.endsWith('/login'))).toEqual(['200 /login'])
    if (mode === 'http') expect(app.requests).toContain('200 /send')
  })

  it('one reminder per appointment: scheduling again replaces it, the queue shows it, and a tap cancels it', async () => {
    const app = user()
    await app.open('pages/index/index')
    const reminder = await app.open('pages/reminder/reminder')
    expect(reminder.data.queue).toEqual([])
    reminder.onAppointment({ detail: { value: '42' } })
    reminder.onWhat({ detail: { value: '第一次' } })
    await app.tap(reminder, 'schedule')
    const first = reminder.data.scheduled
    reminder.onWhat({ detail: { value: '第二次' } })
    await app.tap(reminder, 'schedule')
    expect(reminder.data).toMatchObject({ replaced: 1, error: '' })
    expect(app.toasts).toContain('提醒已更新')
    expect(reminder.data.queue).toEqual([{ id: reminder.data.scheduled, when: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/), status: '待发送' }])
    expect((await product.send({ action: 'get', messageId: first })).message.status).toBe('superseded')
    await app.tap(reminder, 'cancel', { id: reminder.data.scheduled })
    expect(app.toasts).toContain('已取消')
    expect(reminder.data.queue).toEqual([])
    // The function's refusal, in the words of lib/words.ts, never its English message.
    await app.tap(reminder, 'cancel', { id: reminder.data.scheduled })
    expect(reminder.data.error).toBe('这条提醒已在发送或已发出，不能取消。')
    expect((await emulator.trigger('send', new Date(Date.now() + 2 * 60_000).toISOString())).status).toBe(200)
    expect(await product.delivered(app.openid)).toEqual([])
  })

  it('a report lost to the network is kept on the phone and sent again, so the ledger catches up with WeChat, once', async () => {
    const app = user()
    const page = await app.open('pages/subscriptions/subscriptions')
    app.offline.add('subscribe-record')
    await app.tap(page, 'subscribe', { kind: 'one-time' })
    expect(app.toasts).toContain('网络不佳，订阅结果稍后自动同步')
    expect(await product.oracleQuota(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 0 })
    app.offline.clear()
    await page.onShow()
    await app.idle()
    expect(row(page, APPOINTMENT)).toMatchObject({ available: 1, status: 'accept' })
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })
    // Nothing left to send: showing the page again changes nothing.
    await page.onShow()
    await app.idle()
    expect(await product.grant(app.openid, APPOINTMENT)).toMatchObject({ available: 1, uncertain: 0 })
  })

  it('asks only from a tap', async () => {
    const app = user()
    const page = await app.open('pages/subscriptions/subscriptions')
    await page.subscribe({ currentTarget: { dataset: { kind: 'one-time' } } })
    await app.idle()
    expect(app.toasts).toContain('订阅没有完成（10005）')
  })

  it('explains a reject and a ban', async () => {
    const app = user()
    app.choose = (id) => (id === APPOINTMENT ? 'reject' : id === EVENT ? 'ban' : 'accept')
    const page = await app.open('pages/subscriptions/subscriptions')
    await app.tap(page, 'subscribe', { kind: 'one-time' })
    const [modal] = app.modals
    expect(modal!.content).toMatch(/你拒绝了「预约提醒」/)
    expect(modal!.content).toMatch(/「活动开始提醒」已被封禁/)
    expect(row(page, APPOINTMENT)).toMatchObject({ available: 0, status: 'reject' })
  })

  it('explains a main switch that is off', async () => {
    const app = user()
    await emulator.request('PUT', '/_emulator/wechat/settings', { openid: app.openid, mainSwitch: false })
    const page = await app.open('pages/subscriptions/subscriptions')
    expect(page.data.mainSwitch).toBe(false)
    await app.tap(page, 'subscribe', { kind: 'long-term' })
    expect(app.modals[0]!.title).toBe('订阅消息已关闭')
    expect(await product.ledger(app.openid, CLASS)).toMatchObject({ status: 'none' })
  })

  it('shows "always keep" choices from getSetting', async () => {
    const app = user()
    await emulator.request('POST', '/_emulator/wechat/subscribe', { openid: app.openid, choices: { [CLASS]: 'accept' }, keep: true })
    const page = await app.open('pages/subscriptions/subscriptions')
    expect(row(page, CLASS).kept).toBe('accept')
  })
})

describe('the mini-program over HTTP access', () => {
  function user(): MiniProgram {
    const app = new MiniProgram(emulator, newOpenid('oMini'), 'http')
    app.launch()
    return app
  }

  it('logs in with wx.login once, then calls with its session', async () => {
    const app = user()
    const home = await app.open('pages/index/index')
    expect(home.data).toMatchObject({ openid: app.openid, error: '' })
    await app.open('pages/subscriptions/subscriptions')
    expect(app.codes).toHaveLength(1)
    expect(app.requests).toEqual(['200 /login', '200 /subscribe-record'])
    expect(app.storage.get('session')).toEqual(expect.any(String))
  })

  it('logs in again when its session has expired (401), and the call goes through', async () => {
    const app = user()
    app.storage.set('session', signSession({ openid: app.openid, expiresAt: Date.now() - 1000 }, SESSION_SECRET))
    const page = await app.open('pages/subscriptions/subscriptions')
    expect(app.requests).toEqual(['401 /subscribe-record', '200 /login', '200 /subscribe-record'])
    expect(row(page, APPOINTMENT)).toMatchObject({ available: 0, status: 'none' })
    await app.tap(page, 'subscribe', { kind: 'one-time' })
    expect(app.toasts).toContain('订阅成功')
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })
    expect(app.codes).toHaveLength(1)
  })

  it('a report whose login failed stays on the phone, and goes when a login succeeds', async () => {
    const app = user()
    const page = await app.open('pages/subscriptions/subscriptions')
    app.storage.delete('session')
    app.offline.add('login')
    await app.tap(page, 'subscribe', { kind: 'one-time' })
    expect(app.toasts).toContain('网络不佳，订阅结果稍后自动同步')
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 0 })
    app.offline.clear()
    await page.onShow()
    await app.idle()
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })
  })

  it('tells the user, in Chinese, when the login fails', async () => {
    const app = user()
    await emulator.request('PUT', `/_emulator/wechat/users/${app.openid}/blocked`, { blocked: true })
    const home = await app.open('pages/index/index')
    expect(home.data).toMatchObject({ openid: '', error: '登录失败（LOGIN_BLOCKED），请稍后再试' })
  })
})
