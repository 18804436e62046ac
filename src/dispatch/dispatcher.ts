/**
 * The dispatcher, run by `send`'s timer: claims due messages in batches under
 * a lease (a conditional update that stamps a claim token), sends them with
 * bounded concurrency and never two at once to one user, and settles each
 * with one write that holds only while its claim does. A retried or
 * overlapping run can therefore never send a message twice; a crashed run's
 * messages are taken over when their lease ends. A large backlog is split
 * over parallel invocations, one per shard of recipients.
 */
import { randomBytes } from 'node:crypto'
import type { Database, SubscribeMessageRequest, WechatOutcome } from '../cloud'
import { Ledger } from '../ledger/ledger'
import { DAILY_LIMIT, deliver, type Delivery } from '../outbox/deliver'
import { MESSAGES, Outbox, SHARDS, type MessageChange, type MessageRecord } from '../outbox/outbox'
import { CODES } from '../replies'
import type { DispatchSettings } from '../settings'
import { findTemplate } from '../templates/registry'

export interface DispatchReport {
  claimed: number
  sent: number
  failed: number
  unknown: number
  rescheduled: number
  /** Claimed but given back unsent (a daily limit, or the deadline). */
  released: number
  /** Settled after another run had taken the message over: the send may have been a duplicate. */
  lostClaims: number
  stoppedBy: 'drained' | 'deadline' | 'daily-limit'
  /** Parallel invocations this run fanned out to. */
  fannedOut: number
}

export interface DispatchDeps {
  db: Database
  wechat: (request: SubscribeMessageRequest, timeoutMs: number) => Promise<WechatOutcome>
  wechatTimeoutMs: number
  settings: DispatchSettings
  /** The dispatcher's clock (epoch ms); a test may run it ahead of the server's. */
  clock: () => number
  sleep: (ms: number) => Promise<void>
  /** Runs one shard in a parallel invocation (cloud.callFunction of `send` itself). */
  fanOut: (shard: number, deadline: number) => Promise<DispatchReport>
}

export const emptyReport = (): DispatchReport => ({
  claimed: 0,
  sent: 0,
  failed: 0,
  unknown: 0,
  rescheduled: 0,
  released: 0,
  lostClaims: 0,
  stoppedBy: 'drained',
  fannedOut: 0,
})

function merge(into: DispatchReport, other: DispatchReport): DispatchReport {
  for (const key of ['claimed', 'sent', 'failed', 'unknown', 'rescheduled', 'released', 'lostClaims', 'fannedOut'] as const) into[key] += other[key]
  if (other.stoppedBy === 'daily-limit' || (other.stoppedBy === 'deadline' && into.stoppedBy === 'drained')) into.stoppedBy = other.stoppedBy
  return into
}

export class Dispatcher {
  private readonly outbox: Outbox
  private readonly ledger: Ledger

  constructor(private readonly deps: DispatchDeps) {
    this.outbox = new Outbox(deps.db)
    this.ledger = new Ledger(deps.db)
  }

  /** One timer tick: dispatch what is due, fanning out when the backlog is more than one invocation can send. */
  async tick(deadline: number): Promise<DispatchReport> {
    const _ = this.deps.db.command
    const now = new Date(this.deps.clock())
    // Counted from the (status, dueAt) index alone: no document is read, whatever the backlog.
    const { total: backlog } = await this.deps.db.collection(MESSAGES).where({ status: 'scheduled', dueAt: _.lte(now) }).count()
    if (backlog < this.deps.settings.fanOutThreshold) return this.run(undefined, deadline)
    const reports = await Promise.all(Array.from({ length: SHARDS }, (_s, shard) => this.deps.fanOut(shard, deadline)))
    return reports.reduce(merge, { ...emptyReport(), fannedOut: SHARDS })
  }

  /** Claims and sends, batch after batch, until nothing is due, the deadline, or WeChat's daily limit. */
  async run(shard: number | undefined, deadline: number): Promise<DispatchReport> {
    const report = emptyReport()
    for (;;) {
      if (Date.now() >= deadline) {
        report.stoppedBy = 'deadline'
        return report
      }
      const token = randomBytes(12).toString('hex')
      const batch = await this.claim(shard, token)
      if (batch.length === 0) return report
      report.claimed += batch.length
      const stop = await this.send(batch, token, deadline, report)
      if (stop) {
        report.released += await this.release(token)
        report.stoppedBy = stop
        return report
      }
    }
  }

  /**
   * Takes up to a batch of due messages: queued ones, and ones whose lease
   * ended (a crashed run's). Paged by the (status, shard, dueAt) index, never
   * by skip; one conditional update claims them all, and only those it
   * stamped with this run's token are this run's.
   */
  private async claim(shard: number | undefined, token: string): Promise<MessageRecord[]> {
    const { db, settings } = this.deps
    const _ = db.command
    const now = new Date(this.deps.clock())
    const scope = shard === undefined ? {} : { shard }
    const due = async (status: string, limit: number) =>
      (
        await db
          .collection(MESSAGES)
          .where({ status, ...scope, dueAt: _.lte(now) })
          .orderBy('dueAt', 'asc')
          .limit(limit)
          .field({ _id: true })
          .get()
      ).data.map((d) => d._id as string)
    const ids = await due('scheduled', settings.batchSize)
    if (ids.length < settings.batchSize) ids.push(...(await due('sending', settings.batchSize - ids.length)))
    if (ids.length === 0) return []
    await db
      .collection(MESSAGES)
      .where({ _id: _.in(ids), status: _.in(['scheduled', 'sending']), dueAt: _.lte(now) })
      .update({ data: { status: 'sending', claimToken: token, dueAt: new Date(now.getTime() + settings.leaseMs) } })
    const { data } = await db.collection(MESSAGES).where({ claimToken: token }).limit(settings.batchSize).get()
    return data as unknown as MessageRecord[]
  }

  /**
   * Sends a batch with at most `concurrency` in flight and one user's
   * messages one after another. Returns why it stopped early, if it did.
   */
  private async send(batch: MessageRecord[], token: string, deadline: number, report: DispatchReport): Promise<DispatchReport['stoppedBy'] | undefined> {
    const byUser = new Map<string, MessageRecord[]>()
    for (const message of batch) byUser.set(message.touser, [...(byUser.get(message.touser) ?? []), message])
    const users = [...byUser.values()]
    let stop: DispatchReport['stoppedBy'] | undefined
    const worker = async () => {
      for (let queue = users.shift(); queue; queue = users.shift()) {
        for (const message of queue) {
          if (!stop && Date.now() >= deadline) stop = 'deadline'
          if (stop) return
          const delivery = await this.deliverOne(message)
          const { change, dailyLimit } = this.settle(message, delivery)
          if (dailyLimit) stop = 'daily-limit'
          const held = await this.outbox.update(message._id, { ...change, claimToken: null }, delivery.attempts, { claimToken: token })
          if (!held) report.lostClaims += 1
          count(report, change)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.deps.settings.concurrency, users.length) }, worker))
    return stop
  }

  private async deliverOne(message: MessageRecord): Promise<Delivery> {
    const template = findTemplate(message.templateId)
    if (!template) {
      return { kind: 'refused', code: CODES.TEMPLATE_NOT_FOUND, errcode: 40037, errmsg: `template ${message.templateId} left the registry`, attempts: [] }
    }
    const { wechat, wechatTimeoutMs, sleep } = this.deps
    return deliver({ ledger: this.ledger, wechat, wechatTimeoutMs, sleep, now: () => new Date(this.deps.clock()) }, template, message)
  }

  /** What one delivery does to a queued message: final, or back in the queue after a backoff. */
  private settle(message: MessageRecord, delivery: Delivery): { change: MessageChange; dailyLimit: boolean } {
    const tries = message.tries + 1
    const final = { dueAt: null, tries }
    switch (delivery.kind) {
      case 'sent':
        return { change: { status: 'sent', msgid: delivery.msgid, ...final }, dailyLimit: false }
      case 'no_quota':
        return { change: { status: 'failed', code: CODES.NO_QUOTA, errcode: delivery.errcode, errmsg: delivery.errmsg, ...final }, dailyLimit: false }
      case 'refused':
        return { change: { status: 'failed', code: delivery.code, errcode: delivery.errcode, errmsg: delivery.errmsg, ...final }, dailyLimit: false }
      case 'unknown':
        return { change: { status: 'unknown', code: CODES.UNKNOWN_OUTCOME, errcode: delivery.errcode, errmsg: delivery.errmsg, ...final }, dailyLimit: false }
      case 'transient': {
        const now = this.deps.clock()
        // The daily limit is nobody's fault: back in the queue as it was, and the run ends.
        if (delivery.errcode === DAILY_LIMIT) {
          return { change: { status: 'scheduled', dueAt: new Date(now), errcode: delivery.errcode, errmsg: delivery.errmsg }, dailyLimit: true }
        }
        if (tries >= this.deps.settings.maxTries) {
          return { change: { status: 'failed', code: CODES.RETRYABLE, errcode: delivery.errcode, errmsg: delivery.errmsg, ...final }, dailyLimit: false }
        }
        return {
          change: { status: 'scheduled', dueAt: new Date(now + this.backoff(tries)), tries, errcode: delivery.errcode, errmsg: delivery.errmsg },
          dailyLimit: false,
        }
      }
    }
  }

  /** Exponential, capped, with ±20% jitter so that retries of a burst spread out. */
  private backoff(tries: number): number {
    const { retryBaseMs, retryMaxMs } = this.deps.settings
    const wait = Math.min(retryMaxMs, retryBaseMs * 2 ** (tries - 1))
    return Math.round(wait * (0.8 + Math.random() * 0.4))
  }

  /** Gives back what this run claimed but did not send. */
  private async release(token: string): Promise<number> {
    const { stats } = await this.deps.db
      .collection(MESSAGES)
      .where({ claimToken: token, status: 'sending' })
      .update({ data: { status: 'scheduled', claimToken: null, dueAt: new Date(this.deps.clock()) } })
    return stats.updated
  }
}

function count(report: DispatchReport, change: MessageChange): void {
  if (change.status === 'sent') report.sent += 1
  else if (change.status === 'failed') report.failed += 1
  else if (change.status === 'unknown') report.unknown += 1
  else report.rescheduled += 1
}
