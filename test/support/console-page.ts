/// <reference lib="dom" />
/**
 * Driving and reading the local console in a real page (test/console.test.ts):
 * the journey's steps through the panels; what a chart shows (uPlot draws on
 * a canvas, so its container carries its points, counts, axis labels and the
 * ticks drawn) and the legend under the pointer; a campaign's bar as laid
 * out; the Logs panel's rows; and a fixture function deployed for them.
 */
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import { openTarget } from '../../scripts/deploy/management'
import { ROOT } from './emulator'

export interface ChartShown {
  x: number[]
  series: Record<string, number[]>
  dates?: string[]
  xLabel: string
  yLabel: string
  xTicks: string[]
  yTicks: string[]
}

export const chartOf = (page: Page, id: string) =>
  page.locator(`#${id}`).evaluate(
    (el): ChartShown => ({
      x: JSON.parse(el.dataset.x ?? '[]'),
      series: JSON.parse(el.dataset.series ?? '{}'),
      dates: el.dataset.dates ? JSON.parse(el.dataset.dates) : undefined,
      xLabel: el.dataset.xLabel ?? '',
      yLabel: el.dataset.yLabel ?? '',
      xTicks: (el.dataset.xTicks ?? '').split('|'),
      yTicks: (el.dataset.yTicks ?? '').split('|'),
    }),
  )

/** A count axis: from 0, in whole numbers, rising. */
export function expectCountTicks(ticks: string[]): void {
  expect(ticks[0]).toBe('0')
  expect(ticks.length).toBeGreaterThan(1)
  for (const [i, tick] of ticks.entries()) {
    expect(tick).toMatch(/^\d+$/)
    if (i > 0) expect(Number(tick)).toBeGreaterThan(Number(ticks[i - 1]))
  }
}

/** Puts the pointer over point `index` of `points` (each in the middle of its slot) and reads uPlot's legend: [label, value] per series. */
export async function hoverPoint(page: Page, id: string, index: number, points: number): Promise<string[][]> {
  const box = (await page.locator(`#${id} .u-over`).boundingBox())!
  await page.hover(`#${id} .u-over`, { position: { x: (box.width * (index + 0.5)) / points, y: box.height / 2 } })
  return page.locator(`#${id} .u-legend tr.u-series`).evaluateAll((rows) => rows.map((row) => [row.querySelector('th')!.textContent!.trim(), row.querySelector('td')!.textContent!.trim()]))
}

/** `2026-12-03 21:31`: a minute in the browser's own zone, as the console writes it. */
export const browserMinute = (page: Page, ms: number) =>
  page.evaluate((at) => {
    const d = new Date(at)
    const pad = (n: number) => String(n).padStart(2, '0')
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
  }, ms)

/** A campaign as drawn: its status, the numbers of its legend, each part's share of its bar (in % of the bar's width), and whether it offers a cancel. */
export const campaignDrawn = (page: Page, campaignId: string) =>
  page.locator(`.campaign[data-campaign="${campaignId}"]`).evaluate((el) => {
    const stack = el.querySelector('.stack')!.getBoundingClientRect().width
    return {
      status: el.getAttribute('data-status'),
      counts: Object.fromEntries(Array.from(el.querySelectorAll('[data-count]')).map((n) => [n.getAttribute('data-count'), Number(n.querySelector('b')!.textContent)])),
      shares: Object.fromEntries(Array.from(el.querySelectorAll('.part')).map((p) => [p.getAttribute('data-part'), Math.round((p.getBoundingClientRect().width / stack) * 100)])),
      cancel: el.querySelector('[data-cancel-campaign]') !== null,
    }
  })

/** Deploys test/fixtures/<name> into a running emulator, as `npm run deploy -- --emulator` deploys (manager-node, through the management API). */
export async function deployFixtureFunction(url: string, name: string, triggers: Array<{ name: string; type: 'timer'; config: string }>): Promise<void> {
  const { manager } = openTarget({ emulator: url, env: {} })
  await manager.functions.createFunction({
    func: { name, runtime: 'Nodejs16.13', timeout: 5, installDependency: false, handler: 'index.main', triggers, ignore: [] } as never,
    functionRootPath: join(ROOT, 'test/fixtures'),
    force: true,
    deployMode: 'zip',
  })
}

/** The Logs panel's lines as shown, newest first. */
export const logLines = (page: Page) =>
  page.locator('#logs-lines tbody tr').evaluateAll((rows) => rows.map((r) => ({ level: r.getAttribute('data-level'), request: r.getAttribute('data-request'), message: r.querySelector('td.message')!.textContent })))

/** The Logs panel's invocations as shown, newest first: request id, how the row is marked, its text. */
export const logCalls = (page: Page) =>
  page.locator('#logs-invocations tbody tr').evaluateAll((rows) => rows.map((r) => ({ request: r.getAttribute('data-request'), class: r.getAttribute('class') ?? '', text: r.textContent })))

const CAMPAIGN_COUNTS = ['sent', 'failed', 'skipped', 'unknown', 'cancelled', 'remaining', 'total'] as const

/** The campaign as drawn once its status and numbers are those `report` gives (what the project's function answers); undefined until then. */
export async function campaignAsReported(page: Page, campaignId: string, report: () => Promise<Record<string, unknown>>) {
  await page.locator(`.campaign[data-campaign="${campaignId}"] .stack`).waitFor()
  const [shown, truth] = await Promise.all([campaignDrawn(page, campaignId), report()])
  const reported = { status: truth.status, counts: Object.fromEntries(CAMPAIGN_COUNTS.map((key) => [key, truth[key]])) }
  return JSON.stringify({ status: shown.status, counts: shown.counts }) === JSON.stringify(reported) ? shown : undefined
}

/** The journey's steps through the panels, on the page the test file opened (read when called: it opens before the tests). */
export function panels(current: () => Page) {
  return {
    /** Calls a function from the Functions panel and gives back the reply it shows. */
    async callFromPanel(name: string, data: unknown, openid = ''): Promise<any> {
      const page = current()
      await page.click('#tab-functions')
      await page.locator('#fn-name option').first().waitFor({ state: 'attached' })
      await page.selectOption('#fn-name', name)
      await page.fill('#fn-openid', openid)
      await page.fill('#fn-data', JSON.stringify(data))
      await page.evaluate(() => (document.querySelector('#fn-reply')!.textContent = ''))
      await page.click('#fn-call')
      await page.waitForFunction(() => document.querySelector('#fn-reply')!.textContent !== '')
      return JSON.parse((await page.textContent('#fn-reply'))!)
    },

    /** The project's grant and WeChat's, for a user and template, as the Ledger panel shows them. */
    async ledgerRow(openid: string, templateId: string): Promise<{ own: string; wechat: string } | undefined> {
      const page = current()
      if ((await page.getAttribute('#tab-ledger', 'aria-selected')) !== 'true') await page.click('#tab-ledger')
      const row = page.locator(`tr[data-grant="${openid}:${templateId}"]`)
      if ((await row.count()) === 0) return undefined
      return { own: (await row.locator('td.own').textContent())!, wechat: (await row.locator('td.wechat').textContent())! }
    },

    /** The Phone panel's user accepts the template in the popup; gives what the popup resolved with. */
    async acceptInPopup(templateId: string): Promise<unknown> {
      const page = current()
      await page.evaluate(() => (document.querySelector('#popup-status')!.textContent = ''))
      await page.click('#phone-ask')
      await page.selectOption(`select[data-template="${templateId}"]`, 'accept')
      await page.click('#popup-answer')
      await expect.poll(() => page.textContent('#popup-status')).toContain('requestSubscribeMessage:ok')
      return JSON.parse((await page.textContent('#popup-status'))!)
    },

    /** Waits until the Queue panel lists the message under that status. */
    async queueShows(status: string, messageId: string): Promise<void> {
      const page = current()
      await page.click('#tab-queue')
      await page.selectOption('#queue-status', status)
      await page.locator(`tr[data-message="${messageId}"]`).waitFor()
    },
  }
}
