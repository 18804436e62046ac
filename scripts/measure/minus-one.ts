/**
 * What the -1 policy costs: 300 one-time messages, 30% of sends answered -1, the share
 * `deliverFirst` of those after WeChat delivered. Prints one JSON line.
 * usage: npx tsx scripts/measure/minus-one.ts <deliverFirst 0..1>   (PROJECT=<dir> to measure another project)
 */
import { spawnEmulator } from '../../emulator/spawn'
import registry from '../../templates.json'

const ORDER = registry.templates[1]!
const data = Object.fromEntries(ORDER.keywords.map((k) => [k.key, k.example]))
async function main() {
  const deliverFirst = Number(process.argv[2])
  const emulator = await spawnEmulator({ project: process.env.PROJECT, args: ['--no-timers', '--quiet', '--time-travel', '--max-instances', '20'] })
  try {
    const users = Array.from({ length: 300 }, (_, i) => `oBusy${i}`)
    for (const openid of users) {
      const popup = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { [ORDER.id]: 'accept' } })
      await emulator.result('subscribe-record', { results: popup.body }, { openid })
    }
    const sendAt = Date.now() + 3600_000
    for (const touser of users) await emulator.result('send', { touser, templateId: ORDER.id, data, sendAt: new Date(sendAt).toISOString() })
    await emulator.request('PUT', '/_emulator/wechat/faults', { errcode: -1, rate: 0.3, deliverFirst, seed: 7 })
    for (let i = 0; i < 10; i++) if (((await emulator.trigger('send', new Date(sendAt + 1000 + i * 60_000).toISOString())).body as any).result.report.claimed === 0) break
    const delivered = (await emulator.request('GET', '/_emulator/wechat/messages')).body.data as Array<{ touser: string }>
    const per = new Map<string, number>()
    for (const m of delivered) per.set(m.touser, (per.get(m.touser) ?? 0) + 1)
    const records = (await emulator.request('GET', '/_emulator/db/messages?limit=1000')).body.data as Array<{ status: string; touser: string }>
    const unknown = records.filter((m) => m.status === 'unknown')
    const lost = users.filter((u) => !per.has(u)).length
    const duplicates = [...per.values()].reduce((n, c) => n + c - 1, 0)
    let uncertain = 0
    let below = 0
    let above = 0
    for (const openid of users) {
      const g = (await emulator.result('subscribe-record', { action: 'status', templateIds: [ORDER.id] }, { openid })).grants[ORDER.id]
      const q = (await emulator.request('GET', `/_emulator/wechat/quota?openid=${openid}&templateId=${ORDER.id}`)).body
      uncertain += g.uncertain
      below += q.available - g.available
      if (g.available > q.available) above += g.available - q.available
    }
    console.log(JSON.stringify({ deliverFirst, messages: users.length, delivered: delivered.length, unknown: unknown.length, lost, duplicates, ledgerBelowWechat: below, ledgerAboveWechat: above, uncertain }))
  } finally {
    await emulator.stop()
  }
}
main().catch((e) => { console.error(e); process.exit(1) })
