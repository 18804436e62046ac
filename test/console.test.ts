/// <reference lib="dom" />
/**
 * The local console in a real browser, along a user's journey through the
 * product: a user accepts a template in the phone's popup, the report reaches
 * subscribe-record and a send goes out, both from the Functions panel; the
 * card appears on the phone and the grant falls in Ledger; one message is
 * scheduled and sent by running the timer, another cancelled from Queue; a
 * fault injected in the Faults panel makes the next send fail, and Queue shows
 * the failure; the Data panel shows the messages. Then the charts (uPlot: their
 * axes, the legend under the pointer), the campaigns as progress bars, and the
 * Logs panel over a function deployed into the same emulator.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from './support/browser'
import { browserMinute, campaignAsReported, chartOf as chartIn, deployFixtureFunction, expectCountTicks, hoverPoint as hoverIn, logCalls, logLines, panels } from './support/console-page'
import { ROOT, until, useEmulator } from './support/emulator'
import { EVENT, TEMPLATES, exampleData } from './support/product'

const emulator = useEmulator({ project: ROOT, args: ['--no-timers'] })
const TEMPLATE = 'Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w'
const USER = 'oConsoleJourney'
const order = { character_string1: 'SO20261127001', thing2: '保温杯 500ml', amount3: '¥128.00', name4: '张三', phrase5: '已发货' }

let browser: Browser
let page: Page

beforeAll(async () => {
  browser = await launchBrowser()
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
}, 60_000)
afterAll(() => browser?.close())

const { callFromPanel, ledgerRow: ledgerOf, acceptInPopup: acceptIn, queueShows } = panels(() => page)
/** The journey's user's grant of its template, in the Ledger panel. */
const ledgerRow = () => ledgerOf(USER, TEMPLATE)
const acceptInPopup = () => acceptIn(TEMPLATE)
const chartOf = (id: string) => chartIn(page, id)
const hoverPoint = (id: string, index: number, points: number) => hoverIn(page, id, index, points)

/** A user accepts a template in the popup and reports it, as the mini-program does; the grant is then the project's and WeChat's. */
async function subscribe(openid: string, templateId: string): Promise<void> {
  const popup = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { [templateId]: 'accept' } })
  await emulator.result('subscribe-record', { results: popup.body, requestId: `console-${openid}` }, { openid })
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
    const popup = await acceptInPopup()
    // What wx.requestSubscribeMessage resolves with: the one template asked for, accepted.
    expect(popup).toEqual({ errMsg: 'requestSubscribeMessage:ok', [TEMPLATE]: 'accept' })

    const recorded = await callFromPanel('subscribe-record', { results: popup, requestId: 'console-1' }, USER)
    expect(recorded.result.grants[TEMPLATE]).toMatchObject({ available: 1, kind: 'one-time', status: 'accept' })
    await expect.poll(() => ledgerRow()).toEqual({ own: '1', wechat: '1' })
    const sent = await callFromPanel('send', { touser: USER, templateId: TEMPLATE, data: order, page: 'pages/index/index' })
    expect(sent.result).toMatchObject({ ok: true, status: 'sent' })
    // The call is one click away in the Logs panel: its request id, a server as its caller, its reply.
    await page.click('#fn-call-logs')
    expect(await page.inputValue('#logs-request')).toBe(sent.requestID)
    const call = page.locator(`#logs-invocations tr[data-request="${sent.requestID}"]`)
    await call.waitFor()
    expect(await call.textContent()).toMatch(/send.*scf.*✓ ok/)
    await call.click()
    await expect.poll(() => page.textContent('#logs-reply')).toMatch(/"status": "sent"/)
    // The grant falls, in the project's ledger and at WeChat alike.
    await expect.poll(() => ledgerRow()).toEqual({ own: '0', wechat: '0' })

    await page.click('#tab-phone')
    await page.selectOption('#phone-user', USER)
    await page.fill('#phone-new-user', '')
    const card = page.locator(`.card[data-msgid="${sent.result.msgid}"]`)
    await card.waitFor()
    expect(await card.locator('.name').textContent()).toBe('订单发货通知')
    expect(await card.textContent()).toContain('保温杯 500ml')
    expect(await card.locator('.foot').textContent()).toContain('进入小程序查看')

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

    await page.click('#tab-faults')
    await page.fill('#faults-errcode', '43101')
    await page.fill('#faults-rate', '1')
    await page.click('#faults-set')
    await expect.poll(() => page.textContent('#faults-current')).toMatch(/"errcode": 43101/)
    await page.click('#tab-phone')
    await callFromPanel('subscribe-record', { results: await acceptInPopup(), requestId: 'console-2' }, USER)
    const failed = await callFromPanel('send', { touser: USER, templateId: TEMPLATE, data: order })
    expect(failed.result).toMatchObject({ ok: false, errcode: 43101 })
    await queueShows('failed', failed.result.messageId)
    expect(await page.locator(`tr[data-message="${failed.result.messageId}"]`).textContent()).toContain('NO_QUOTA')
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
    await expect.poll(() => page.locator('#db-docs tr.doc').count()).toBe(1)
    // The row opens the document as a typed tree: a field added there and saved.
    await page.click(`tr[data-doc="${later.result.messageId}"]`)
    await page.click('#db-editor .doc-tree > div > button.link')
    const added = page.locator('#db-editor .doc-tree > div > ul.tree > li').last()
    await added.locator('input.key').fill('note')
    await added.locator('input[data-kind="string"]').fill('已核对')
    await page.click(`button[data-save="${later.result.messageId}"]`)
    await expect.poll(() => page.textContent('#db-status')).toContain(`"saved": "${later.result.messageId}"`)
    await page.fill('#db-filter', JSON.stringify({ status: 'failed' }))
    await page.press('#db-filter', 'Enter')
    await page.click(`tr[data-doc="${failed.result.messageId}"]`)
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

    // The chart: seven days along an axis of UTC+8 dates, today last, a count axis from 0, and today's bars as tall as the oracle's counts.
    const days = await chartOf('funnel-chart')
    expect(days.dates).toEqual([...new Set(oracle.map((r) => r.date))])
    expect(days.dates).toHaveLength(7)
    expect(days.xLabel).toBe('日期 date (UTC+8)')
    expect(days.xTicks).toEqual(days.dates!.map((date) => date.slice(5)))
    expect(days.yLabel).toBe('次数 count')
    expectCountTicks(days.yTicks)
    const today = (stage: string) => chartOf('funnel-chart').then((c) => c.series[stage]!.at(-1))
    expect([await today('asked'), await today('accepted'), await today('delivered')]).toEqual([7, 5, 3])
    // The legend reads the day under the pointer: its date and each stage's count.
    expect(await hoverPoint('funnel-chart', 6, 7)).toEqual([['日期 date (UTC+8)', `${days.dates!.at(-1)} (UTC+8)`], ['弹窗 asked', '7'], ['接受 accepted', '5'], ['送达 delivered', '3']])
    await page.selectOption('#funnel-template', REMINDER)
    await expect.poll(() => today('asked')).toBe(4)
    await page.selectOption('#funnel-template', '')
    await expect.poll(() => today('asked')).toBe(7)
  })

  it('charts the deliveries per minute: a time axis, a count axis from 0, and the count under the pointer', async () => {
    // One more delivery now, so that this minute has a bar.
    await subscribe('oChartNow', TEMPLATE)
    expect(await emulator.result('send', { touser: 'oChartNow', templateId: TEMPLATE, data: order })).toMatchObject({ ok: true, status: 'sent' })
    await page.click('#tab-queue')
    // The last 30 whole minutes, this one last; each count WeChat's (the control API's), a minute without a delivery 0.
    const matched = await until(
      async () => {
        const shown = await chartOf('queue-chart')
        const route = new Map<number, number>((await emulator.request('GET', '/_emulator/wechat/deliveries?minutes=30')).body.data)
        return { shown, expected: shown.x.map((minute) => route.get(minute) ?? 0), last: Math.floor(Date.now() / 60_000) * 60_000 }
      },
      ({ shown, expected, last }) => shown.x.at(-1) === last && JSON.stringify(shown.series.delivered) === JSON.stringify(expected),
      'the chart shows the last 30 minutes of deliveries',
    )
    const { x, series } = matched.shown
    expect(x).toHaveLength(30)
    for (const [i, minute] of x.entries()) if (i > 0) expect(minute - x[i - 1]!).toBe(60_000)
    expect(series.delivered!.some((n) => n > 0)).toBe(true)
    expect(series.delivered).toContain(0)
    // The axes: local time in hours and minutes, a count from 0 in whole numbers, each labelled.
    expect(matched.shown.xLabel).toMatch(/^时间 time \(本地 local, UTC[+-]\d/)
    expect(matched.shown.yLabel).toBe('条数 count')
    expect(matched.shown.xTicks.length).toBeGreaterThan(2)
    for (const tick of matched.shown.xTicks) expect(tick).toMatch(/^\d{2}:\d{2}$/)
    expectCountTicks(matched.shown.yTicks)
    // Over a minute with deliveries, the legend reads that minute (local time) and its count.
    await until(
      async () => {
        const shown = await chartOf('queue-chart')
        const counts = shown.series.delivered!
        const index = counts.length - 1 - [...counts].reverse().findIndex((n) => n > 0)
        const minute = shown.x[index]!
        const time = await browserMinute(page, minute)
        return { legend: await hoverPoint('queue-chart', index, shown.x.length), expected: [[shown.xLabel, time], ['投递 deliveries', String(shown.series.delivered![index])]] }
      },
      ({ legend, expected }) => JSON.stringify(legend) === JSON.stringify(expected),
      'the legend reads the minute under the pointer',
    )
  })

  it('draws each campaign as a bar of what send reports, and cancels one', async () => {
    const PARKING = TEMPLATES[3]!.id
    const report = (campaignId: string) => emulator.result('send', { action: 'campaign', campaignId })
    // Three holders of one template, one of whom spends the grant first: two sent, one skipped once the timer runs.
    for (const openid of ['oCampA', 'oCampB', 'oCampC']) await subscribe(openid, EVENT)
    const first = await emulator.result('send', { action: 'broadcast', templateId: EVENT, data: exampleData(EVENT) })
    await emulator.result('send', { touser: 'oCampA', templateId: EVENT, data: exampleData(EVENT) })
    expect((await emulator.trigger('send')).status).toBe(200)
    // Two holders of another, their messages still to go.
    for (const openid of ['oCampD', 'oCampE']) await subscribe(openid, PARKING)
    const second = await emulator.result('send', { action: 'broadcast', templateId: PARKING, data: exampleData(PARKING) })
    expect(await report(first.campaignId)).toMatchObject({ status: 'queued', total: 3, sent: 2, skipped: 1, remaining: 0 })
    expect(await report(second.campaignId)).toMatchObject({ status: 'queued', total: 2, remaining: 2 })

    await page.click('#tab-queue')
    const matches = (campaignId: string) => campaignAsReported(page, campaignId, () => report(campaignId))
    const firstShown = await until(() => matches(first.campaignId), Boolean, 'the first campaign drawn as send reports it')
    // Two thirds sent, one skipped; nothing left to stop.
    expect(firstShown!.shares).toEqual({ sent: 67, skipped: 33 })
    expect(firstShown!.cancel).toBe(false)
    expect(await page.textContent(`.campaign[data-campaign="${first.campaignId}"] .head`)).toContain('活动开始提醒')
    const secondShown = await until(() => matches(second.campaignId), Boolean, 'the second campaign drawn as send reports it')
    expect(secondShown!.shares).toEqual({ remaining: 100 })

    await page.click(`button[data-cancel-campaign="${second.campaignId}"]`)
    await expect.poll(() => page.textContent('#campaign-reply')).toMatch(/"status": "cancelled"/)
    expect(await report(second.campaignId)).toMatchObject({ status: 'cancelled', cancelled: 2, remaining: 0 })
    const cancelled = await until(() => matches(second.campaignId), Boolean, 'the cancelled campaign drawn as send reports it')
    expect(cancelled).toMatchObject({ status: 'cancelled', shares: { cancelled: 100 }, cancel: false })
  })

  it('finds logs by request id, by level and by text, and marks failures and warnings', async () => {
    // A function of the project's own kind, deployed into this emulator as `npm run deploy -- --emulator` does.
    await deployFixtureFunction(emulator.url, 'console-logs', [{ name: 'nightly', type: 'timer', config: '0 0 3 * * * *' }])
    const plain = await emulator.call('console-logs', { order: 'A-1' })
    /** A call's request id, as the control API replies with it (a failure too). */
    const id = (reply: { body: Record<string, unknown> }) => String(reply.body.requestID)
    const warned = await emulator.call('console-logs', { order: 'B-2', warn: true, leave: true })
    const failed = await emulator.call('console-logs', { order: 'C-3', fail: true })
    const timer = await emulator.trigger('console-logs')
    expect([plain.status, warned.status, failed.status, timer.status]).toEqual([200, 200, 500, 500])
    const linesOf = async (requestId?: string): Promise<Array<{ level: string; message: string; requestId: string }>> =>
      (await emulator.request('GET', `/_emulator/logs${requestId ? `?requestId=${requestId}` : ''}`)).body.data
    const warnedLines = await until(() => linesOf(id(warned)), (lines) => lines.some((l) => l.message.startsWith('frozen after return')), 'the frozen-after-return warning')
    expect(warnedLines.map((l) => l.level)).toEqual(['info', 'log', 'warn', 'warn'])

    await page.click('#tab-logs')
    const [shownLines, shownCalls] = [() => logLines(page), () => logCalls(page)]
    // By request id: exactly that request's lines, newest first, as the control API gives them; its one invocation, marked as one that warned.
    await page.fill('#logs-request', id(warned))
    const expectedLines = warnedLines.map((l) => ({ level: l.level, request: l.requestId, message: l.message })).reverse()
    await expect.poll(shownLines).toEqual(expectedLines)
    expect(await shownCalls()).toEqual([{ request: id(warned), class: 'warned', text: expect.stringMatching(/console-logs.*scf.*✓ ok.*warn 4/) }])
    // By level: errors only, every one the functions wrote.
    await page.fill('#logs-request', '')
    await page.selectOption('#logs-level', 'error')
    const errors = (await linesOf()).filter((l) => l.level === 'error').map((l) => ({ level: l.level, request: l.requestId, message: l.message })).reverse()
    expect(errors.map((l) => l.request)).toEqual([id(timer), id(failed)])
    await expect.poll(shownLines).toEqual(errors)
    // The invocations that failed, red: a call, and a timer run.
    const calls = await shownCalls()
    expect(calls.map((c) => c.request)).toEqual([id(timer), id(failed)])
    expect(calls.every((c) => c.class === 'bad')).toBe(true)
    expect(calls[0]!.text).toMatch(/定时器 timer nightly \(wx_trigger\).*✗ 定时器失败 timer failed/)
    expect(calls[1]!.text).toMatch(/console-logs.*scf.*✗ 失败 failed/)
    // An invocation opens to its caller, duration, error and own lines.
    await page.click(`#logs-invocations tr[data-request="${id(failed)}"]`)
    await expect.poll(() => page.textContent('#logs-reply')).toContain('out of stock: C-3')
    expect(await page.textContent('#logs-detail-caller')).toBe('scf')
    expect(await page.textContent('#logs-detail-duration')).toMatch(/^\d+ ms$/)
    const own = await page.locator('#logs-detail-lines tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-level')))
    expect(own).toEqual((await linesOf(id(failed))).map((l) => l.level))
    // By text, across messages and replies; and by function.
    await page.selectOption('#logs-level', '')
    await page.fill('#logs-text', 'stock low')
    await expect.poll(async () => (await shownLines()).map((l) => l.message)).toEqual(['stock low for B-2'])
    await page.fill('#logs-text', '')
    await page.selectOption('#logs-function', 'console-logs')
    await expect.poll(async () => (await shownCalls()).map((c) => c.request)).toEqual([id(timer), id(failed), id(warned), id(plain)])
  })
})
