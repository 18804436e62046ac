/**
 * The benchmark's project (the one deployed, plus the naive baseline as a
 * function of its own and its collection) and the driver that fills it with
 * users, grants and due messages through the emulator's control API.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EJSON } from 'bson'
import { build } from 'esbuild'
import registry from '../templates.json'
import { FUNCTION_BUILD } from '../scripts/build'
import type { CpuSnapshot } from '../emulator/cpu'
import { ROOT, type RunningEmulator } from '../emulator/spawn'
import { newMessage } from '../src/outbox/outbox'

export const TEMPLATE = registry.templates[1]!
export const DATA = Object.fromEntries(TEMPLATE.keywords.map((k) => [k.key, { value: k.example }]))
export const PROJECT = join(ROOT, 'build/bench-project')

/**
 * The project as deployed, plus the baseline function (its collection is made
 * at run time, `createCollection`: declared in db/, it would change the schema
 * version and the product's functions would refuse to serve).
 */
export async function assembleProject(): Promise<void> {
  rmSync(PROJECT, { recursive: true, force: true })
  mkdirSync(PROJECT, { recursive: true })
  for (const file of ['project.config.json', 'cloudbaserc.json', 'templates.json', 'emulator.config.json', 'db', 'miniprogram/app.json', 'cloudfunctions']) {
    cpSync(join(ROOT, file), join(PROJECT, file), { recursive: true, filter: (src) => !src.endsWith('.ts') })
  }
  const dir = join(PROJECT, 'cloudfunctions/bench-baseline')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-baseline', main: 'index.js' }))
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ permissions: { openapi: ['subscribeMessage.send'] } }))
  await build({ ...FUNCTION_BUILD, entryPoints: [join(__dirname, 'baseline.ts')], outfile: join(dir, 'index.js') })
  const rc = JSON.parse(readFileSync(join(PROJECT, 'cloudbaserc.json'), 'utf8'))
  rc.functions.push({ name: 'bench-baseline', timeout: 900 })
  writeFileSync(join(PROJECT, 'cloudbaserc.json'), JSON.stringify(rc, null, 2))
}

/** What WeChat received since the counters were last reset: token fetches by endpoint, sends by transport. */
export interface WechatCounts {
  tokenFetches: { stable_token: number; token: number }
  sends: { https: number; cloud: number }
}

export class Harness {
  constructor(readonly emulator: RunningEmulator) {}

  async admin(params: Record<string, unknown>): Promise<any> {
    const reply = await this.emulator.request('POST', '/admin', { envName: 'local', ...params })
    if (reply.body?.code) throw new Error(`${params.action}: ${reply.body.code} ${reply.body.message}`)
    return reply.body
  }

  async createCollection(name: string): Promise<void> {
    await this.admin({ action: 'database.addCollection', collectionName: name })
  }

  async insert(collection: string, docs: Array<Record<string, unknown>>): Promise<void> {
    for (let i = 0; i < docs.length; i += 1000) {
      const data = docs.slice(i, i + 1000).map((doc) => EJSON.stringify(doc, { relaxed: false }))
      await this.admin({ action: 'database.insertDocument', collectionName: collection, data })
    }
  }

  /** Users who accepted the template `grants` times, at WeChat and in the ledger. */
  async grantedUsers(prefix: string, count: number, grants = 1): Promise<string[]> {
    const users = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`)
    const popups = users.flatMap((openid) => Array.from({ length: grants }, () => openid))
    for (let i = 0; i < popups.length; i += 16) {
      await Promise.all(
        popups.slice(i, i + 16).map((openid) => this.emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { [TEMPLATE.id]: 'accept' } })),
      )
    }
    await this.insert(
      'grants',
      users.map((openid) => ({ _id: `${openid}:${TEMPLATE.id}`, openid, templateId: TEMPLATE.id, kind: 'one-time', available: grants, status: 'accept', accepted: grants })),
    )
    return users
  }

  async dueMessages(users: string[], dueAt: Date, prefix: string): Promise<void> {
    await this.insert(
      'messages',
      users.map((touser, i) =>
        newMessage({
          _id: `${prefix}${i}`,
          idempotencyKey: `bench:${prefix}${i}`,
          fingerprint: 'bench',
          requestedBy: 'server',
          touser,
          templateId: TEMPLATE.id,
          data: DATA,
          page: null,
          miniprogramState: 'formal',
          lang: 'zh_CN',
          sendAt: dueAt,
        }),
      ),
    )
  }

  async stats(): Promise<{ db: number; examined: number; rss: number; cpu: CpuSnapshot; wechat: WechatCounts }> {
    const body = (await this.emulator.request('GET', '/_emulator/stats')).body
    const db = Object.entries(body.requests.byAction as Record<string, number>)
      .filter(([action]) => action.startsWith('database.'))
      .reduce((sum, [, n]) => sum + n, 0)
    return { db, examined: body.documentsExamined, rss: body.memory.rss, cpu: body.cpu, wechat: body.wechat }
  }

  async delivered(): Promise<Array<{ touser: string }>> {
    return (await this.emulator.request('GET', '/_emulator/wechat/messages')).body.data
  }

  async tick(at: number): Promise<any> {
    const reply = await this.emulator.trigger('send', new Date(at).toISOString())
    if (reply.status !== 200) throw new Error(`tick failed: ${JSON.stringify(reply.body)}`)
    const report = (reply.body.result as { report?: unknown } | undefined)?.report
    if (!report) throw new Error(`tick answered no report: ${JSON.stringify(reply.body).slice(0, 500)}`)
    return report
  }
}
