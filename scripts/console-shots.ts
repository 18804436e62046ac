/**
 * npm run console:shots: a picture of each panel of the local console, in
 * docs/console/<panel>.png, for the README. It starts the local cloud in
 * memory, plays a short day on it (users accept templates in the popup,
 * sends now and later, a broadcast, a send WeChat refuses), then opens every
 * panel the console lists in a browser set to UTC+8, as the developer's.
 */
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import registry from '../templates.json'
import { spawnEmulator, type RunningEmulator } from '../emulator/spawn'
import { launchBrowser } from '../test/support/browser'

const root = resolve(__dirname, '..')
const SHOTS = join(root, 'docs/console')
const [APPOINTMENT, ORDER, EVENT] = registry.templates
const example = (t: (typeof registry.templates)[number]) => Object.fromEntries(t.keywords.map((k) => [k.key, k.example]))

/** What the pictures show: three users, their grants, messages in every state, a campaign, WeChat's funnel. */
async function playADay(emulator: RunningEmulator): Promise<{ scheduled: string }> {
  const accepts: Record<string, string[]> = {
    oDemoAlice: [APPOINTMENT!.id, EVENT!.id, ORDER!.id],
    oDemoBob: [ORDER!.id, ORDER!.id],
    oDemoCarol: [ORDER!.id, EVENT!.id],
  }
  for (const [openid, ids] of Object.entries(accepts)) {
    await emulator.result('login', {}, { openid })
    for (const [i, id] of ids.entries()) {
      const popup = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { [id]: 'accept' } })
      await emulator.result('subscribe-record', { results: popup.body, requestId: `shots-${openid}-${i}` }, { openid })
    }
  }
  await emulator.request('POST', '/_emulator/wechat/subscribe', { openid: 'oDemoDave', choices: { [ORDER!.id]: 'reject' } })
  await emulator.result('send', { touser: 'oDemoAlice', templateId: ORDER!.id, data: example(ORDER!), page: 'pages/index/index' })
  await emulator.result('send', { touser: 'oDemoCarol', templateId: EVENT!.id, data: example(EVENT!) })
  const later = await emulator.result('send', {
    touser: 'oDemoAlice',
    templateId: APPOINTMENT!.id,
    data: { ...example(APPOINTMENT!), thing1: '复查牙齿' },
    sendAt: new Date(Date.now() + 3 * 3_600_000).toISOString(),
  })
  await emulator.result('send', { action: 'broadcast', templateId: ORDER!.id, data: example(ORDER!) })
  await emulator.trigger('send')
  // WeChat refuses one send (43101, injected: Bob's second grant), and the Queue and the funnel show the refusal.
  await emulator.request('PUT', '/_emulator/wechat/faults', { errcode: 43101, rate: 1 })
  await emulator.result('send', { touser: 'oDemoBob', templateId: ORDER!.id, data: example(ORDER!) })
  await emulator.request('DELETE', '/_emulator/wechat/faults')
  return { scheduled: later.messageId }
}

/** Before the picture of a panel: what to open in it, so that it shows more than its empty state. */
const PREPARE: Record<string, (page: Page, scene: { scheduled: string }) => Promise<void>> = {
  phone: async (page) => {
    await page.locator('#phone-user option[value="oDemoAlice"]').waitFor({ state: 'attached' })
    await page.selectOption('#phone-user', 'oDemoAlice')
  },
  data: async (page, { scheduled }) => {
    await page.locator(`tr[data-doc="${scheduled}"]`).click()
    await page.locator('#db-editor li').first().waitFor()
  },
}

async function main(): Promise<void> {
  mkdirSync(SHOTS, { recursive: true })
  const emulator = await spawnEmulator({ project: root, args: ['--no-timers'] })
  const browser = await launchBrowser()
  try {
    const scene = await playADay(emulator)
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 }, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' })).newPage()
    await page.goto(emulator.url)
    await page.waitForFunction(() => document.fonts.check('16px "Noto Sans SC"', '服务通知'))
    const panels = await page.locator('#tabs button').evaluateAll((tabs) => tabs.map((tab) => tab.getAttribute('data-panel')!))
    for (const panel of panels) {
      await page.goto(`${emulator.url}/#${panel === 'data' ? 'data/messages' : panel}`)
      await page.locator('#panel > *').first().waitFor()
      await PREPARE[panel]?.(page, scene)
      // Two refreshes (one a second), so that every live part has drawn.
      await page.waitForTimeout(2200)
      await page.screenshot({ path: join(SHOTS, `${panel}.png`) })
      console.log(`docs/console/${panel}.png`)
    }
  } finally {
    await browser.close()
    await emulator.stop()
  }
}

main().catch((error) => {
  console.error(`console:shots: ${error instanceof Error ? error.stack : error}`)
  process.exit(1)
})
