/**
 * The delivery path at the platform's real ratios, scaled down five times so
 * that a run takes seconds: send's timeout 12 s (60 s), a claim's lease 6 s
 * (30 s), a run's budget 9 s (45 s), WeChat's timeout 600 ms (3 s), the SDK's
 * default wait 3 s (15 s), and WeChat answering in 400 ms (two thirds of its
 * timeout, as 2.5 s is of 3 s) rather than a few. Claims run out mid-batch,
 * shards outlive the SDK's wait, runs overlap; WeChat's oracle says what
 * really went out.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { APPOINTMENT, CLASS, ORDER, exampleData, newOpenid, useProduct } from './support/product'
import { SCALED, scaledArgs } from './support/timing'

const { emulator, product } = useProduct(['--no-timers', '--time-travel', '--max-instances', '20', '--function-timeout', 'send:12', ...scaledArgs])

const HOUR = 3600_000
const at = (ms: number) => new Date(ms).toISOString()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const tick = (time: number) => product.tick(time)

/** Ticks a second of the run's clock apart until nothing is claimed. */
async function drain(from: number, maxTicks = 20): Promise<void> {
  for (let i = 0; i < maxTicks; i++) if ((await tick(from + i * 1000)).claimed === 0) return
  throw new Error('still claiming after the last tick')
}

async function accepted(templateId: string, accepts = 1, prefix = 'oL'): Promise<string> {
  const openid = newOpenid(prefix)
  for (let i = 0; i < accepts; i++) await product.subscribe(openid, { [templateId]: 'accept' })
  return openid
}

/** Runs `work` over `items` with at most `width` at once. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items]
  await Promise.all(Array.from({ length: width }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item)
  }))
}

const schedule = (touser: string, templateId: string, sendAt: number) =>
  product.send({ touser, templateId, data: exampleData(templateId), sendAt: at(sendAt) })

const recordsOf = async (users: string[]) => (await product.collection('messages')).filter((m) => users.includes(m.touser))

async function deliveredCounts(users: string[]): Promise<Map<string, number>> {
  const counts = new Map(users.map((u) => [u, 0]))
  for (const m of await product.delivered()) if (counts.has(m.touser)) counts.set(m.touser, counts.get(m.touser)! + 1)
  return counts
}

beforeEach(async () => {
  await product.faults(null)
  await product.clearDispatchState()
  await product.cancelQueued()
})

describe('claims that hold', () => {
  it('a run whose sends outlast its lease renews it: a second run 6.8 s in takes nothing, every message goes out once', async () => {
    // 5 users × 20 messages of a long-term template, WeChat at 400 ms a send: one user's 20 take 8 s, past the 6 s lease.
    const users = await Promise.all(Array.from({ length: 5 }, () => accepted(CLASS)))
    const sendAt = Date.now() + HOUR
    for (let i = 0; i < 20; i++) await Promise.all(users.map((u) => schedule(u, CLASS, sendAt)))
    await product.faults({ latencyMs: 400 })
    const started = Date.now()
    const first = tick(sendAt + 1000).then((report) => ({ report, ms: Date.now() - started }))
    await sleep(6800)
    const second = await tick(sendAt + 1000 + 6800)
    const { report, ms } = await first
    expect(ms).toBeGreaterThan(SCALED.DISPATCH_LEASE_MS!)
    expect(second.claimed).toBe(0)
    expect(report.lostClaims).toBe(0)
    await drain(sendAt + 10_000)
    for (const [, count] of await deliveredCounts(users)) expect(count).toBe(20)
    const records = await recordsOf(users)
    expect(records).toHaveLength(100)
    const odd = records.filter((m) => m.status !== 'sent' || m.attempts.filter((a: { errcode: number }) => a.errcode === 0).length !== 1)
    expect(odd.map((m) => ({ status: m.status, code: m.code, attempts: m.attempts.map((a: { errcode: number }) => a.errcode) }))).toEqual([])
  }, 60_000)

  it('runs that overlap after a crashed run\'s claim expired: the rest go out once, what was in flight ends unknown, nothing twice', async () => {
    const users = await Promise.all(Array.from({ length: 20 }, () => accepted(CLASS)))
    const sendAt = Date.now() + HOUR
    for (let i = 0; i < 3; i++) await Promise.all(users.map((u) => schedule(u, CLASS, sendAt)))
    await product.faults({ latencyMs: 400 })
    const crashed = emulator.trigger('send', at(sendAt + 1000))
    await sleep(1000)
    expect((await emulator.request('POST', '/_emulator/functions/send/kill')).body.killed).toBe(1)
    expect((await crashed).status).toBe(500)
    // Two runs at once, after the crashed run's lease: they share the rest between them.
    const [a, b] = await Promise.all([tick(sendAt + 1000 + 8000), tick(sendAt + 1000 + 8000)])
    expect(a.claimed + b.claimed).toBeGreaterThan(0)
    expect(a.unknown + b.unknown).toBeGreaterThan(0)
    await drain(sendAt + 30_000)
    const records = await recordsOf(users)
    expect(records.every((m) => m.status === 'sent' || m.status === 'unknown')).toBe(true)
    // What the crashed run had reserved: at most two per send slot (one calling, one waiting for the slot).
    expect(records.filter((m) => m.status === 'unknown').length).toBeLessThanOrEqual(40)
    // Each user: every message recorded sent was delivered, and nothing more than its three messages.
    const counts = await deliveredCounts(users)
    for (const user of users) {
      const mine = records.filter((m) => m.touser === user)
      const sent = mine.filter((m) => m.status === 'sent').length
      expect(counts.get(user)).toBeGreaterThanOrEqual(sent)
      expect(counts.get(user)).toBeLessThanOrEqual(3)
    }
  }, 60_000)
})

describe('fan-out', () => {
  it('a tick whose shards run longer than the SDK\'s wait succeeds, and every message goes out once', async () => {
    // 40 users × 25 messages, queued a round at a time so that each batch holds many users.
    const users = await Promise.all(Array.from({ length: 40 }, () => accepted(CLASS)))
    const sendAt = Date.now() + HOUR
    for (let round = 0; round < 25; round++) await inParallel(users, 20, (u) => schedule(u, CLASS, sendAt))
    await product.faults({ latencyMs: 400 })
    // One run cannot send 1,000 in its budget: it stops at the deadline, and the next tick fans out.
    const single = await tick(sendAt + 1000)
    expect(single).toMatchObject({ stoppedBy: 'deadline', fannedOut: 0 })
    const started = Date.now()
    const fanned = await tick(sendAt + 20_000)
    const seconds = Date.now() - started
    expect(fanned).toMatchObject({ fannedOut: 8, shardFailures: 0, lostClaims: 0 })
    expect(seconds).toBeGreaterThan(SCALED.TIMING_SDK_TIMEOUT_MS!)
    await drain(sendAt + 40_000, 40)
    for (const [, count] of await deliveredCounts(users)) expect(count).toBe(25)
  }, 120_000)
})

describe('a fair queue', () => {
  it('a mini-program user may have 50 scheduled messages pending, however it asks, and no more', async () => {
    const openid = await accepted(APPOINTMENT, 1, 'oQ')
    const sendAt = Date.now() + HOUR
    const ask = () => product.send({ touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT), sendAt: at(sendAt) }, { openid })
    const replies = await Promise.all(Array.from({ length: 60 }, ask))
    expect(replies.filter((r) => r.ok && r.status === 'scheduled')).toHaveLength(50)
    const refused = replies.filter((r) => !r.ok)
    expect(refused).toHaveLength(10)
    for (const reply of refused) expect(reply).toMatchObject({ code: 'QUEUE_FULL', limit: 50 })
    expect((await recordsOf([openid])).filter((m) => m.status === 'scheduled')).toHaveLength(50)
    // A cancelled one gives its place back; a server is not capped.
    const { messageId } = replies.find((r) => r.ok)
    expect(await product.send({ action: 'cancel', messageId }, { openid })).toMatchObject({ ok: true })
    expect(await ask()).toMatchObject({ ok: true, status: 'scheduled' })
    expect(await ask()).toMatchObject({ ok: false, code: 'QUEUE_FULL' })
    expect(await schedule(openid, APPOINTMENT, sendAt)).toMatchObject({ ok: true, status: 'scheduled' })
  }, 60_000)

  // 1,000 to one user take 20 s in its one lane at 20 ms each, twice the run's 9 s budget: without spacing the 100 would wait behind them.
  it('1,000 messages due to one user and 100 due to 100 others: the 100 go out in the first tick', async () => {
    const heavy = await accepted(CLASS, 1, 'oH')
    const others = await Promise.all(Array.from({ length: 100 }, () => accepted(CLASS, 1, 'oO')))
    const sendAt = Date.now() + HOUR
    await inParallel(Array.from({ length: 1_000 }, (_, i) => i), 20, () => schedule(heavy, CLASS, sendAt))
    await inParallel(others, 20, (u) => schedule(u, CLASS, sendAt))
    await product.faults({ latencyMs: 20 })
    const report = await tick(sendAt + 1000)
    const counts = await deliveredCounts(others)
    expect([...counts.values()].every((c) => c === 1)).toBe(true)
    expect(report.sent).toBeGreaterThanOrEqual(100)
  }, 300_000)
})

describe('the daily limit', () => {
  it('waits for the next day: the queue is due at 00:00 UTC+8, and the ticks in between do no per-message work', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, () => accepted(ORDER)))
    // Noon in UTC+8 tomorrow: the ticks a few minutes on must not cross a midnight themselves, whenever the test runs.
    const sendAt = Math.floor((Date.now() + 8 * HOUR) / 86_400_000) * 86_400_000 + 86_400_000 + 4 * HOUR
    for (const u of users) await schedule(u, ORDER, sendAt)
    await product.faults({ dailyLimit: (await product.delivered()).length + 3 })
    const report = await tick(sendAt + 1000)
    expect(report).toMatchObject({ sent: 3, stoppedBy: 'daily-limit' })
    const midnight = Math.floor((sendAt + 1000 + 8 * HOUR) / 86_400_000) * 86_400_000 + 86_400_000 - 8 * HOUR
    const queued = (await recordsOf(users)).filter((m) => m.status === 'scheduled')
    expect(queued).toHaveLength(7)
    for (const m of queued) expect(new Date(m.dueAt).getTime()).toBe(midnight)
    await emulator.request('DELETE', '/_emulator/stats')
    for (let i = 1; i <= 3; i++) expect(await tick(sendAt + 1000 + i * 60_000)).toMatchObject({ claimed: 0, stoppedBy: 'daily-limit' })
    const stats = (await emulator.request('GET', '/_emulator/stats')).body
    // Per tick: the campaigns still queuing, and the dispatcher's state; no message read.
    expect(stats.requests.byAction['database.getDocument']).toBe(6)
    expect(stats.requests.total).toBe(6)
    await product.faults(null)
    await drain(midnight + 1000)
    for (const [, count] of await deliveredCounts(users)) expect(count).toBe(1)
  }, 60_000)
})

describe('keys and records', () => {
  it('a scheduled message that ends NO_QUOTA frees its key, so the same request can be sent again', async () => {
    const openid = newOpenid('oK')
    await emulator.call('login', {}, { openid })
    const sendAt = Date.now() + HOUR
    const request = { touser: openid, templateId: ORDER, data: exampleData(ORDER), sendAt: at(sendAt), idempotencyKey: `nq-${openid}` }
    const first = await product.send(request)
    await tick(sendAt + 1000)
    expect((await product.send({ action: 'get', messageId: first.messageId })).message).toMatchObject({ status: 'failed', code: 'NO_QUOTA' })
    await product.subscribe(openid, { [ORDER]: 'accept' })
    const again = await product.send(request)
    expect(again).toMatchObject({ ok: true, status: 'scheduled' })
    expect(again.messageId).not.toBe(first.messageId)
  })

  it("an immediate send's last write holds only while the message is its own: a takeover finds its call started, and never sends it again", async () => {
    const openid = await accepted(ORDER, 2, 'oT')
    // Under WeChat's timeout (600 ms), so the call waits for its answer while the run takes the message over.
    await product.faults({ latencyMs: 400 })
    const call = product.send({ touser: openid, templateId: ORDER, data: exampleData(ORDER) })
    // Once the call has reserved its unit, a run whose clock is past the call's lease (as a skewed clock would be) takes the message over.
    for (let i = 0; i < 100 && (await product.grant(openid, ORDER)).available === 2; i++) await sleep(10)
    expect(await tick(Date.now() + 60_000)).toMatchObject({ claimed: 1, sent: 0, unknown: 1 })
    // The call tells its caller what WeChat said; the record keeps the takeover's outcome, with the call's attempt beside it.
    expect(await call).toMatchObject({ ok: true, status: 'sent' })
    await drain(Date.now() + 120_000)
    const [record] = await recordsOf([openid])
    const delivered = await product.delivered(openid)
    expect(delivered).toHaveLength(1)
    expect(record).toMatchObject({ status: 'unknown', code: 'UNKNOWN_OUTCOME' })
    expect(record.attempts.map((a: { errcode: number }) => a.errcode)).toEqual([0])
    expect(await product.grant(openid, ORDER)).toMatchObject({ available: 1, uncertain: 1 })
    expect((await product.oracleQuota(openid, ORDER)).available).toBe(1)
  })
})

describe('a shard that fails', () => {
  // One instance of send: the tick holds it, so no shard can run until the tick has given up on them.
  const timing: Record<string, number> = {
    TIMING_FUNCTION_TIMEOUT_MS: 3000,
    TIMING_WECHAT_TIMEOUT_MS: 300,
    TIMING_BUSY_RETRY_MS: 20,
    TIMING_SDK_TIMEOUT_MS: 1000,
    TIMING_WRITE_MS: 100,
    TIMING_CLOCK_SKEW_MS: 100,
    DISPATCH_LEASE_MS: 1000,
    DISPATCH_BUDGET_MS: 1800,
  }
  const single = useProduct([
    '--no-timers',
    '--max-instances',
    '1',
    '--function-timeout',
    'send:3',
    ...Object.entries(timing).flatMap(([name, value]) => ['--function-env', `send:${name}=${value}`]),
  ])

  it('never fails its tick: the shards that did not answer are counted, and the tick answers within its timeout', async () => {
    // The last run fell behind: this tick fans out.
    const seeded = await single.emulator.request('POST', '/admin', {
      action: 'database.insertDocument',
      envName: 'local',
      collectionName: 'dispatch_state',
      data: [JSON.stringify({ _id: 'fan-out', on: true })],
    })
    expect(seeded.body.code).toBeUndefined()
    // A reply at all is within the function's timeout: past it the emulator ends the run and answers HTTP 500.
    const reply = await single.emulator.trigger('send')
    expect(reply.status).toBe(200)
    expect(reply.body.result).toMatchObject({ ok: true, report: { fannedOut: 8, shardFailures: 8 } })
  }, 60_000)
})
