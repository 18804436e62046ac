/// <reference lib="dom" />
/**
 * The console's Overview and Data panels in a real browser whose zone is
 * neither UTC nor the platform's UTC+8 (New York), so that a time shown in
 * the wrong zone cannot pass: the overview's figures against the control
 * API's, the next timer fire, a collection as a typed table, a document
 * edited as a typed tree with its types kept.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from './support/browser'
import { ROOT, useEmulator } from './support/emulator'

const emulator = useEmulator({ project: ROOT, args: ['--no-timers'] })
const ZONE = 'America/New_York'
const TEMPLATE = 'Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w'
const order = { character_string1: 'SO20261203001', thing2: '保温杯 500ml', amount3: '¥128.00', name4: '张三', phrase5: '已发货' }
/** An ISO instant as screen text: what must never be shown. */
const ISO_ON_SCREEN = /\d{4}-\d\d-\d\dT\d\d:\d\d/

let browser: Browser
let page: Page
let scheduled: { messageId: string; sendAt: string }

/** `2026-12-03 20:00:00` in New York, as the console must write an instant. */
function newYork(iso: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  )
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`
}

async function grantAndSend(openid: string, extra: Record<string, unknown> = {}): Promise<any> {
  const popup = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { [TEMPLATE]: 'accept' } })
  await emulator.result('subscribe-record', { results: popup.body, requestId: `panels-${openid}` }, { openid })
  return emulator.result('send', { touser: openid, templateId: TEMPLATE, data: order, ...extra })
}

beforeAll(async () => {
  browser = await launchBrowser()
  page = await (await browser.newContext({ viewport: { width: 1280, height: 860 }, timezoneId: ZONE, locale: 'zh-CN' })).newPage()
  expect(await grantAndSend('oPanelsAlice')).toMatchObject({ ok: true, status: 'sent' })
  const sendAt = new Date(Date.now() + 5 * 3_600_000).toISOString()
  const later = await grantAndSend('oPanelsBob', { sendAt })
  expect(later).toMatchObject({ ok: true, status: 'scheduled' })
  scheduled = { messageId: later.messageId, sendAt }
}, 60_000)
afterAll(() => browser?.close())

describe('the Overview panel', () => {
  it("shows each collection's count, WeChat's day and every function, as the control API gives them", async () => {
    await page.goto(emulator.url)
    // The overview is the first panel.
    await expect.poll(() => page.getAttribute('#tab-overview', 'aria-selected')).toBe('true')
    const names: string[] = (await emulator.request('GET', '/_emulator/db')).body.data
    const counts = Object.fromEntries(await Promise.all(names.map(async (name) => [name, (await emulator.request('GET', `/_emulator/db/${name}/count`)).body.total])))
    const shown = () => page.locator('#overview-collections tr[data-collection]').evaluateAll((rows) => Object.fromEntries(rows.map((r) => [r.getAttribute('data-collection'), Number(r.querySelector('.count')!.textContent)])))
    await expect.poll(shown).toEqual(counts)
    expect(counts.messages).toBe(2)

    const today: any[] = (await emulator.request('GET', '/_emulator/wechat/funnel?days=1')).body.data
    const sum = (key: string) => today.reduce((n, row) => n + row[key], 0)
    const stat = (key: string) => page.textContent(`#overview-wechat-box [data-stat="${key}"] .value`).then(Number)
    expect([await stat('asked'), await stat('accepted'), await stat('delivered')]).toEqual([sum('asked'), sum('accepted'), sum('delivered')])
    expect([sum('asked'), sum('delivered')]).toEqual([2, 1])
    expect(await page.textContent('#overview-day')).toBe(`${today[0].date} (UTC+8)`)
  })

  it('lists every function with its timer, its cron in words and its next fire on the platform clock and the local one', async () => {
    const listed: any[] = (await emulator.request('GET', '/_emulator/functions')).body.data
    expect(await page.locator('#overview-functions tr[data-function]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-function')))).toEqual(listed.map((f) => f.name))
    const send = page.locator('#overview-functions tr[data-function="send"]')
    expect(await send.textContent()).toContain('每分钟')
    // The next fire: the instant the control API gives (refreshed each second, so read both again until they agree).
    await expect
      .poll(async () => [await send.locator('.next time').getAttribute('datetime'), (await emulator.request('GET', '/_emulator/functions')).body.data.find((f: any) => f.name === 'send').timer.next])
      .toSatisfy(([shownNext, next]: string[]) => shownNext === next)
    const next = (await send.locator('.next time').getAttribute('datetime'))!
    const text = (await send.locator('.next').textContent())!
    const utc8 = new Date(Date.parse(next) + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')
    expect(text).toContain(`${utc8} (UTC+8)`)
    expect(text).toContain(`本地 local ${newYork(next)}`)
    expect(text).toContain('定时器未运行 timers off')
    expect(await page.textContent('#overview-functions tr[data-function="login"]')).toContain('无定时器 no timer')
  })

  it('shows the faults switched on, and links each line to its panel', async () => {
    expect(await page.textContent('[data-faults="wechat"]')).toContain('无 none')
    await emulator.request('PUT', '/_emulator/wechat/faults', { errcode: 45009, rate: 0.5 })
    try {
      await expect.poll(() => page.textContent('[data-faults="wechat"]')).toContain('errcode 45009')
    } finally {
      await emulator.request('DELETE', '/_emulator/wechat/faults')
    }
    await page.click('#overview-collections tr[data-collection="messages"] a')
    await expect.poll(() => page.getAttribute('#tab-data', 'aria-selected')).toBe('true')
    await expect.poll(() => page.inputValue('#db-collection')).toBe('messages')
  })
})

describe('a reply shown as JSON', () => {
  it("writes each instant in it in the browser's zone, still JSON, the UTC instant on hover", async () => {
    const sendAt = new Date(Date.now() + 2 * 86_400_000).toISOString()
    const broadcast = await emulator.result('send', { action: 'broadcast', templateId: TEMPLATE, data: order, sendAt })
    await page.goto(`${emulator.url}/#functions/send`)
    await expect.poll(() => page.inputValue('#fn-name')).toBe('send')
    await page.fill('#fn-data', JSON.stringify({ action: 'campaign', campaignId: broadcast.campaignId }))
    await page.click('#fn-call')
    const shown = page.locator('#fn-reply time')
    await shown.waitFor()
    expect(await shown.getAttribute('title')).toBe(`UTC ${sendAt}`)
    const text = (await page.textContent('#fn-reply'))!
    expect(JSON.parse(text).result.sendAt).toBe(`${newYork(sendAt)}.${sendAt.slice(20, 23)}`)
    expect(await page.evaluate(() => document.body.innerText)).not.toMatch(ISO_ON_SCREEN)
  })
})

describe('the pictures', () => {
  it('the README shows a picture of every panel the console has, as npm run console:shots draws them', async () => {
    await page.goto(emulator.url)
    const panels = await page.locator('#tabs button').evaluateAll((tabs) => tabs.map((tab) => tab.getAttribute('data-panel')))
    expect(panels[0]).toBe('overview')
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const pictured = [...readme.matchAll(/!\[[^\]]+\]\(docs\/console\/([a-z-]+)\.png\)/g)].map(([, name]) => name)
    expect(pictured).toEqual(panels)
    for (const panel of panels) expect(existsSync(join(ROOT, `docs/console/${panel}.png`)), `docs/console/${panel}.png`).toBe(true)
  })
})

describe('the Data panel', () => {
  const cell = (id: string, field: string) => page.locator(`tr[data-doc="${id}"] td[data-field="${field}"]`)

  it('shows messages as a table by type: local dates, numbers to the right, ids in monospace, no UTC ISO string', async () => {
    await page.goto(`${emulator.url}/#data/messages`)
    await page.locator(`tr[data-doc="${scheduled.messageId}"]`).waitFor()
    const heads = await page.locator('#db-docs th').allTextContents()
    expect(heads[0]).toBe('_id')
    expect(heads).toContain('touser')
    expect(await page.evaluate(() => document.body.innerText)).not.toMatch(ISO_ON_SCREEN)
    // The scheduled time in New York's zone, how far ahead it is, and the UTC instant on hover.
    const sendAt = cell(scheduled.messageId, 'sendAt')
    expect(await sendAt.getAttribute('data-kind')).toBe('date')
    expect(await sendAt.textContent()).toMatch(new RegExp(`^${newYork(scheduled.sendAt)} \\d+小时后$`))
    expect(await sendAt.locator('time').getAttribute('title')).toBe(`UTC ${scheduled.sendAt}`)

    await page.click('#db-more-columns')
    const tries = cell(scheduled.messageId, 'tries')
    expect([await tries.getAttribute('data-kind'), await tries.evaluate((td) => getComputedStyle(td).textAlign)]).toEqual(['number', 'right'])
    expect(await cell(scheduled.messageId, '_id').evaluate((td) => getComputedStyle(td).fontFamily)).toMatch(/monospace/)
    expect(await cell(scheduled.messageId, 'data').textContent()).toBe('{…} 5 个字段 fields')
    expect(await page.evaluate(() => document.body.innerText)).not.toMatch(ISO_ON_SCREEN)
  })

  it('filters in the database language, as before', async () => {
    await page.fill('#db-filter', JSON.stringify({ status: 'scheduled' }))
    await page.press('#db-filter', 'Enter')
    await expect.poll(() => page.locator('#db-docs tr.doc').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-doc')))).toEqual([scheduled.messageId])
  })

  it('edits a document as a typed tree: types kept, a type changed on purpose, a bad value refused and nothing written', async () => {
    const before = (await emulator.request('GET', `/_emulator/db/messages?filter=${encodeURIComponent(JSON.stringify({ _id: scheduled.messageId }))}`)).body.data[0]
    await page.click(`tr[data-doc="${scheduled.messageId}"]`)
    const field = (path: string) => page.locator(`#db-editor li[data-path="${path}"]`)
    // The date is typed in New York's time; a number as a number.
    expect(await field('document.sendAt').locator('input[data-kind="date"]').inputValue()).toBe(`${newYork(scheduled.sendAt)}.${scheduled.sendAt.slice(20, 23)}`)
    await field('document.tries').locator('input[data-kind="number"]').fill('many')
    await page.click(`button[data-save="${scheduled.messageId}"]`)
    await expect.poll(() => page.textContent('#db-status')).toBe('document.tries: "many" 不是数字 is not a number')
    expect((await emulator.request('GET', `/_emulator/db/messages?filter=${encodeURIComponent(JSON.stringify({ _id: scheduled.messageId }))}`)).body.data[0]).toEqual(before)

    await field('document.tries').locator('input[data-kind="number"]').fill('2')
    // A note added; the page (null) turned into a string on purpose.
    await page.click('#db-editor .doc-tree > div > button.link')
    const added = page.locator('#db-editor .doc-tree > div > ul.tree > li').last()
    await added.locator('input.key').fill('note')
    await added.locator('input[data-kind="string"]').fill('已核对')
    await field('document.page').locator('select.kind').selectOption('string')
    await field('document.page').locator('input[data-kind="string"]').fill('pages/index/index')
    await page.click(`button[data-save="${scheduled.messageId}"]`)
    await expect.poll(() => page.textContent('#db-status')).toContain(`"saved": "${scheduled.messageId}"`)
    const after = (await emulator.request('GET', `/_emulator/db/messages?filter=${encodeURIComponent(JSON.stringify({ _id: scheduled.messageId }))}`)).body.data[0]
    expect(after).toEqual({ ...before, tries: 2, note: '已核对', page: 'pages/index/index' })
    expect(after.sendAt).toEqual({ $date: scheduled.sendAt })
    expect(await cell(scheduled.messageId, 'note').textContent()).toBe('已核对')
  })

  it('saves a document of every type, nested in objects and arrays, unchanged when nothing was edited', async () => {
    const doc = {
      _id: 'every-type',
      text: '保温杯',
      count: 3,
      ratio: 0.25,
      yes: true,
      none: null,
      at: { $date: '2026-12-03T01:02:03.004Z' },
      // 01:30 in New York twice that night (daylight saving ends): this is the second, EST.
      repeatedHour: { $date: '2026-11-01T06:30:00.250Z' },
      list: [1, 'a', { $date: '2027-01-01T00:00:00.000Z' }, [false, null], { deep: { n: -7 } }],
      nested: { tags: ['vip'], when: { $date: '2026-06-30T16:00:00.000Z' } },
    }
    expect((await emulator.request('POST', '/_emulator/db/users/import', [doc])).body).toEqual({ inserted: 1 })
    const read = async () => (await emulator.request('GET', `/_emulator/db/users?filter=${encodeURIComponent(JSON.stringify({ _id: 'every-type' }))}`)).body.data
    const before = await read()
    expect(before.map((d: any) => [d.list[2].$date, d.count, d.list[3]])).toEqual([[expect.stringMatching(/^2027-01-01T00:00:00(\.000)?Z$/), 3, [false, null]]])
    await page.goto(`${emulator.url}/#data/users`)
    await page.click('tr[data-doc="every-type"]')
    await page.locator('#db-editor li[data-path="document.list[2]"] input[data-kind="date"]').waitFor()
    await page.click('button[data-save="every-type"]')
    await expect.poll(() => page.textContent('#db-status')).toContain('"saved": "every-type"')
    expect(await read()).toEqual(before)
  })

  it('refuses to save over a document that changed since it was opened, and writes nothing', async () => {
    await page.click('tr[data-doc="every-type"]')
    await page.locator('#db-editor li[data-path="document.text"] input[data-kind="string"]').fill('改过')
    const current = (await emulator.request('GET', `/_emulator/db/users?filter=${encodeURIComponent(JSON.stringify({ _id: 'every-type' }))}`)).body.data[0]
    expect((await emulator.request('PUT', '/_emulator/db/users/doc/every-type', { ...current, count: 4 })).status).toBe(200)
    await page.click('button[data-save="every-type"]')
    await expect.poll(() => page.textContent('#db-status')).toMatch(/^文档在打开后已被修改/)
    const after = (await emulator.request('GET', `/_emulator/db/users?filter=${encodeURIComponent(JSON.stringify({ _id: 'every-type' }))}`)).body.data[0]
    expect(after).toEqual({ ...current, count: 4 })
  })
})
