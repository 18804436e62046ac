/// <reference lib="dom" />
/**
 * The console's Phone panel, in a real browser: each card says which version
 * of the mini-program a tap opens, as WeChat recorded it for that message
 * (its miniprogram_state), Chinese first. A send that names no state opens
 * the developer version here, on the local cloud.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from './support/browser'
import { ORDER, exampleData, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct(['--no-timers'])

let browser: Browser
let page: Page

beforeAll(async () => {
  browser = await launchBrowser()
  // A locale of its own: the host's (C.UTF-8 here) gives Chromium the tag en-US@posix, which Intl refuses.
  page = await browser.newPage({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' })
}, 60_000)
afterAll(() => browser?.close())

describe('the Phone panel', () => {
  it('shows on each card the version it opens', async () => {
    const openid = newOpenid('oPhone')
    for (let i = 0; i < 3; i++) await product.subscribe(openid, { [ORDER]: 'accept' })
    const sent: Record<string, string> = {}
    for (const state of [undefined, 'trial', 'formal']) {
      const reply = await product.send({ touser: openid, templateId: ORDER, data: exampleData(ORDER), ...(state ? { miniprogramState: state } : {}) })
      expect(reply).toMatchObject({ ok: true, status: 'sent' })
      sent[state ?? 'none'] = reply.msgid
    }
    await page.goto(emulator.url)
    await page.click('#tab-phone')
    await page.fill('#phone-new-user', openid)
    const opens = async (msgid: string) => {
      const card = page.locator(`.card[data-msgid="${msgid}"]`)
      await card.waitFor()
      return card.locator('.opens').textContent()
    }
    expect(await opens(sent.none!)).toBe('打开开发版 developer')
    expect(await opens(sent.trial!)).toBe('打开体验版 trial')
    expect(await opens(sent.formal!)).toBe('打开正式版 formal')
  })
})
