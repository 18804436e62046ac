/**
 * npm run bench:console — the local console with 100,000 messages in the
 * database: the page's load in a real browser, and what each panel's refresh
 * asks of the emulator (its requests, the documents they examine, and the
 * time they take). Prints a table and, last, one JSON line.
 */
import { EJSON } from 'bson'
import { launchBrowser } from '../test/support/browser'
import { ROOT, spawnEmulator, type RunningEmulator } from '../emulator/spawn'

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000)
const STATUSES: Array<[status: string, share: number]> = [['sent', 0.9], ['scheduled', 0.05], ['failed', 0.03], ['cancelled', 0.02]]
const TEMPLATE = 'Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w'

/** 100,000 messages of the project's shape, written through /admin in batches of 1,000. */
async function seed(emulator: RunningEmulator): Promise<void> {
  const statusOf = (i: number) => {
    let at = (i % 1000) / 1000
    for (const [status, share] of STATUSES) if ((at -= share) < 0) return status
    return 'sent'
  }
  for (let start = 0; start < MESSAGES; start += 1000) {
    const data = Array.from({ length: Math.min(1000, MESSAGES - start) }, (_, k) => {
      const i = start + k
      const status = statusOf(i)
      const due = new Date(Date.UTC(2026, 10, 1) + i * 1000)
      return EJSON.stringify({
        _id: `msg_bench_${String(i).padStart(6, '0')}`,
        idempotencyKey: `bench:${i}`,
        touser: `oBench${i % 500}`,
        templateId: TEMPLATE,
        data: { thing2: { value: '保温杯' } },
        status,
        sendAt: status === 'scheduled' ? due : null,
        dueAt: status === 'scheduled' ? due : null,
        shard: i % 8,
        queueSlot: `msg_bench_${i}`,
        tries: status === 'sent' ? 1 : 0,
        code: status === 'failed' ? 'NO_QUOTA' : null,
        attempts: [],
      }, { relaxed: false })
    })
    const reply = await emulator.request('POST', '/admin', { action: 'database.insertDocument', collectionName: 'messages', data })
    if (reply.body.code) throw new Error(`seeding failed: ${JSON.stringify(reply.body)}`)
  }
}

/** One panel's refresh, as the console asks it: its requests in parallel, timed, with the documents they examine. */
async function refresh(emulator: RunningEmulator, paths: string[]): Promise<{ ms: number; requests: number; examined: number }> {
  await emulator.request('DELETE', '/_emulator/stats')
  const started = performance.now()
  await Promise.all(paths.map((path) => emulator.request('GET', path)))
  const ms = performance.now() - started
  const stats = (await emulator.request('GET', '/_emulator/stats')).body
  return { ms, requests: paths.length, examined: stats.documentsExamined }
}

const filter = (value: unknown) => encodeURIComponent(JSON.stringify(value))

async function main(): Promise<void> {
  const emulator = await spawnEmulator({ project: ROOT })
  try {
    const seeding = performance.now()
    await seed(emulator)
    const seededMs = performance.now() - seeding
    const statuses = ['scheduled', 'sending', 'sent', 'failed', 'unknown', 'cancelled']
    const panels: Record<string, string[]> = {
      queue: [
        ...statuses.map((status) => `/_emulator/db/messages/count?filter=${filter({ status })}`),
        `/_emulator/db/messages?limit=50&after=0&filter=${filter({ status: 'failed' })}`,
        '/_emulator/wechat/deliveries?minutes=30',
        '/_emulator/db/campaigns?limit=20&after=0',
      ],
      data: ['/_emulator/db/messages?limit=50&after=0', '/_emulator/db/messages?limit=50&after=99900'],
      // The worst filtered page: a status no message has, so the page reads as far as it may.
      queue_rare: [`/_emulator/db/messages?limit=50&after=0&filter=${filter({ status: 'unknown' })}`],
      ledger: ['/_emulator/db/grants?limit=200&after=0', '/_emulator/wechat/grants'],
      phone: ['/_emulator/wechat/templates', '/_emulator/wechat/users', '/_emulator/wechat/messages?touser=oBench1'],
    }
    const figures: Record<string, { ms: number; requests: number; examined: number }> = {}
    for (const [panel, paths] of Object.entries(panels)) {
      await refresh(emulator, paths) // warm
      figures[panel] = await refresh(emulator, paths)
    }

    const browser = await launchBrowser()
    try {
      const page = await browser.newPage()
      const loading = performance.now()
      await page.goto(`${emulator.url}/#queue`)
      await page.locator('#queue-counts div[data-status="sent"]').waitFor()
      const loadMs = performance.now() - loading
      const switching = performance.now()
      await page.click('#tab-data')
      await page.locator('#db-collection option').first().waitFor({ state: 'attached' })
      await page.selectOption('#db-collection', 'messages')
      await page.waitForFunction(() => (document.querySelector('#db-docs')?.textContent ?? '').includes('msg_bench_000000'))
      const dataMs = performance.now() - switching
      console.log(`seeded ${MESSAGES} messages in ${(seededMs / 1000).toFixed(1)} s`)
      console.log(`console loaded to the Queue panel's counts in ${loadMs.toFixed(0)} ms; Data panel showed its first page in ${dataMs.toFixed(0)} ms`)
      for (const [panel, f] of Object.entries(figures)) {
        console.log(`${panel.padEnd(7)} refresh: ${f.requests} requests, ${f.examined} documents examined, ${f.ms.toFixed(1)} ms`)
      }
      console.log(JSON.stringify({ messages: MESSAGES, console_load_ms: Math.round(loadMs), data_panel_ms: Math.round(dataMs), panels: figures }))
    } finally {
      await browser.close()
    }
  } finally {
    await emulator.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
