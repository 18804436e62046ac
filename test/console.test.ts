/// <reference lib="dom" />
/**
 * The local console in a real browser, along a user's journey through the
 * product: a user accepts a template in the phone's popup, the report reaches
 * subscribe-record and a send goes out, both from the Functions panel; the
 * card appears on the phone and the grant falls in Ledger; one message is
 * scheduled and sent by running the timer, another cancelled from Queue; a
 * fault injected in the Faults panel makes the next send fail, and Queue shows
 * the failure; the Data panel shows the messages. Screenshots land in docs/.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from './support/browser'
import { ROOT, useEmulator } from './support/emulator'

const emulator = useEmulator({ project: ROOT, args: ['--no-timers'] })
const SHOTS = join(ROOT, 'docs/console')
const TEMPLATE = 'Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w'
const USER = 'oConsoleJourney'
const order = { character_string1: 'SO20261127001', thing2: '保温杯 500ml', amount3: '¥128.00', name4: '张三', phrase5: '已发货' }

let browser: Browser
let page: Page

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  browser = await launchBrowser()
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
}, 60_000)
afterAll(() => browser?.close())

/** Calls a function from the Functions panel and gives back the reply it shows. */
async function callFromPanel(name: string, data: unknown, openid = ''): Promise<any> {
  await page.click('#tab-functions')
  await page.locator('#fn-name option').first().waitFor({ state: 'attached' })
  await page.selectOption('#fn-name', name)
  await page.fill('#fn-openid', openid)
  await page.fill('#fn-data', JSON.stringify(data))
  await page.evaluate(() => (document.querySelector('#fn-reply')!.textContent = ''))
  await page.click('#fn-call')
  await page.waitForFunction(() => document.querySelector('#fn-reply')!.textContent !== '')
  return JSON.parse((await page.textContent('#fn-reply'))!)
}

/** The project's grant and WeChat's, for the journey's user and template, as the Ledger panel shows them. */
async function ledgerRow(): Promise<{ own: string; wechat: string } | undefined> {
  if ((await page.getAttribute('#tab-ledger', 'aria-selected')) !== 'true') await page.click('#tab-ledger')
  const row = page.locator(`tr[data-grant="${USER}:${TEMPLATE}"]`)
  if ((await row.count()) === 0) return undefined
  return { own: (await row.locator('td.own').textContent())!, wechat: (await row.locator('td.wechat').textContent())! }
}

/** The Phone panel's user accepts the journey's template in the popup; gives what the popup resolved with. */
async function acceptInPopup(screenshot?: string): Promise<unknown> {
  await page.evaluate(() => (document.querySelector('#popup-status')!.textContent = ''))
  await page.click('#phone-ask')
  await page.selectOption(`select[data-template="${TEMPLATE}"]`, 'accept')
  if (screenshot) await page.screenshot({ path: screenshot })
  await page.click('#popup-answer')
  await expect.poll(() => page.textContent('#popup-status')).toContain('requestSubscribeMessage:ok')
  return JSON.parse((await page.textContent('#popup-status'))!)
}

/** Waits until the Queue panel lists the message under that status. */
async function queueShows(status: string, messageId: string): Promise<void> {
  await page.click('#tab-queue')
  await page.selectOption('#queue-status', status)
  await page.locator(`tr[data-message="${messageId}"]`).waitFor()
}

describe('the local console', () => {
  it('is served by the emulator with its font, from this machine', async () => {
    await page.goto(emulator.url)
    await expect.poll(() => page.textContent('h1')).toMatch(/本地云开发/)
    // The Chinese font is the project's own, and the browser has it loaded.
    await page.waitForFunction(() => document.fonts.check('16px "Noto Sans SC"', '服务通知'))
    const font = await fetch(`${emulator.url}/_console/fonts/400.css`)
    expect(font.status).toBe(200)
    expect(await font.text()).toMatch(/font-family: 'Noto Sans SC'/)
  })

  it('follows a user: popup, report, send, card, fault, failure', async () => {
    await page.click('#tab-phone')
    await page.fill('#phone-new-user', USER)
    const popup = await acceptInPopup(join(SHOTS, 'popup.png'))
    // What wx.requestSubscribeMessage resolves with: the one template asked for, accepted.
    expect(popup).toEqual({ errMsg: 'requestSubscribeMessage:ok', [TEMPLATE]: 'accept' })

    const recorded = await callFromPanel('subscribe-record', { results: popup, requestId: 'console-1' }, USER)
    expect(recorded.result.grants[TEMPLATE]).toMatchObject({ available: 1, kind: 'one-time', status: 'accept' })
    await expect.poll(() => ledgerRow()).toEqual({ own: '1', wechat: '1' })
    const sent = await callFromPanel('send', { touser: USER, templateId: TEMPLATE, data: order, page: 'pages/index/index' })
    expect(sent.result).toMatchObject({ ok: true, status: 'sent' })
    // The call is in the panel's record: its request id, a server as its caller, its reply.
    const call = page.locator(`#fn-invocations tr[data-request="${sent.requestID}"]`)
    await call.waitFor()
    expect(await call.textContent()).toMatch(/send.*scf.*"status":"sent"/)
    await page.screenshot({ path: join(SHOTS, 'functions.png') })
    // The grant falls, in the project's ledger and at WeChat alike.
    await expect.poll(() => ledgerRow()).toEqual({ own: '0', wechat: '0' })
    await page.screenshot({ path: join(SHOTS, 'ledger.png') })

    await page.click('#tab-phone')
    await page.selectOption('#phone-user', USER)
    await page.fill('#phone-new-user', '')
    const card = page.locator(`.card[data-msgid="${sent.result.msgid}"]`)
    await card.waitFor()
    expect(await card.locator('.name').textContent()).toBe('订单发货通知')
    expect(await card.textContent()).toContain('保温杯 500ml')
    expect(await card.locator('.foot').textContent()).toContain('进入小程序查看')
    await page.screenshot({ path: join(SHOTS, 'phone.png') })

    // Schedule one a moment ahead and run the timer when it is due; schedule another far ahead and cancel it.
    await page.click('#tab-phone')
    await callFromPanel('subscribe-record', { results: await acceptInPopup(), requestId: 'console-3' }, USER)
    const soon = await callFromPanel('send', { touser: USER, templateId: TEMPLATE, data: order, sendAt: new Date(Date.now() + 1500).toISOString() })
    const later = await callFromPanel('send', { touser: USER, templateId: TEMPLATE, data: order, sendAt: new Date(Date.now() + 3_600_000).toISOString() })
    expect([soon.result.status, later.result.status]).toEqual(['scheduled', 'scheduled'])
    await queueShows('scheduled', later.result.messageId)
    await page.click(`button[data-cancel="${later.result.messageId}"]`)
    await expect.poll(() => page.textContent('#queue-reply')).toMatch(/"ok": true/)
    await queueShows('cancelled', later.result.messageId)
    await new Promise((resolve) => setTimeout(resolve, 1600))
    await page.click('#tab-functions')
    await page.selectOption('#fn-name', 'send')
    await page.evaluate(() => (document.querySelector('#fn-reply')!.textContent = ''))
    await page.click('#fn-trigger')
    await expect.poll(() => page.textContent('#fn-reply')).toMatch(/"sent": 1/)
    await queueShows('sent', soon.result.messageId)
    await page.screenshot({ path: join(SHOTS, 'queue.png') })

    await page.click('#tab-faults')
    await page.fill('#faults-errcode', '43101')
    await page.fill('#faults-rate', '1')
    await page.click('#faults-set')
    await expect.poll(() => page.textContent('#faults-current')).toMatch(/"errcode": 43101/)
    await page.screenshot({ path: join(SHOTS, 'faults.png') })
    await page.click('#tab-phone')
    await callFromPanel('subscribe-record', { results: await acceptInPopup(), requestId: 'console-2' }, USER)
    const failed = await callFromPanel('send', { touser: USER, templateId: TEMPLATE, data: order })
    expect(failed.result).toMatchObject({ ok: false, errcode: 43101 })
    await queueShows('failed', failed.result.messageId)
    expect(await page.locator(`tr[data-message="${failed.result.messageId}"]`).textContent()).toContain('NO_QUOTA')
    await page.screenshot({ path: join(SHOTS, 'queue-failed.png') })
    await page.click('#tab-faults')
    await page.click('#faults-clear')
    await expect.poll(() => page.textContent('#faults-current')).not.toMatch(/"errcode": 43101/)

    // The injected 43101 zeroed the project's grant while WeChat's quota stands: Ledger marks the difference.
    await expect.poll(() => ledgerRow()).toEqual({ own: '0', wechat: '1' })
    expect(await page.getAttribute(`tr[data-grant="${USER}:${TEMPLATE}"]`, 'class')).toBe('differs')

    await page.click('#tab-data')
    await page.selectOption('#db-collection', 'messages')
    await expect.poll(() => page.textContent('#db-docs')).toContain(sent.result.messageId)
    // Filtered in the database's language; a document edited and one deleted; the collection exported.
    await page.fill('#db-filter', JSON.stringify({ status: 'cancelled' }))
    await page.press('#db-filter', 'Enter')
    await expect.poll(() => page.locator('#db-docs .doc').count()).toBe(1)
    await page.click(`button[data-edit-button="${later.result.messageId}"]`)
    const edited = page.locator(`textarea[data-edit="${later.result.messageId}"]`)
    const doc = JSON.parse(await edited.inputValue())
    expect(doc.sendAt).toHaveProperty('$date')
    await edited.fill(JSON.stringify({ ...doc, note: '已核对' }))
    await page.click(`button[data-save="${later.result.messageId}"]`)
    await expect.poll(() => page.textContent(`div[data-doc="${later.result.messageId}"]`)).toContain('"note": "已核对"')
    await page.screenshot({ path: join(SHOTS, 'data.png') })
    await page.fill('#db-filter', JSON.stringify({ status: 'failed' }))
    await page.press('#db-filter', 'Enter')
    await page.click(`button[data-delete="${failed.result.messageId}"]`)
    await expect.poll(() => page.textContent('#db-status')).toMatch(/"deleted": 1/)
    const exported = await (await fetch(`${emulator.url}${await page.getAttribute('#db-export', 'href')}`)).json()
    expect(exported.find((m: { _id: string }) => m._id === later.result.messageId)).toMatchObject({ note: '已核对', status: 'cancelled' })
    expect(exported.some((m: { _id: string }) => m._id === failed.result.messageId)).toBe(false)
  }, 60_000)

  it("draws WeChat's funnel: per template asked → accepted → delivered, and the last 7 days as a chart", async () => {
    // A second template's popups and sends, beside the journey's: two accepts, a reject, a ban; one delivered.
    const REMINDER = 'bK3nQ7xR2mV9pL4sT8wY1cF6hJ0dG5aE3uZ7iO2kN9r'
    const reminder = { thing1: '年度体检', time2: '2026-12-01 09:30', thing3: '二楼 3 号诊室', phone_number4: '021-12345678', character_string5: 'RSV-20261201-008' }
    for (const [openid, choice] of [['oFunnelA', 'accept'], ['oFunnelB', 'accept'], ['oFunnelC', 'reject'], ['oFunnelD', 'ban']] as const) {
      const popup = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { [REMINDER]: choice } })
      await emulator.result('subscribe-record', { results: popup.body, requestId: `funnel-${openid}` }, { openid })
    }
    expect(await emulator.result('send', { touser: 'oFunnelA', templateId: REMINDER, data: reminder })).toMatchObject({ ok: true, status: 'sent' })

    await page.click('#tab-funnel')
    const oracle: any[] = (await emulator.request('GET', '/_emulator/wechat/funnel?days=7')).body.data
    const total = (templateId: string, key: string) => oracle.filter((r) => r.templateId === templateId).reduce((n, r) => n + r[key], 0)
    const shown = async (templateId: string) =>
      Object.fromEntries(await page.locator(`.funnel[data-template="${templateId}"] .stage`).evaluateAll((stages) => stages.map((s) => [s.getAttribute('data-stage'), Number(s.querySelector('.value')!.textContent)])))
    // The journey's template: three popups accepted, two delivered, one refused 43101 by the injected fault.
    await expect.poll(() => shown(TEMPLATE)).toEqual({ asked: 3, accepted: 3, delivered: 2 })
    expect(await page.textContent(`.funnel[data-template="${TEMPLATE}"] .refused`)).toContain('43101 × 1')
    expect(await shown(REMINDER)).toEqual({ asked: 4, accepted: 2, delivered: 1 })
    for (const id of [TEMPLATE, REMINDER]) expect(await shown(id)).toEqual({ asked: total(id, 'asked'), accepted: total(id, 'accepted'), delivered: total(id, 'delivered') })
    expect(await page.textContent(`.funnel[data-template="${REMINDER}"] .name`)).toContain('预约提醒')

    // The chart: seven days along the time axis, today last, and today's bars as tall as the oracle's counts.
    const dates = await page.locator('#funnel-chart text[data-date]').evaluateAll((labels) => labels.map((l) => l.getAttribute('data-date')))
    expect(dates).toEqual([...new Set(oracle.map((r) => r.date))])
    expect(dates).toHaveLength(7)
    const today = dates.at(-1)!
    const bar = (stage: string) => page.getAttribute(`#funnel-chart rect[data-date="${today}"][data-stage="${stage}"]`, 'data-count')
    expect([await bar('asked'), await bar('accepted'), await bar('delivered')]).toEqual(['7', '5', '3'])
    expect(await page.textContent('#funnel-chart')).toContain('次数 count')
    await page.selectOption('#funnel-template', REMINDER)
    await expect.poll(() => bar('asked')).toBe('4')
    await page.selectOption('#funnel-template', '')
    await expect.poll(() => bar('asked')).toBe('7')
    await page.screenshot({ path: join(SHOTS, 'funnel.png') })
  })
})
