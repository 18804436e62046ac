/**
 * Scheduled delivery and the dispatcher, through the emulator: the timer is
 * fired by the control API (with --time-travel its `time` is the function's
 * clock), and WeChat's oracle says what really went out.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { Faults } from '../emulator/services/wechat/faults'
import settings from '../settings.json'
import { APPOINTMENT, exampleData, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct(['--no-timers', '--time-travel', '--max-instances', '20'])
beforeEach(async () => {
  await product.faults(null)
  await product.clearDispatchState()
  // Start each test with nothing left due from an earlier one.
  await drain(Date.now() + 24 * 3600_000)
})

const HOUR = 3600_000
const at = (ms: number) => new Date(ms).toISOString()

const tick = (time: number) => product.tick(time)

/** Ticks until nothing is claimed, moving the clock a minute per tick. */
async function drain(from: number, maxTicks = 30): Promise<any[]> {
  const reports = []
  for (let i = 0; i < maxTicks; i++) {
    const report = await tick(from + i * 60_000)
    reports.push(report)
    if (report.claimed === 0) break
  }
  return reports
}

async function grantedUser(templateId = APPOINTMENT, accepts = 1): Promise<string> {
  const openid = newOpenid('oD')
  for (let i = 0; i < accepts; i++) await product.subscribe(openid, { [templateId]: 'accept' })
  return openid
}

const schedule = (touser: string, sendAt: number, extra: Record<string, unknown> = {}, user?: { openid: string }) =>
  product.send({ touser, templateId: APPOINTMENT, data: exampleData(APPOINTMENT), sendAt: at(sendAt), ...extra }, user)

describe('scheduled sends', () => {
  it('queue without reserving, then go out when due', async () => {
    const openid = await grantedUser()
    const sendAt = Date.now() + HOUR
    const reply = await schedule(openid, sendAt)
    expect(reply).toEqual({ ok: true, status: 'scheduled', messageId: expect.stringMatching(/^msg_/) })
    expect((await product.ledger(openid, APPOINTMENT)).available).toBe(1)
    expect((await tick(Date.now())).claimed).toBe(0)
    expect(await product.delivered(openid)).toEqual([])
    const report = await tick(sendAt + 1000)
    expect(report).toMatchObject({ claimed: 1, sent: 1 })
    expect(await product.delivered(openid)).toHaveLength(1)
    const view = await product.send({ action: 'get', messageId: reply.messageId })
    expect(view.message).toMatchObject({ status: 'sent', tries: 1, msgid: expect.stringMatching(/^\d{19}$/) })
    expect(await product.ledger(openid, APPOINTMENT)).toEqual(await product.oracleQuota(openid, APPOINTMENT))
  })

  it('are refused when malformed, writing nothing', async () => {
    const openid = await grantedUser()
    for (const sendAt of ['tomorrow', '2026-13-01T00:00:00Z', '2099-01-01T00:00:00Z', 5]) {
      const reply = await product.send({ touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT), sendAt })
      expect(reply).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', field: 'sendAt' })
    }
    expect((await product.collection('messages')).some((m) => m.touser === openid)).toBe(false)
  })

  it('go out once each when the same tick is retried and when two ticks overlap', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => grantedUser(APPOINTMENT, 2)))
    const sendAt = Date.now() + HOUR
    for (const openid of users) await schedule(openid, sendAt)
    await product.faults({ latencyMs: 30 })
    const time = sendAt + 1000
    const reports = await Promise.all([tick(time), tick(time), tick(time)])
    expect(reports.reduce((n, r) => n + r.sent, 0)).toBe(12)
    await drain(time)
    for (const openid of users) expect(await product.delivered(openid)).toHaveLength(1)
  })

  it('claim the next batch while the last drains: one slow answer holds back no other message', async () => {
    const { batchSize } = settings.dispatcher
    const slow = await grantedUser()
    const others = await Promise.all(Array.from({ length: 2 * batchSize - 1 }, () => grantedUser()))
    const sendAt = Date.now() + HOUR
    // The slow user's message is the first due, so the first batch holds it.
    await schedule(slow, sendAt - 1000)
    for (let i = 0; i < others.length; i += 20) await Promise.all(others.slice(i, i + 20).map((u) => schedule(u, sendAt)))
    // WeChat answers at once, and the slow user's send in 2.5 s (within the 3 s the dispatcher waits).
    await product.faults({ latencyByUser: { [slow]: 2500 } })
    expect((await tick(sendAt + 1000)).sent).toBe(2 * batchSize)
    // Batch after batch, the second batch would wait for the first's slowest send, and go out after it.
    const msgids = new Map((await product.delivered()).map((m) => [m.touser, BigInt(m.msgid)]))
    const before = others.filter((u) => msgids.get(u)! < msgids.get(slow)!)
    expect(before).toHaveLength(others.length)
  }, 60_000)

  it('never sends two at once to one user', async () => {
    const openid = await grantedUser(APPOINTMENT, 4)
    const sendAt = Date.now() + HOUR
    for (let i = 0; i < 4; i++) await schedule(openid, sendAt)
    await product.faults({ latencyMs: 80 })
    expect((await tick(sendAt + 1000)).sent).toBe(4)
    const attempts = (await product.collection('messages')).filter((m) => m.touser === openid).flatMap((m) => m.attempts)
    expect(attempts.map((a: { errcode: number }) => a.errcode)).toEqual([0, 0, 0, 0])
  })
})

describe('cancel and get', () => {
  it('a user cancels its own scheduled message, and not one already sent', async () => {
    const openid = await grantedUser()
    const sendAt = Date.now() + HOUR
    const { messageId } = await schedule(openid, sendAt, {}, { openid })
    expect(await product.send({ action: 'cancel', messageId }, { openid })).toEqual({ ok: true, status: 'cancelled', messageId })
    expect((await tick(sendAt + 1000)).claimed).toBe(0)
    expect(await product.delivered(openid)).toEqual([])
    expect(await product.send({ action: 'cancel', messageId }, { openid })).toMatchObject({ ok: false, code: 'NOT_CANCELLABLE', status: 'cancelled' })
    const sent = await product.send({ touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) }, { openid })
    expect(await product.send({ action: 'cancel', messageId: sent.messageId }, { openid })).toMatchObject({ code: 'NOT_CANCELLABLE' })
  })

  it('authorizes: a server any message, a user only its own', async () => {
    const mine = await grantedUser()
    const other = await grantedUser()
    const sendAt = Date.now() + HOUR
    const { messageId: theirs } = await schedule(other, sendAt, {}, { openid: other })
    const { messageId: servers } = await schedule(mine, sendAt)
    for (const action of ['get', 'cancel']) {
      expect(await product.send({ action, messageId: theirs }, { openid: mine })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
      expect(await product.send({ action, messageId: servers }, { openid: mine })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    }
    expect((await product.send({ action: 'get', messageId: theirs })).message.status).toBe('scheduled')
    expect(await product.send({ action: 'cancel', messageId: theirs })).toMatchObject({ ok: true, status: 'cancelled' })
    expect(await product.send({ action: 'get', messageId: 'msg_nothing' })).toMatchObject({ ok: false, code: 'NOT_FOUND' })
    expect(await product.send({ action: 'dispatch', shard: 0, deadline: 0, until: 0 }, { openid: mine })).toMatchObject({ code: 'FORBIDDEN' })
  })
})

describe('reliability', () => {
  it('busy (43108) faults at 60%, with jitter: every message delivered exactly once, ledger equal to the oracle', async () => {
    const users = await Promise.all(Array.from({ length: 30 }, () => grantedUser(APPOINTMENT, 1)))
    const sendAt = Date.now() + HOUR
    for (const openid of users) await schedule(openid, sendAt)
    // High enough that some messages fail all four attempts of a try and go back to the queue.
    await product.faults({ errcode: 43108, rate: 0.6, jitterMs: 20, seed: 11 })
    let time = sendAt + 1000
    for (let i = 0; i < 40; i++) {
      const report = await tick(time)
      const pending = (await product.collection('messages')).filter((m) => users.includes(m.touser) && !['sent', 'failed', 'unknown'].includes(m.status))
      if (report.claimed === 0 && pending.length === 0) break
      time += 10 * 60_000
    }
    for (const openid of users) {
      expect(await product.delivered(openid)).toHaveLength(1)
      expect(await product.ledger(openid, APPOINTMENT)).toEqual(await product.oracleQuota(openid, APPOINTMENT))
    }
    const records = (await product.collection('messages')).filter((m) => users.includes(m.touser))
    expect(records.every((m) => m.status === 'sent')).toBe(true)
    expect(records.some((m) => m.tries > 1)).toBe(true)
  }, 60_000)

  it('30% -1 faults, half of them after delivering: nothing is sent twice, and the ledger is at most WeChat and at least it less what is uncertain', async () => {
    const users = await Promise.all(Array.from({ length: 30 }, () => grantedUser(APPOINTMENT, 2)))
    const sendAt = Date.now() + HOUR
    for (const openid of users) await schedule(openid, sendAt)
    await product.faults({ errcode: -1, rate: 0.3, deliverFirst: 0.5, seed: 5 })
    await drain(sendAt + 1000)
    const records = (await product.collection('messages')).filter((m) => users.includes(m.touser))
    expect(records.filter((m) => m.status === 'unknown').length).toBeGreaterThan(0)
    for (const openid of users) {
      expect((await product.delivered(openid)).length).toBeLessThanOrEqual(1)
      const grant = await product.grant(openid, APPOINTMENT)
      const wechat = (await product.oracleQuota(openid, APPOINTMENT)).available
      expect(grant.available).toBeLessThanOrEqual(wechat)
      expect(wechat).toBeLessThanOrEqual(grant.available + grant.uncertain)
    }
  }, 60_000)

  it('45009 in mid-run: the rest stays queued and goes out when the next day starts', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, () => grantedUser()))
    const sendAt = Date.now() + HOUR
    for (const openid of users) await schedule(openid, sendAt)
    const today = (await product.delivered()).length
    await product.faults({ dailyLimit: today + 3 })
    const report = await tick(sendAt + 1000)
    expect(report).toMatchObject({ sent: 3, stoppedBy: 'daily-limit' })
    const queued = (await product.collection('messages')).filter((m) => users.includes(m.touser) && m.status === 'scheduled')
    expect(queued).toHaveLength(7)
    for (const openid of users) expect(await product.ledger(openid, APPOINTMENT)).toEqual(await product.oracleQuota(openid, APPOINTMENT))
    await product.faults(null)
    expect((await tick(sendAt + 2000)).claimed).toBe(0)
    await drain(Math.max(...queued.map((m) => new Date(m.dueAt).getTime())))
    for (const openid of users) expect(await product.delivered(openid)).toHaveLength(1)
  })

  it('gives up after the try cap and keeps the message for inspection', async () => {
    const openid = await grantedUser()
    const sendAt = Date.now() + HOUR
    const { messageId } = await schedule(openid, sendAt)
    // Always busy: each try is the call and its three 43108 retries.
    await product.faults({ errcode: 43108 })
    let time = sendAt + 1000
    for (let i = 0; i < 8; i++, time += 24 * HOUR) await tick(time)
    const { message } = await product.send({ action: 'get', messageId })
    expect(message).toMatchObject({ status: 'failed', code: 'RETRYABLE', tries: 6 })
    expect(message.attempts).toHaveLength(6 * 4)
    expect((await product.ledger(openid, APPOINTMENT)).available).toBe(1)
  })

  it('hangs: bounded by the timeout, never a second message for an unknown outcome', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => grantedUser(APPOINTMENT, 2)))
    const sendAt = Date.now() + HOUR
    for (const openid of users) await schedule(openid, sendAt)
    await product.faults({ hang: true, seed: 3 })
    const started = Date.now()
    const report = await tick(sendAt + 1000)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(report.unknown).toBe(4)
    await product.faults(null)
    await drain(sendAt + 2000)
    // The seed fixes which of the four hung sends WeChat delivered anyway: the judge's own draws say how many.
    const judge = new Faults()
    judge.set({ hang: true, seed: 3 })
    const deliveredAnyway = Array.from({ length: 4 }, () => judge.decide('')).filter((fate) => fate.kind === 'hang' && fate.deliver).length
    let delivered = 0
    for (const openid of users) {
      const count = (await product.delivered(openid)).length
      expect(count).toBeLessThanOrEqual(1)
      delivered += count
      // Kept spent and counted uncertain: WeChat holds one or two, the ledger one, and says one may be missing.
      expect(await product.grant(openid, APPOINTMENT)).toMatchObject({ available: 1, uncertain: 1 })
      expect((await product.oracleQuota(openid, APPOINTMENT)).available).toBe(2 - count)
    }
    expect(delivered).toBe(deliveredAnyway)
  }, 30_000)

  it('a dispatcher killed mid-batch: after the lease the rest go out once, and what it may have taken to WeChat ends unknown, never sent twice', async () => {
    // 70 recipients, 20 in flight at a time, 400 ms each: killed after the first wave, while up to 40 more hold a reservation
    // (20 calling, 20 waiting for a send slot) and the rest wait in their lanes.
    const users = await Promise.all(Array.from({ length: 70 }, () => grantedUser(APPOINTMENT, 2)))
    const sendAt = Date.now() + HOUR
    for (const openid of users) await schedule(openid, sendAt)
    await product.faults({ latencyMs: 400 })
    const running = emulator.trigger('send', at(sendAt + 1000))
    const mine = async () => (await product.collection('messages')).filter((m) => users.includes(m.touser))
    // Kill it once the first wave has been recorded, while the next one is in flight.
    for (let i = 0; i < 100 && !(await mine()).some((m) => m.status === 'sent'); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect((await emulator.request('POST', '/_emulator/functions/send/kill')).body.killed).toBe(1)
    expect((await running).status).toBe(500)
    const atKill = await mine()
    const settledAtKill = atKill.filter((m) => m.status === 'sent').length
    expect(settledAtKill).toBeGreaterThan(0)
    expect(atKill.some((m) => m.status === 'sending')).toBe(true)
    await product.faults(null)
    // Within the lease nothing is taken over; after it, the rest goes out.
    expect((await tick(sendAt + 2000)).claimed).toBe(0)
    await drain(sendAt + 1000 + 31_000)
    const records = await mine()
    const unknown = records.filter((m) => m.status === 'unknown')
    // What the dead run had reserved (at most two per send slot: one calling, one waiting for the slot) ends unknown; the rest was sent after it.
    expect(unknown.length).toBeGreaterThan(0)
    expect(unknown.length).toBeLessThanOrEqual(2 * settings.dispatcher.concurrency)
    expect(records.filter((m) => m.status === 'sent').length).toBeGreaterThan(settledAtKill)
    expect(records.every((m) => m.status === 'sent' || m.status === 'unknown')).toBe(true)
    const grants = new Map((await product.collection('grants')).map((g) => [g.openid, g]))
    for (const openid of users) {
      const count = (await product.delivered(openid)).length
      const record = records.find((m) => m.touser === openid)!
      // Sent: delivered once. Unknown: delivered once or not at all, as the dead run's call went.
      expect(count).toBeLessThanOrEqual(1)
      if (record.status === 'sent') expect(count).toBe(1)
      const grant = grants.get(openid)
      const wechat = (await product.oracleQuota(openid, APPOINTMENT)).available
      expect(grant.available).toBeLessThanOrEqual(wechat)
      expect(wechat).toBeLessThanOrEqual(grant.available + grant.uncertain)
    }
  }, 30_000)
})

describe('an immediate send whose call died', () => {
  it('is taken over by the dispatcher when its lease ends: its call had started, so it ends unknown, and a repeat of its key says so', async () => {
    const openid = await grantedUser(APPOINTMENT, 2)
    await product.faults({ latencyMs: 800 })
    const request = { touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT), idempotencyKey: `died-${openid}` }
    const call = emulator.call('send', request)
    const mine = async () => (await product.collection('messages')).filter((m) => m.touser === openid)
    // Killed once WeChat has the request (the grant's unit is reserved), before it answers.
    for (let i = 0; i < 100 && (await product.grant(openid, APPOINTMENT)).available === 2; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect((await emulator.request('POST', '/_emulator/functions/send/kill')).body.killed).toBeGreaterThanOrEqual(1)
    expect((await call).status).toBe(500)
    await product.faults(null)
    const [stuck] = await mine()
    expect(stuck.status).toBe('sending')
    // Within its lease nothing takes it over.
    expect((await tick(Date.now() + 30_000)).claimed).toBe(0)
    const report = await tick(Date.now() + 120_000)
    expect(report).toMatchObject({ claimed: 1, sent: 0, unknown: 1 })
    expect(await product.send(request)).toMatchObject({ ok: false, code: 'UNKNOWN_OUTCOME', messageId: stuck._id })
    // Whether the dead call's request reached WeChat or not, it is never sent a second time; the unit is counted uncertain.
    expect((await product.delivered(openid)).length).toBeLessThanOrEqual(1)
    expect(await product.grant(openid, APPOINTMENT)).toMatchObject({ available: 1, uncertain: 1 })
  }, 30_000)

  it('is sent by the dispatcher when it died before reserving anything', async () => {
    const openid = await grantedUser(APPOINTMENT, 1)
    // The reservation never lands: the call dies first (a write refused), leaving the message `sending`.
    await emulator.request('PUT', '/_emulator/database/faults', { rate: 1, ops: ['update'], collections: ['grants'] })
    const request = { touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT), idempotencyKey: `early-${openid}` }
    const first = await emulator.call('send', request)
    await emulator.request('DELETE', '/_emulator/database/faults')
    expect(first.status).toBe(500)
    const [stuck] = (await product.collection('messages')).filter((m) => m.touser === openid)
    expect(stuck.status).toBe('sending')
    const report = await tick(Date.now() + 120_000)
    expect(report).toMatchObject({ claimed: 1, sent: 1, unknown: 0 })
    expect(await product.send(request)).toMatchObject({ ok: true, status: 'sent', messageId: stuck._id })
    expect(await product.delivered(openid)).toHaveLength(1)
    expect(await product.ledger(openid, APPOINTMENT)).toEqual(await product.oracleQuota(openid, APPOINTMENT))
  }, 30_000)
})

describe('a retried request', () => {
  it('gets the first outcome after the time it named has passed: the fingerprint is of what the caller sent', async () => {
    const openid = await grantedUser()
    const request = { touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT), sendAt: at(Date.now() + 1500), idempotencyKey: `late-${openid}` }
    const first = await product.send(request)
    expect(first).toMatchObject({ ok: true, status: 'scheduled' })
    await new Promise((resolve) => setTimeout(resolve, 2000))
    // Now the sendAt is past (it would send at once if new): a network retry of the same request is the same request.
    expect(await product.send(request)).toEqual(first)
    expect(await product.delivered(openid)).toEqual([])
  })
})
