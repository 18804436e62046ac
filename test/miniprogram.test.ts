// @vitest-environment jsdom
/**
 * The mini-program end to end, every page rendered through its real WXML by
 * miniprogram-simulate with the subscribe buttons inside, against the
 * project's functions in the emulator, judged by WeChat's oracle; through
 * wx.cloud, and over HTTP access with a session from a code login. What a
 * user reads is asserted as shown, and is Chinese.
 */
import { describe, expect, it } from 'vitest'
import type { RenderedComponent } from 'miniprogram-simulate'
import { signSession } from '../src/session/token'
import { SESSION_SECRET, httpProductArgs } from './support/http'
import { MiniProgram, type Mode } from './support/miniprogram'
import { child, englishShown, heldOn, openPage, render, showAgain, tap, textOf, textsOf } from './support/render'
import { APPOINTMENT, CLASS, EVENT, newOpenid, useProduct } from './support/product'

/** A user's queue cap small enough for a page to reach (the platform's default is 50). */
const QUEUE_CAP = 2
const { emulator, product } = useProduct(httpProductArgs(['--no-timers', '--time-travel', '--max-instances', '20', '--function-env', `send:QUEUE_MAX_PENDING_PER_USER=${QUEUE_CAP}`]))

const ONE_TIME_ZERO = { 预约提醒: '剩余 0 次', 订单发货通知: '剩余 0 次', 活动开始提醒: '剩余 0 次', 停车缴费提醒: '剩余 0 次' }
const ONE_TIME_ONE = { 预约提醒: '剩余 1 次', 订单发货通知: '剩余 1 次', 活动开始提醒: '剩余 1 次', 停车缴费提醒: '剩余 1 次' }

/** Types into a rendered input as a user does. */
const type = (page: RenderedComponent, selector: string, value: string) => page.querySelector(selector)!.dispatchEvent('input', { detail: { value } })

describe.each<Mode>(['cloud', 'http'])('the mini-program (%s)', (mode) => {
  function user(): MiniProgram {
    const app = new MiniProgram(emulator, newOpenid('oMini'), mode)
    app.launch()
    return app
  }

  it('a tap, the popup accepted, the result recorded, a reminder scheduled and delivered, the count shown', async () => {
    const app = user()
    const home = await openPage(app, 'pages/index/index')
    expect(textOf(home, '.signed-in')).toBe(`已登录：${app.openid}`)

    const subscriptions = await openPage(app, 'pages/subscriptions/subscriptions')
    const oneTime = child(subscriptions, 'one-time')
    expect(heldOn(oneTime)).toEqual(ONE_TIME_ZERO)
    expect(heldOn(child(subscriptions, 'long-term'))).toEqual({ 课程上课提醒: '未开启' })
    expect(textOf(subscriptions, '.next')).toBeUndefined()
    await tap(app, oneTime, '.subscribe-button')
    expect(textOf(oneTime, '.notice')).toBe('订阅成功。')
    expect(heldOn(oneTime)).toEqual(ONE_TIME_ONE)
    expect(await product.oracleQuota(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })
    // The page reacts to the button's result: a self-service template accepted, the reminder page is next.
    await tap(app, subscriptions, '.next .open-reminder')
    expect(app.navigations).toEqual(['/pages/reminder/reminder'])

    const reminder = await openPage(app, 'pages/reminder/reminder')
    expect(heldOn(child(reminder, 'subscribe'))).toEqual({ 预约提醒: '剩余 1 次' })
    type(reminder, '.what', '复查牙齿')
    await tap(app, reminder, '.schedule')
    expect(textOf(reminder, '.error')).toBeUndefined()
    expect(textsOf(reminder, '.when')).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d · 待发送$/)])
    expect(await product.delivered(app.openid)).toEqual([])

    const fired = await emulator.trigger('send', new Date(Date.now() + 2 * 60_000).toISOString())
    expect(fired.status).toBe(200)
    const [message] = await product.delivered(app.openid)
    expect(message).toMatchObject({ template_id: APPOINTMENT, page: 'pages/subscriptions/subscriptions' })
    expect(message.data.thing1).toEqual({ value: '复查牙齿' })

    await showAgain(app, subscriptions)
    expect(heldOn(oneTime)).toEqual({ ...ONE_TIME_ONE, 预约提醒: '剩余 0 次' })
    await showAgain(app, reminder)
    expect(textOf(reminder, '.empty')).toBe('没有待发送的提醒')
    for (const page of [home, subscriptions, reminder]) expect(englishShown(page)).toEqual([])
    // Each mode took its own way: no wx.request through wx.cloud; over HTTP, one login and every call after it.
    if (mode === 'cloud') expect(app.requests).toEqual([])
    else expect(app.requests.filter((r) => r.endsWith('/login'))).toEqual(['200 /login'])
    if (mode === 'http') expect(app.requests).toContain('200 /send')
  })

  it('one reminder per appointment: scheduling again replaces it, the queue shows it, and a tap cancels it', async () => {
    const app = user()
    await openPage(app, 'pages/index/index')
    const reminder = await openPage(app, 'pages/reminder/reminder')
    expect(textOf(reminder, '.empty')).toBe('没有待发送的提醒')
    type(reminder, '.appointment', '42')
    type(reminder, '.what', '第一次')
    await tap(app, reminder, '.schedule')
    expect(textOf(reminder, '.replaced')).toBeUndefined()
    const first = reminder.instance.data.scheduled
    type(reminder, '.what', '第二次')
    await tap(app, reminder, '.schedule')
    expect(textOf(reminder, '.replaced')).toBe('已替换同一预约之前的提醒')
    expect(app.toasts).toContain('提醒已更新')
    expect(textsOf(reminder, '.when')).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d · 待发送$/)])
    expect((await product.send({ action: 'get', messageId: first })).message.status).toBe('superseded')
    // The queue's own cancel, then a second tap on a copy of it: the function's refusal, in the words of lib/words.ts.
    const second = reminder.instance.data.scheduled
    await tap(app, reminder, '.cancel')
    expect(app.toasts).toContain('已取消')
    expect(textOf(reminder, '.empty')).toBe('没有待发送的提醒')
    await reminder.instance.cancel({ currentTarget: { dataset: { id: second } } })
    await app.idle()
    expect(textOf(reminder, '.error')).toBe('这条提醒已在发送或已发出，不能取消。')
    expect(englishShown(reminder)).toEqual([])
    expect((await emulator.trigger('send', new Date(Date.now() + 2 * 60_000).toISOString())).status).toBe(200)
    expect(await product.delivered(app.openid)).toEqual([])
  })

  it('a full queue is said with its limit, in Chinese, and a cancel makes room', async () => {
    const app = user()
    await openPage(app, 'pages/index/index')
    const reminder = await openPage(app, 'pages/reminder/reminder')
    for (let appointment = 1; appointment <= QUEUE_CAP; appointment++) {
      type(reminder, '.appointment', String(appointment))
      await tap(app, reminder, '.schedule')
    }
    expect(textsOf(reminder, '.when')).toHaveLength(QUEUE_CAP)
    type(reminder, '.appointment', '99')
    await tap(app, reminder, '.schedule')
    expect(textOf(reminder, '.error')).toBe(`待发送的提醒已达上限（${QUEUE_CAP} 条），请先取消一些。`)
    expect(englishShown(reminder)).toEqual([])
    await tap(app, reminder, '.cancel')
    await tap(app, reminder, '.schedule')
    expect(textOf(reminder, '.error')).toBeUndefined()
    expect(textsOf(reminder, '.when')).toHaveLength(QUEUE_CAP)
  })

  it('a report lost to the network is kept on the phone and sent again, so the ledger catches up with WeChat, once', async () => {
    const app = user()
    const page = await openPage(app, 'pages/subscriptions/subscriptions')
    const oneTime = child(page, 'one-time')
    app.offline.add('subscribe-record')
    await tap(app, oneTime, '.subscribe-button')
    expect(textOf(oneTime, '.notice')).toBe('网络不佳，订阅结果已保存在手机上，稍后自动同步。')
    expect(await product.oracleQuota(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 0 })
    app.offline.clear()
    await showAgain(app, page)
    expect(heldOn(oneTime)).toEqual(ONE_TIME_ONE)
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })
    // Nothing left to send: showing the page again changes nothing.
    await showAgain(app, page)
    expect(await product.grant(app.openid, APPOINTMENT)).toMatchObject({ available: 1, uncertain: 0 })
  })

  it('asks only from a tap', async () => {
    const app = user()
    const page = await openPage(app, 'pages/subscriptions/subscriptions')
    const oneTime = child(page, 'one-time')
    // The popup asked for outside a user's tap, as a page's onShow would: WeChat refuses with 10005.
    oneTime.instance.onTap()
    await app.idle()
    expect(textOf(oneTime, '.notice')).toBe('请点击按钮来订阅。')
    expect(await product.oracleQuota(app.openid, APPOINTMENT)).toMatchObject({ available: 0 })
  })

  it('explains a reject and a ban', async () => {
    const app = user()
    app.choose = (id) => (id === APPOINTMENT ? 'reject' : id === EVENT ? 'ban' : 'accept')
    const page = await openPage(app, 'pages/subscriptions/subscriptions')
    const oneTime = child(page, 'one-time')
    await tap(app, oneTime, '.subscribe-button')
    expect(textOf(oneTime, '.notice')).toBe('「活动开始提醒」已被停用，暂时无法订阅。你拒绝了「预约提醒」，需要时可以再点一次订阅。')
    expect(heldOn(oneTime)).toEqual({ ...ONE_TIME_ONE, 预约提醒: '剩余 0 次', 活动开始提醒: '剩余 0 次' })
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 0, status: 'reject' })
    // A self-service template was rejected and the other was banned: the page offers no reminder.
    expect(textOf(page, '.next')).toBeUndefined()
  })

  it('explains a main switch that is off, and subscribes once it is turned on in the settings', async () => {
    const app = user()
    await emulator.request('PUT', '/_emulator/wechat/settings', { openid: app.openid, mainSwitch: false })
    const page = await openPage(app, 'pages/subscriptions/subscriptions')
    const longTerm = child(page, 'long-term')
    expect(textOf(longTerm, '.sheet-title')).toBe('订阅消息已关闭')
    await tap(app, longTerm, '.subscribe-button')
    expect(textOf(longTerm, '.sheet-title')).toBe('订阅消息已关闭')
    expect(await product.ledger(app.openid, CLASS)).toMatchObject({ status: 'none' })
    app.inSettings = async () => {
      await emulator.request('PUT', '/_emulator/wechat/settings', { openid: app.openid, mainSwitch: true })
    }
    await tap(app, longTerm, '.sheet-action')
    expect(textOf(longTerm, '.sheet-title')).toBeUndefined()
    await tap(app, longTerm, '.subscribe-button')
    expect(heldOn(longTerm)).toEqual({ 课程上课提醒: '已开启' })
    expect(englishShown(page)).toEqual([])
  })

  it('shows "always keep" choices from getSetting', async () => {
    const app = user()
    await emulator.request('POST', '/_emulator/wechat/subscribe', { openid: app.openid, choices: { [CLASS]: 'accept' }, keep: true })
    const page = await openPage(app, 'pages/subscriptions/subscriptions')
    expect(textOf(child(page, 'long-term'), '.kept')).toBe('你对「课程上课提醒」选择了总是接收：点订阅不会弹出窗口，提醒保持开启。')
    expect(textOf(child(page, 'one-time'), '.kept')).toBeUndefined()
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
    const home = await openPage(app, 'pages/index/index')
    expect(textOf(home, '.signed-in')).toBe(`已登录：${app.openid}`)
    expect(textOf(home, '.error')).toBeUndefined()
    await openPage(app, 'pages/subscriptions/subscriptions')
    expect(app.codes).toHaveLength(1)
    // One status read per subscribe button.
    expect(app.requests).toEqual(['200 /login', '200 /subscribe-record', '200 /subscribe-record'])
    expect(app.storage.get('session')).toEqual(expect.any(String))
  })

  it('logs in again when its session has expired (401), and the call goes through', async () => {
    const app = user()
    app.storage.set('session', signSession({ openid: app.openid, expiresAt: Date.now() - 1000 }, SESSION_SECRET))
    const page = render(app, 'components/subscribe-button/subscribe-button', { templates: [APPOINTMENT] })
    await app.idle()
    expect(app.requests).toEqual(['401 /subscribe-record', '200 /login', '200 /subscribe-record'])
    expect(heldOn(page)).toEqual({ 预约提醒: '剩余 0 次' })
    await tap(app, page, '.subscribe-button')
    expect(textOf(page, '.notice')).toBe('订阅成功。')
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })
    expect(app.codes).toHaveLength(1)
  })

  it('a report whose login failed stays on the phone, and goes when a login succeeds', async () => {
    const app = user()
    const page = await openPage(app, 'pages/subscriptions/subscriptions')
    const oneTime = child(page, 'one-time')
    app.storage.delete('session')
    app.offline.add('login')
    await tap(app, oneTime, '.subscribe-button')
    expect(textOf(oneTime, '.notice')).toBe('网络不佳，订阅结果已保存在手机上，稍后自动同步。')
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 0 })
    app.offline.clear()
    await showAgain(app, page)
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })
    expect(heldOn(oneTime)).toEqual(ONE_TIME_ONE)
  })

  it('tells the user, in Chinese, when the login fails', async () => {
    const app = user()
    await emulator.request('PUT', `/_emulator/wechat/users/${app.openid}/blocked`, { blocked: true })
    const home = await openPage(app, 'pages/index/index')
    expect(textOf(home, '.signed-in')).toBeUndefined()
    expect(textOf(home, '.error')).toBe('登录没有成功：你的微信账号暂时无法登录，请稍后再试。')
    expect(englishShown(home)).toEqual([])
  })
})
