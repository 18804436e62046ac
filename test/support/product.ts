/** Helpers for driving the product's functions through the emulator, as the mini-program and a server would. */
import { EJSON } from 'bson'
import { afterAll, beforeAll } from 'vitest'
import registry from '../../templates.json'
import { spawnEmulator, type RunningEmulator, type User } from '../../emulator/spawn'
import { late } from './emulator'

export const TEMPLATES = registry.templates
/** One-time, self-service: appointment reminder. */
export const APPOINTMENT = TEMPLATES[0]!.id
/** One-time, not self-service: order shipped. */
export const ORDER = TEMPLATES[1]!.id
/** One-time, self-service, with an enum. */
export const EVENT = TEMPLATES[2]!.id
/** Long-term: class reminder. */
export const CLASS = TEMPLATES[4]!.id

/** Valid data for a template, from the registry's examples. */
export function exampleData(templateId: string): Record<string, string> {
  const template = TEMPLATES.find((t) => t.id === templateId)!
  return Object.fromEntries(template.keywords.map((k) => [k.key, k.example]))
}

let userSeq = 0
export const newOpenid = (prefix = 'oP') => `${prefix}${Date.now().toString(36)}${(userSeq++).toString(36)}`

export class Product {
  constructor(readonly emulator: RunningEmulator) {}

  /** The popup answered by the user, then reported to subscribe-record as the mini-program does. */
  async subscribe(openid: string, choices: Record<string, 'accept' | 'reject' | 'ban'>, requestId?: string) {
    const popup = await this.emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices })
    if (popup.status !== 200) throw new Error(`popup failed: ${JSON.stringify(popup.body)}`)
    const reply = await this.emulator.result('subscribe-record', { results: popup.body, ...(requestId ? { requestId } : {}) }, { openid })
    if (!reply.ok) throw new Error(`subscribe-record failed: ${JSON.stringify(reply)}`)
    return reply
  }

  send(request: Record<string, unknown>, user?: User): Promise<any> {
    return this.emulator.result('send', request, user)
  }

  async oracleQuota(openid: string, templateId: string): Promise<{ available: number; kind: string; status: string }> {
    return (await this.emulator.request('GET', `/_emulator/wechat/quota?openid=${openid}&templateId=${templateId}`)).body
  }

  /** The grant as `subscribe-record` reports it, uncertain units included. */
  async grant(openid: string, templateId: string): Promise<{ available: number; kind: string; status: string; uncertain: number }> {
    const reply = await this.emulator.result('subscribe-record', { action: 'status', templateIds: [templateId] }, { openid })
    return reply.grants[templateId]
  }

  /** The ledger's count in the oracle's shape, to hold the two against each other. */
  async ledger(openid: string, templateId: string): Promise<{ available: number; kind: string; status: string }> {
    const { available, kind, status } = await this.grant(openid, templateId)
    return { available, kind, status }
  }

  async delivered(touser?: string): Promise<any[]> {
    return (await this.emulator.request('GET', `/_emulator/wechat/messages${touser ? `?touser=${touser}` : ''}`)).body.data
  }

  /** Every document of a collection, read a page at a time so that none is left out. */
  async collection(name: string): Promise<any[]> {
    const all: any[] = []
    for (let offset = 0; ; offset += 1000) {
      const page = (await this.emulator.request('GET', `/_emulator/db/${name}?limit=1000&offset=${offset}`)).body.data
      // The route answers relaxed EJSON: dates come back as Dates.
      all.push(...page.map((doc: Record<string, unknown>) => EJSON.deserialize(doc, { relaxed: true })))
      if (page.length < 1000) return all
    }
  }

  /** The documents of a collection that pass `filter` (a query in the database's language), read a range at a time. */
  async where(name: string, filter: Record<string, unknown>): Promise<any[]> {
    const all: any[] = []
    const query = encodeURIComponent(JSON.stringify(filter))
    for (let after: number | null = 0; after !== null; ) {
      const reply = await this.emulator.request('GET', `/_emulator/db/${name}?limit=1000&after=${after}&filter=${query}`)
      if (reply.status !== 200) throw new Error(`reading ${name}: ${JSON.stringify(reply.body)}`)
      all.push(...reply.body.data.map((doc: Record<string, unknown>) => EJSON.deserialize(doc, { relaxed: true })))
      after = reply.body.next
    }
    return all
  }

  private async admin(params: Record<string, unknown>): Promise<any> {
    const reply = await this.emulator.request('POST', '/admin', { envName: 'local', ...params })
    if (reply.body?.code) throw new Error(`${params.action}: ${reply.body.message}`)
    return reply.body
  }

  /** Forgets the dispatcher's state (a daily-limit pause, fan-out), as a new day and a quiet queue would. */
  async clearDispatchState(): Promise<void> {
    await this.admin({ action: 'database.removeDocument', collectionName: 'dispatch_state', query: '{}', multi: true })
  }

  /** Cancels whatever an earlier test left queued, so that a test's tick sends only its own messages. */
  async cancelQueued(): Promise<void> {
    await this.admin({
      action: 'database.modifyDocument',
      collectionName: 'messages',
      query: JSON.stringify({ status: { $in: ['scheduled', 'sending'] } }),
      data: JSON.stringify({ $set: { status: 'cancelled', dueAt: null, claimToken: null } }),
      multi: true,
      merge: true,
    })
  }

  /** One run of send's timer at the function's clock `time` (the emulator started with --time-travel): its report, or the test fails. */
  async tick(time: number): Promise<any> {
    const reply = await this.emulator.trigger('send', new Date(time).toISOString())
    const result = reply.body.result as { ok?: boolean; report?: unknown } | undefined
    if (reply.status !== 200 || !result?.ok) throw new Error(`tick failed: ${JSON.stringify(reply.body)}`)
    return result.report
  }

  faults(settings: Record<string, unknown> | null) {
    return settings === null ? this.emulator.request('DELETE', '/_emulator/wechat/faults') : this.emulator.request('PUT', '/_emulator/wechat/faults', settings)
  }

  /** Faults of the database's requests from the functions (`PUT /_emulator/database/faults`); null clears them. */
  async databaseFaults(settings: Record<string, unknown> | null): Promise<void> {
    const reply = settings === null ? await this.emulator.request('DELETE', '/_emulator/database/faults') : await this.emulator.request('PUT', '/_emulator/database/faults', settings)
    if (reply.status !== 200) throw new Error(`database faults refused: ${JSON.stringify(reply.body)}`)
  }
}

/**
 * Starts the project's emulator for the test file (started before its tests,
 * stopped after) and gives the running emulator and a Product over it.
 */
export function useProduct(args: string[] = ['--no-timers', '--max-instances', '20']): { emulator: RunningEmulator; product: Product } {
  let emulator: RunningEmulator | undefined
  let product: Product | undefined
  beforeAll(async () => {
    emulator = await spawnEmulator({ args })
    product = new Product(emulator)
  })
  afterAll(() => emulator?.stop())
  return { emulator: late(() => emulator!), product: late(() => product!) }
}
