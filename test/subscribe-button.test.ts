// @vitest-environment jsdom
/**
 * The subscribe button through its real WXML, rendered by miniprogram-simulate,
 * with a user's `wx` whose cloud calls and popups reach the emulator: what it
 * shows for every state the popup and WeChat's settings can be in, what a tap
 * does, and that everything a user reads is Chinese.
 */
import { describe, expect, it } from 'vitest'
import { MiniProgram } from './support/miniprogram'
import { englishShown, render, tap, textOf, textsOf } from './support/render'
import { APPOINTMENT, CLASS, EVENT, newOpenid, useProduct } from './support/product'

const BUTTON = 'components/subscribe-button/subscribe-button'
const { emulator, product } = useProduct(['--no-timers', '--max-instances', '20'])

function user(): MiniProgram {
  const app = new MiniProgram(emulator, newOpenid('oBtn'), 'cloud')
  app.launch()
  return app
}

/** Renders the button and waits for what it first shows. */
async function button(app: MiniProgram, templates: string[], text = '订阅提醒') {
  const component = render(app, BUTTON, { templates, text })
  await app.idle()
  return component
}

/** The user answers a popup outside the component, keeping the choice ("总是保持以上选择"). */
async function keep(app: MiniProgram, templateId: string, choice: 'accept' | 'reject') {
  const reply = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid: app.openid, choices: { [templateId]: choice }, keep: true })
  expect(reply.status).toBe(200)
}

describe('the subscribe button', () => {
  it('shows what the user holds, and a tap that is accepted is recorded and counted', async () => {
    const app = user()
    const component = await button(app, [APPOINTMENT, EVENT], '订阅预约提醒')
    expect(textOf(component, '.subscribe-button')).toBe('订阅预约提醒')
    expect(textsOf(component, '.title')).toEqual(['预约提醒', '活动开始提醒'])
    expect(textsOf(component, '.count')).toEqual(['剩余 0 次', '剩余 0 次'])
    const results: unknown[] = []
    component.instance.triggerEvent = ((original) =>
      function (this: unknown, name: string, detail: unknown) {
        if (name === 'result') results.push(detail)
        return original.call(this, name, detail)
      })(component.instance.triggerEvent)
    await tap(app, component, '.subscribe-button')
    await app.idle()
    expect(results).toEqual([{ accepted: [APPOINTMENT, EVENT], rejected: [], banned: [], kept: {} }])
    expect(textsOf(component, '.count')).toEqual(['剩余 1 次', '剩余 1 次'])
    expect(textOf(component, '.notice')).toBe('订阅成功。')
    expect(await product.ledger(app.openid, APPOINTMENT)).toEqual(await product.oracleQuota(app.openid, APPOINTMENT))
    expect(englishShown(component)).toEqual([])
  })

  it('a long-term template shows on or off', async () => {
    const app = user()
    const component = await button(app, [CLASS])
    expect(textsOf(component, '.count')).toEqual(['未开启'])
    await tap(app, component, '.subscribe-button')
    await app.idle()
    expect(textsOf(component, '.count')).toEqual(['已开启'])
  })

  it('the main switch off: a sheet explains it and opens the settings; turned on there, the tap subscribes', async () => {
    const app = user()
    await emulator.request('PUT', '/_emulator/wechat/settings', { openid: app.openid, mainSwitch: false })
    const component = await button(app, [APPOINTMENT])
    expect(textOf(component, '.sheet-title')).toBe('订阅消息已关闭')
    await tap(app, component, '.sheet-close')
    expect(textOf(component, '.sheet-title')).toBeUndefined()
    // The popup answers 20004: the sheet again.
    await tap(app, component, '.subscribe-button')
    await app.idle()
    expect(textOf(component, '.sheet-title')).toBe('订阅消息已关闭')
    expect(textOf(component, '.sheet-action')).toBe('去设置')
    app.inSettings = async () => {
      await emulator.request('PUT', '/_emulator/wechat/settings', { openid: app.openid, mainSwitch: true })
    }
    await tap(app, component, '.sheet-action')
    await app.idle()
    expect(app.settingsOpened).toBe(1)
    expect(textOf(component, '.sheet-title')).toBeUndefined()
    await tap(app, component, '.subscribe-button')
    await app.idle()
    expect(textsOf(component, '.count')).toEqual(['剩余 1 次'])
    expect(englishShown(component)).toEqual([])
  })

  it('a template kept as "always reject": named in a sheet, no popup; changed in the settings, the tap accepts', async () => {
    const app = user()
    await keep(app, APPOINTMENT, 'reject')
    const component = await button(app, [APPOINTMENT])
    expect(textOf(component, '.sheet-title')).toBe('已设为总是拒绝')
    expect(textOf(component, '.sheet-text')).toContain('「预约提醒」')
    await tap(app, component, '.subscribe-button')
    await app.idle()
    expect(textsOf(component, '.count')).toEqual(['剩余 0 次'])
    expect(textOf(component, '.sheet-title')).toBe('已设为总是拒绝')
    app.inSettings = async () => {
      const changed = await emulator.request('PUT', '/_emulator/wechat/settings', { openid: app.openid, itemSettings: { [APPOINTMENT]: 'accept' } })
      expect(changed.status).toBe(200)
    }
    await tap(app, component, '.sheet-action')
    await app.idle()
    expect(textOf(component, '.sheet-title')).toBeUndefined()
    expect(textOf(component, '.kept')).toContain('总是接收')
    await tap(app, component, '.subscribe-button')
    await app.idle()
    expect(textsOf(component, '.count')).toEqual(['剩余 1 次'])
  })

  it('a template kept as "always accept": said so, and each tap still adds one send', async () => {
    const app = user()
    // Kept from a popup outside this app's reports: WeChat holds one send the ledger never heard of.
    await keep(app, APPOINTMENT, 'accept')
    const component = await button(app, [APPOINTMENT])
    expect(textOf(component, '.kept')).toBe('你对「预约提醒」选择了总是接收：点订阅不会弹出窗口，每点一次增加一次提醒。')
    await tap(app, component, '.subscribe-button')
    await app.idle()
    await tap(app, component, '.subscribe-button')
    await app.idle()
    expect((await product.oracleQuota(app.openid, APPOINTMENT)).available).toBe(3)
    expect(textsOf(component, '.count')).toEqual(['剩余 2 次'])
    expect(textOf(component, '.notice')).toContain('没有弹出窗口')
  })

  it('a popup cancelled (every template rejected): a sheet says nothing was subscribed', async () => {
    const app = user()
    app.choose = () => 'reject'
    const component = await button(app, [APPOINTMENT, EVENT])
    await tap(app, component, '.subscribe-button')
    await app.idle()
    expect(textOf(component, '.sheet-title')).toBe('没有订阅')
    expect(textsOf(component, '.count')).toEqual(['剩余 0 次', '剩余 0 次'])
  })

  it('a popup closed, as clients that fail with "cancel" answer it: the same sheet, nothing recorded', async () => {
    const app = user()
    app.closesPopup = true
    const component = await button(app, [APPOINTMENT])
    await tap(app, component, '.subscribe-button')
    expect(textOf(component, '.sheet-title')).toBe('没有订阅')
    expect(textOf(component, '.sheet-text')).toContain('你关闭了订阅窗口')
    expect(textOf(component, '.sheet-action')).toBeUndefined()
    expect(await product.oracleQuota(app.openid, APPOINTMENT)).toMatchObject({ available: 0 })
    await tap(app, component, '.sheet-close')
    expect(textOf(component, '.sheet-title')).toBeUndefined()
    expect(englishShown(component)).toEqual([])
  })

  it("WeChat's refusals of the popup, each in Chinese: 20001, 20002, 20003", async () => {
    const app = user()
    const cases: Array<[string[], string]> = [
      [['notARealTemplateId000000000000000000000000'], '这类提醒暂时无法订阅（模板不存在）。'],
      [[APPOINTMENT, CLASS], '一次只能订阅同一类提醒，请分开订阅。'],
      [[APPOINTMENT, EVENT, APPOINTMENT + 'a', EVENT + 'b', CLASS + 'c', CLASS + 'd'], '一次最多订阅 5 种提醒。'],
    ]
    for (const [templates, said] of cases) {
      const component = await button(app, templates)
      await tap(app, component, '.subscribe-button')
      await app.idle()
      expect(textOf(component, '.notice'), templates.join()).toBe(said)
      expect(englishShown(component)).toEqual([])
    }
  })

  it('no network: said, the report kept on the phone, and counted once the network is back', async () => {
    const app = user()
    app.offline.add('subscribe-record')
    const component = await button(app, [APPOINTMENT])
    expect(textOf(component, '.notice')).toBe('网络不佳，暂时无法获取订阅状态。')
    await tap(app, component, '.subscribe-button')
    await app.idle()
    expect(textOf(component, '.notice')).toContain('网络不佳，订阅结果已保存在手机上')
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 0 })
    app.offline.clear()
    component.triggerPageLifeTime('show')
    await app.idle()
    expect(textsOf(component, '.count')).toEqual(['剩余 1 次'])
    expect(await product.ledger(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })
  })

  it("the function's refusal, in Chinese", async () => {
    const app = user()
    // A template the registry lacks: subscribe-record refuses the status request.
    const component = await button(app, ['notARealTemplateId000000000000000000000000'])
    expect(textOf(component, '.notice')).toBe('请求的内容有误，请检查后再试。')
    expect(englishShown(component)).toEqual([])
  })
})
