/**
 * The delivery path against a database that fails, loses its replies and
 * stalls, at the platform's timing scaled down five times (support/timing.ts):
 * the emulator injects the faults into the SDK's own requests, and WeChat's
 * oracle says what really went out.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { CLASS, ORDER, exampleData, newOpenid, useProduct } from './support/product'
import { SCALED, scaledArgs } from './support/timing'

const { emulator, product } = useProduct(['--no-timers', '--time-travel', '--max-instances', '20', ...scaledArgs])

const HOUR = 3600_000
const at = (ms: number) => new Date(ms).toISOString()
/** Past a lease and the longest retry backoff, so that whatever a run left is due again. */
const PAST_LEASE = SCALED.DISPATCH_LEASE_MS! + SCALED.DISPATCH_RETRY_MAX_MS!

const databaseFaults = (settings: Record<string, unknown> | null) => product.databaseFaults(settings)

const tick = (time: number) => product.tick(time)

async function accepted(templateId: string, accepts = 1): Promise<string> {
  const openid = newOpenid('oF')
  for (let i = 0; i < accepts; i++) await product.subscribe(openid, { [templateId]: 'accept' })
  return openid
}

/** `count` users who accepted, a few at a time: twenty cold starts at once would test the machine, not the product. */
async function acceptedUsers(templateId: string, count: number): Promise<string[]> {
  const users: string[] = []
  for (let i = 0; i < count; i += 5) users.push(...(await Promise.all(Array.from({ length: Math.min(5, count - i) }, () => accepted(templateId)))))
  return users
}

/** Each message's data carries its number (in a `thing` keyword), so that a delivery names the message it came from. */
function numbered(templateId: string, n: number): Record<string, string> {
  const data = exampleData(templateId)
  const thing = Object.keys(data).find((key) => key.startsWith('thing'))!
  return { ...data, [thing]: `第${n}条` }
}

/** Queues a message, failing the test when it is not queued. */
async function schedule(touser: string, templateId: string, n: number, sendAt: number): Promise<void> {
  const reply = await product.send({ touser, templateId, data: numbered(templateId, n), sendAt: at(sendAt) })
  if (reply.status !== 'scheduled') throw new Error(`not queued: ${JSON.stringify(reply)}`)
}

const recordsOf = async (users: string[]) => (await product.collection('messages')).filter((m) => users.includes(m.touser))
const FINAL = ['sent', 'failed', 'unknown', 'cancelled']

/** Ticks, a lease and a backoff apart on the run's clock, until every message of `users` is final: the last clock. */
async function settle(users: string[], from: number): Promise<number> {
  let time = from
  for (let i = 0; i < 20; i++, time += PAST_LEASE) {
    await tick(time)
    if ((await recordsOf(users)).every((m) => FINAL.includes(m.status))) return time
  }
  throw new Error(`messages still pending: ${JSON.stringify((await recordsOf(users)).filter((m) => !FINAL.includes(m.status)).map((m) => m.status))}`)
}

beforeEach(async () => {
  await databaseFaults(null)
  await product.faults(null)
  await product.clearDispatchState()
  await product.cancelQueued()
})

describe('a database that fails and loses replies', () => {
  it('10% of message updates failing and 10% losing their reply, over 200 scheduled sends: nothing twice, and sent is exactly what WeChat delivered', async () => {
    const users = await acceptedUsers(CLASS, 20)
    const sendAt = Date.now() + HOUR
    let n = 0
    for (let round = 0; round < 10; round++) {
      await Promise.all(users.map((touser) => schedule(touser, CLASS, n++, sendAt)))
    }
    await product.faults({ latencyMs: 20 })
    await databaseFaults({ rate: 0.1, lostReply: 0.1, ops: ['update'], collections: ['messages'], seed: 24 })
    const stops: string[] = []
    let time = sendAt + 1000
    // The timer runs under the faults until half the messages are out, each run a second after the last.
    for (let i = 0; i < 200; i++, time += 1000) {
      const report = await tick(time)
      stops.push(report.stoppedBy)
      if ((await recordsOf(users)).filter((m) => m.status === 'sent').length >= 100) break
    }
    const stats = (await emulator.request('GET', '/_emulator/stats')).body.databaseFaults
    expect(stats.error).toBeGreaterThan(0)
    expect(stats.lostReply).toBeGreaterThan(0)
    expect(stops).toContain('database')
    await databaseFaults(null)
    await settle(users, time + PAST_LEASE)

    const records = await recordsOf(users)
    expect(records).toHaveLength(200)
    const delivered = (await product.delivered()).filter((m) => users.includes(m.touser))
    // No message delivered twice: each delivery names its message by its number.
    const numbers = delivered.map((m) => JSON.stringify(m.data))
    expect(new Set(numbers).size).toBe(numbers.length)
    // The records say sent for exactly the messages WeChat delivered.
    const sent = records.filter((m) => m.status === 'sent').map((m) => m.msgid).sort()
    expect(delivered.map((m) => m.msgid).sort()).toEqual(sent)
  }, 240_000)
})

describe('a run that meets a failed request', () => {
  it('stops with stoppedBy "database", gives back what it never took to WeChat, and nothing is lost', async () => {
    const users = await acceptedUsers(ORDER, 5)
    const sendAt = Date.now() + HOUR
    for (const [i, touser] of users.entries()) await schedule(touser, ORDER, i, sendAt)
    // Every reservation refused: each message is claimed, then the run stops before WeChat.
    await databaseFaults({ rate: 1, ops: ['update'], collections: ['grants'] })
    const report = await tick(sendAt + 1000)
    expect(report).toMatchObject({ stoppedBy: 'database', sent: 0, error: expect.stringMatching(/DATABASE_REQUEST_FAILED: .*not applied/) })
    expect(await product.delivered(users[0])).toEqual([])
    await databaseFaults(null)
    // A reservation that failed may have landed: those wait out their lease, then go out once, as none had reached WeChat.
    await settle(users, sendAt + 1000 + PAST_LEASE)
    const records = await recordsOf(users)
    expect(records.map((m) => m.status)).toEqual(users.map(() => 'sent'))
    for (const touser of users) {
      expect(await product.delivered(touser)).toHaveLength(1)
      expect(await product.ledger(touser, ORDER)).toEqual(await product.oracleQuota(touser, ORDER))
    }
  }, 60_000)

  it('a claim whose every write fails: the tick says so, and the queue is untouched', async () => {
    const touser = await accepted(ORDER)
    const sendAt = Date.now() + HOUR
    await schedule(touser, ORDER, 0, sendAt)
    await databaseFaults({ rate: 1, ops: ['update'], collections: ['messages'] })
    expect(await tick(sendAt + 1000)).toMatchObject({ stoppedBy: 'database', claimed: 0, sent: 0 })
    await databaseFaults(null)
    expect(await tick(sendAt + 2000)).toMatchObject({ claimed: 1, sent: 1, stoppedBy: 'drained' })
    expect(await product.delivered(touser)).toHaveLength(1)
  }, 60_000)

  it('a campaign page that cannot be read: the tick still dispatches, and says what failed', async () => {
    const touser = await accepted(ORDER)
    const sendAt = Date.now() + HOUR
    await schedule(touser, ORDER, 0, sendAt)
    await databaseFaults({ rate: 1, ops: ['get'], collections: ['campaigns'] })
    expect(await tick(sendAt + 1000)).toMatchObject({ sent: 1, stoppedBy: 'database', campaignQueued: 0, error: expect.stringMatching(/not applied/) })
    expect(await product.delivered(touser)).toHaveLength(1)
  }, 60_000)

  it("settles that stall past the SDK's wait land anyway: each message sent once and recorded sent", async () => {
    const users = await acceptedUsers(CLASS, 3)
    const sendAt = Date.now() + HOUR
    for (const [i, touser] of users.entries()) await schedule(touser, CLASS, i, sendAt)
    // Applied at once, answered after the SDK has given up: the run cannot tell the write landed, and must not send again.
    await databaseFaults({ stallRate: 1, stallMs: SCALED.TIMING_SDK_TIMEOUT_MS! + 500, ops: ['update'], collections: ['messages'] })
    const report = await tick(sendAt + 1000)
    expect(report.stoppedBy).toBe('database')
    await databaseFaults(null)
    await settle(users, sendAt + 1000 + PAST_LEASE)
    const records = await recordsOf(users)
    const delivered = (await product.delivered()).filter((m) => users.includes(m.touser))
    expect(delivered.length).toBeLessThanOrEqual(3)
    expect(records.filter((m) => m.status === 'sent').map((m) => m.msgid).sort()).toEqual(delivered.map((m) => m.msgid).sort())
    expect(records.every((m) => FINAL.includes(m.status))).toBe(true)
  }, 120_000)
})

describe('a takeover that must not send again', () => {
  const grantOf = async (openid: string, templateId: string) => (await product.collection('grants')).find((g) => g._id === `${openid}:${templateId}`)
  const mine = async (openid: string) => (await product.collection('messages')).filter((m) => m.touser === openid)

  /** Waits, with a deadline, until `condition` holds. */
  async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`never: ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  /** A run delivers message 0 and then cannot write to `messages` again: it stays `sending`, its reservation standing. */
  async function leftDelivered(touser: string, templateId: string, sendAt: number): Promise<void> {
    await schedule(touser, templateId, 0, sendAt)
    await product.faults({ latencyMs: 400 })
    const running = tick(sendAt + 1000)
    await until(async () => ((await grantOf(touser, templateId))?.reservedFor ?? []).length > 0, 'the run reserved')
    await databaseFaults({ rate: 1, ops: ['update'], collections: ['messages'] })
    expect(await running).toMatchObject({ stoppedBy: 'database' })
    await databaseFaults(null)
    await product.faults(null)
    expect((await mine(touser)).map((m) => m.status)).toEqual(['sending'])
    expect(await product.delivered(touser)).toHaveLength(1)
  }

  it('whose claim loses its reply: the message is left for the next takeover, which finds its reservation', async () => {
    const touser = await accepted(ORDER, 2)
    const sendAt = Date.now() + HOUR
    await leftDelivered(touser, ORDER, sendAt)
    // Past the lease, a run claims it, and the claim's reply is lost: the run cannot know it holds a message a dead run left.
    await databaseFaults({ lostReply: 1, ops: ['update'], collections: ['messages'] })
    expect(await tick(sendAt + 1000 + PAST_LEASE)).toMatchObject({ stoppedBy: 'database', sent: 0 })
    await databaseFaults(null)
    await settle([touser], sendAt + 1000 + 2 * PAST_LEASE)
    expect((await mine(touser)).map((m) => m.status)).toEqual(['unknown'])
    expect(await product.delivered(touser)).toHaveLength(1)
    const grant = await product.grant(touser, ORDER)
    expect(grant).toMatchObject({ available: 1, uncertain: 1 })
    expect((await product.oracleQuota(touser, ORDER)).available).toBe(1)
  }, 90_000)

  it('whose reservation fell off a full list: it cannot tell, so the message ends unknown', async () => {
    const touser = await accepted(CLASS)
    const sendAt = Date.now() + HOUR
    await leftDelivered(touser, CLASS, sendAt)
    // 32 more of the user's messages go out within the lease (one run, one after another): the grant keeps the last 32 keys.
    for (let n = 1; n <= 32; n++) await schedule(touser, CLASS, n, sendAt + 2000)
    expect(await tick(sendAt + 2000)).toMatchObject({ sent: 32 })
    const kept = (await grantOf(touser, CLASS)).reservedFor as string[]
    expect(kept).toHaveLength(32)
    const left = (await mine(touser)).find((m) => m.status === 'sending')!
    expect(kept.some((key) => key.startsWith(`${left._id}@`))).toBe(false)
    expect(await tick(sendAt + 1000 + PAST_LEASE)).toMatchObject({ claimed: 1, sent: 0, unknown: 1 })
    const first = (await product.delivered(touser)).filter((m) => JSON.stringify(m.data).includes('第0条'))
    expect(first).toHaveLength(1)
  }, 90_000)
})

