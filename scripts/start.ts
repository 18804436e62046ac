/**
 * npm start: the local cloud with this project's functions, its data kept in
 * .data/emulator/, its database brought to db/ by the deploy's migration step. The first start seeds a demo (simulated users who accept
 * templates, a reminder scheduled a minute ahead, a small broadcast); later
 * starts keep the data and seed nothing.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import registry from '../templates.json'
import { spawnEmulator, type RunningEmulator } from '../emulator/spawn'
import { openTarget } from './deploy/management'
import { migrateDatabase, migrationPlan } from './deploy/migrate'

const root = resolve(__dirname, '..')
/**
 * EMULATOR_DATA moves the data elsewhere (the tests start it in a folder of
 * their own); EMULATOR_ARGS adds emulator options (a test adds --time-travel
 * to see the demo's reminder go out without waiting a minute).
 */
const DATA = resolve(process.env.EMULATOR_DATA ?? join(root, '.data/emulator'))
const SEEDED = join(DATA, 'demo-seeded')
const [APPOINTMENT, ORDER, EVENT] = registry.templates
const example = (t: (typeof registry.templates)[number]) => Object.fromEntries(t.keywords.map((k) => [k.key, k.example]))

async function seedDemo(emulator: RunningEmulator): Promise<string[]> {
  const users = ['oDemoAlice', 'oDemoBob', 'oDemoCarol']
  const accepts: Record<string, string[]> = {
    oDemoAlice: [APPOINTMENT!.id, EVENT!.id],
    oDemoBob: [ORDER!.id],
    oDemoCarol: [ORDER!.id, EVENT!.id],
  }
  for (const openid of users) {
    await emulator.result('login', {}, { openid })
    const popup = await emulator.request('POST', '/_emulator/wechat/subscribe', {
      openid,
      choices: Object.fromEntries(accepts[openid]!.map((id) => [id, 'accept'])),
    })
    await emulator.result('subscribe-record', { results: popup.body, requestId: `demo-${openid}` }, { openid })
  }
  const inAMinute = new Date(Date.now() + 60_000)
  const reminder = await emulator.result(
    'send',
    { touser: 'oDemoAlice', templateId: APPOINTMENT!.id, data: { ...example(APPOINTMENT!), thing1: '演示：复查牙齿' }, sendAt: inAMinute.toISOString() },
    { openid: 'oDemoAlice' },
  )
  const broadcast = await emulator.result('send', { action: 'broadcast', templateId: ORDER!.id, data: example(ORDER!) })
  return [
    `demo: 3 users logged in and accepted templates; Alice scheduled a reminder for ${inAMinute.toISOString()} (${reminder.messageId});`,
    `demo: a broadcast of 「${ORDER!.title}」 to its 2 holders (${broadcast.campaignId}). The timer sends both within a minute or two.`,
  ]
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8900)
  mkdirSync(DATA, { recursive: true })
  // Timers on: the dispatcher runs every minute, as deployed.
  const extra = process.env.EMULATOR_ARGS ? process.env.EMULATOR_ARGS.split(' ').filter(Boolean) : []
  const emulator = await spawnEmulator({ project: root, data: DATA, port, args: extra, echo: true })
  console.log(`console ${emulator.url}/`)
  // The same migration step as a deploy, so the local cloud holds what a deployed one does (the schema record too).
  const { envId } = (await emulator.request('GET', '/_emulator/health')).body as { envId: string }
  const target = openTarget({ emulator: emulator.url, envId, env: process.env })
  const dbDir = join(root, 'db')
  await migrateDatabase(target, await migrationPlan(target, dbDir, false), (line) => console.log(line))
  const first = !existsSync(SEEDED)
  const lines = first ? await seedDemo(emulator) : ['demo: data kept from the last start; nothing seeded']
  if (first) writeFileSync(SEEDED, new Date().toISOString())
  const url = emulator.url
  console.log(
    [
      '',
      ...lines,
      '',
      `The local console: ${url}/ (messages appear there as cards, on the Phone panel)`,
      "Here a card opens the mini-program's developer version (开发版) unless its request names miniprogramState (settings.json: cards).",
      `The local cloud is at ${url}`,
      'Watch WeChat deliver:',
      `  curl ${url}/_emulator/wechat/messages`,
      'Try the operator commands:',
      `  npm run admin -- --emulator ${url} stats`,
      `  npm run admin -- --emulator ${url} grants oDemoCarol`,
      `  npm run admin -- --emulator ${url} send --to oDemoCarol --template ${EVENT!.id} --data '${JSON.stringify(example(EVENT!))}'`,
      `Call a function as a user:`,
      `  curl -X POST ${url}/_emulator/functions/login/call -H 'content-type: application/json' -d '{"data":{},"user":{"openid":"oDemoBob"}}'`,
      'Ctrl-C stops it; the data stays in .data/emulator/.',
      '',
    ].join('\n'),
  )
  const stop = () => void emulator.stop().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((error) => {
  console.error(`start: ${error instanceof Error ? error.message : error}`)
  process.exit(1)
})
