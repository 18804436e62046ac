/**
 * What spends a user's scarce grants well, through the emulator and judged by
 * WeChat's oracle: latest-wins collapse keys, waiting for a grant (released
 * by an accept, ended by time), a user's own queue (`list`, and the oldest
 * pending named by QUEUE_FULL), and bad input for each new field.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { APPOINTMENT, CLASS, ORDER, exampleData, newOpenid, useProduct } from './support/product'

/** A small queue, so that the cap is met in a few requests. */
const CAP = 3
const { emulator, product } = useProduct(['--no-timers', '--time-travel', '--max-instances', '20', '--function-env', `send:QUEUE_MAX_PENDING_PER_USER=${CAP}`])
const HOUR = 3600_000

beforeEach(async () => {
  await product.faults(null)
})

const order = (touser: string, thing: string, extra: Record<string, unknown> = {}) => ({
  touser,
  templateId: ORDER,
  data: { ...exampleData(ORDER), thing2: thing },
  ...extra,
})
const appointment = (touser: string, extra: Record<string, unknown> = {}) => ({ touser, templateId: APPOINTMENT, data: exampleData(APPOINTMENT), ...extra })

async function grantedUser(templateId = ORDER, accepts = 1): Promise<string> {
  const openid = newOpenid('oD')
  for (let i = 0; i < accepts; i++) await product.subscribe(openid, { [templateId]: 'accept' })
  return openid
}

const message = async (messageId: string) => (await product.send({ action: 'get', messageId })).message
const mine = async (openid: string) => (await product.collection('messages')).filter((m) => m.touser === openid)

/** Polls until `probe` holds, or fails the test at the deadline. */
async function until(probe: () => Promise<boolean>, what: string, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('latest wins under a collapse key', () => {
  it('three queued under one key: one delivered, with the last content; the others superseded, nothing spent', async () => {
    const openid = await grantedUser(ORDER, 3)
    const sendAt = new Date(Date.now() + HOUR).toISOString()
    const first = await product.send(order(openid, '第一次更新', { sendAt, collapseKey: 'order-1001' }))
    const second = await product.send(order(openid, '第二次更新', { sendAt, collapseKey: 'order-1001' }))
    const third = await product.send(order(openid, '第三次更新', { sendAt, collapseKey: 'order-1001' }))
    expect(first).toEqual({ ok: true, status: 'scheduled', messageId: expect.any(String), replaced: [] })
    expect(second).toMatchObject({ ok: true, status: 'scheduled', replaced: [first.messageId] })
    expect(third).toMatchObject({ ok: true, status: 'scheduled', replaced: [second.messageId] })
    expect((await message(first.messageId)).status).toBe('superseded')
    expect((await message(second.messageId)).status).toBe('superseded')
    expect(await message(third.messageId)).toMatchObject({ status: 'scheduled', collapseKey: 'order-1001' })
    await product.tick(Date.now() + HOUR + 1000)
    const delivered = await product.delivered(openid)
    expect(delivered).toHaveLength(1)
    expect(delivered[0].data.thing2).toEqual({ value: '第三次更新' })
    // Two of the three accepts are left: the superseded messages spent nothing.
    expect(await product.ledger(openid, ORDER)).toEqual({ ...(await product.oracleQuota(openid, ORDER)), available: 2 })
  })

  it('a message already being sent is not touched: the new one queues after it and both go out', async () => {
    const openid = await grantedUser(ORDER, 2)
    const first = await product.send(order(openid, '已在发送', { sendAt: new Date(Date.now() + 1000).toISOString(), collapseKey: 'order-2002' }))
    await product.faults({ latencyMs: 1500 })
    const running = emulator.trigger('send', new Date(Date.now() + 2000).toISOString())
    await until(async () => (await mine(openid)).some((m) => m.status === 'sending'), 'the first message to be claimed')
    const second = await product.send(order(openid, '之后的更新', { sendAt: new Date(Date.now() + 60_000).toISOString(), collapseKey: 'order-2002' }))
    expect(second).toMatchObject({ ok: true, status: 'scheduled', replaced: [] })
    expect((await running).status).toBe(200)
    expect((await message(first.messageId)).status).toBe('sent')
    await product.faults(null)
    await product.tick(Date.now() + 61_000)
    expect((await product.delivered(openid)).map((m) => m.data.thing2.value)).toEqual(['已在发送', '之后的更新'])
  })

  it('with an idempotency key a retry is the same request, not a newer one', async () => {
    const openid = await grantedUser()
    const request = order(openid, '同一请求', { sendAt: new Date(Date.now() + HOUR).toISOString(), collapseKey: 'order-3003', idempotencyKey: 'retry-3003' })
    const first = await product.send(request)
    const retry = await product.send(request)
    expect(retry).toEqual({ ok: true, status: 'scheduled', messageId: first.messageId })
    expect((await message(first.messageId)).status).toBe('scheduled')
    const changed = await product.send({ ...request, collapseKey: 'order-other' })
    expect(changed).toMatchObject({ ok: false, code: 'IDEMPOTENCY_MISMATCH' })
  })

  it("is the requester's: a user's key does not replace a server's message under the same key", async () => {
    const openid = await grantedUser(APPOINTMENT, 2)
    const sendAt = new Date(Date.now() + HOUR).toISOString()
    const byServer = await product.send(appointment(openid, { sendAt, collapseKey: 'visit' }))
    const byUser = await product.send(appointment(openid, { sendAt, collapseKey: 'visit' }), { openid })
    expect(byUser).toMatchObject({ ok: true, status: 'scheduled', replaced: [] })
    expect((await message(byServer.messageId)).status).toBe('scheduled')
  })
})

describe('waiting for a grant', () => {
  it('without a grant the message waits, and after an accept the timer delivers it', async () => {
    const openid = newOpenid('oW')
    const reply = await product.send(order(openid, '等待授权', { waitForGrantMs: HOUR }))
    expect(reply).toEqual({ ok: true, status: 'waiting', messageId: expect.stringMatching(/^msg_/) })
    const waiting = await message(reply.messageId)
    expect(waiting).toMatchObject({ status: 'waiting', waitUntil: expect.anything() })
    expect(await product.delivered(openid)).toEqual([])
    await product.subscribe(openid, { [ORDER]: 'accept' })
    expect((await message(reply.messageId)).status).toBe('scheduled')
    await product.tick(Date.now() + 1000)
    expect(await product.delivered(openid)).toHaveLength(1)
    expect((await message(reply.messageId)).status).toBe('sent')
    expect(await product.ledger(openid, ORDER)).toEqual(await product.oracleQuota(openid, ORDER))
  })

  it('one one-time accept releases one message, the oldest; the same report again releases nothing more', async () => {
    const openid = newOpenid('oW')
    const older = await product.send(order(openid, '较早', { waitForGrantMs: HOUR }))
    const newer = await product.send(order(openid, '较晚', { waitForGrantMs: HOUR }))
    await product.subscribe(openid, { [ORDER]: 'accept' }, 'popup-once')
    // The same popup reported again (the phone's retry): already applied.
    await product.subscribe(openid, { [ORDER]: 'accept' }, 'popup-once')
    expect((await message(older.messageId)).status).toBe('scheduled')
    expect((await message(newer.messageId)).status).toBe('waiting')
    await product.tick(Date.now() + 1000)
    expect((await product.delivered(openid)).map((m) => m.data.thing2.value)).toEqual(['较早'])
  })

  it('a long-term accept releases every message waiting for it', async () => {
    const openid = newOpenid('oW')
    const replies = [await product.send({ touser: openid, templateId: CLASS, data: exampleData(CLASS), waitForGrantMs: HOUR }), await product.send({ touser: openid, templateId: CLASS, data: exampleData(CLASS), waitForGrantMs: HOUR })]
    expect(replies.map((r) => r.status)).toEqual(['waiting', 'waiting'])
    await product.subscribe(openid, { [CLASS]: 'accept' })
    await product.tick(Date.now() + 1000)
    expect(await product.delivered(openid)).toHaveLength(2)
  })

  it('with no accept in time it ends expired (NO_QUOTA), and its key is free again', async () => {
    const openid = newOpenid('oW')
    const request = order(openid, '过期', { waitForGrantMs: 1000, idempotencyKey: 'expire-me' })
    const reply = await product.send(request)
    expect(reply.status).toBe('waiting')
    const report = await product.tick(Date.now() + 2000)
    expect(report.expired).toBeGreaterThanOrEqual(1)
    expect(await message(reply.messageId)).toMatchObject({ status: 'expired', code: 'NO_QUOTA' })
    // A later accept releases nothing: the wait is over.
    await product.subscribe(openid, { [ORDER]: 'accept' })
    expect((await message(reply.messageId)).status).toBe('expired')
    const again = await product.send(request)
    expect(again.messageId).not.toBe(reply.messageId)
    expect(again.status).toBe('sent')
  })

  it("counts against a user's queue: past the cap, QUEUE_FULL names the oldest pending, and cancelling one makes room", async () => {
    const openid = newOpenid('oQ')
    const user = { openid }
    const held = []
    for (let i = 0; i < CAP; i++) held.push(await product.send(appointment(openid, { waitForGrantMs: HOUR }), user))
    expect(held.map((r) => r.status)).toEqual(Array(CAP).fill('waiting'))
    const full = await product.send(appointment(openid, { sendAt: new Date(Date.now() + HOUR).toISOString() }), user)
    expect(full).toMatchObject({ ok: false, code: 'QUEUE_FULL', limit: CAP, pending: held.map((r) => r.messageId) })
    expect(await product.send({ action: 'cancel', messageId: held[0].messageId }, user)).toMatchObject({ ok: true, status: 'cancelled' })
    expect((await product.send(appointment(openid, { sendAt: new Date(Date.now() + HOUR).toISOString() }), user)).status).toBe('scheduled')
  })
})

describe("a user's own queue", () => {
  it('lists its own messages newest first, a page at a time, none twice or left out', async () => {
    const openid = await grantedUser(APPOINTMENT, 1)
    const user = { openid }
    const ids: string[] = []
    // From a server, so that the user's queue cap does not stop them: the list is of the messages to the user.
    for (let i = 0; i < 5; i++) ids.push((await product.send(appointment(openid, { sendAt: new Date(Date.now() + HOUR + i).toISOString() }))).messageId)
    // Another user's message is never in the list.
    await product.send(appointment(newOpenid('oX'), { sendAt: new Date(Date.now() + HOUR).toISOString() }))
    const seen: string[] = []
    let after: string | undefined
    for (let page = 0; page < 5; page++) {
      const reply = await product.send({ action: 'list', limit: 2, ...(after ? { after } : {}) }, user)
      expect(reply.ok).toBe(true)
      expect(reply.messages.length).toBeLessThanOrEqual(2)
      seen.push(...reply.messages.map((m: { messageId: string }) => m.messageId))
      if (!reply.next) break
      after = reply.next
    }
    expect(seen).toEqual([...ids].reverse())
    const cancelled = await product.send({ action: 'cancel', messageId: ids[0] })
    expect(cancelled.ok).toBe(true)
    const onlyCancelled = await product.send({ action: 'list', status: 'cancelled' }, user)
    expect(onlyCancelled.messages.map((m: { messageId: string }) => m.messageId)).toEqual([ids[0]])
    expect(onlyCancelled.next).toBeNull()
  })

  it("a user cannot list another's messages; a server names whose", async () => {
    const openid = newOpenid('oL')
    const other = newOpenid('oL')
    expect(await product.send({ action: 'list', touser: other }, { openid })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect(await product.send({ action: 'list' })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', field: 'touser' })
    expect(await product.send({ action: 'list', touser: other })).toEqual({ ok: true, messages: [], next: null })
  })
})

describe('bad input for the new fields', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['collapseKey empty', { collapseKey: '' }, 'collapseKey'],
    ['collapseKey too long', { collapseKey: 'k'.repeat(65) }, 'collapseKey'],
    ['collapseKey not a string', { collapseKey: 7 }, 'collapseKey'],
    ['collapseKey with a separator', { collapseKey: 'a>b' }, 'collapseKey'],
    ['waitForGrantMs zero', { waitForGrantMs: 0 }, 'waitForGrantMs'],
    ['waitForGrantMs negative', { waitForGrantMs: -5 }, 'waitForGrantMs'],
    ['waitForGrantMs fractional', { waitForGrantMs: 1.5 }, 'waitForGrantMs'],
    ['waitForGrantMs as text', { waitForGrantMs: '1000' }, 'waitForGrantMs'],
    ['waitForGrantMs over 7 days', { waitForGrantMs: 7 * 24 * HOUR + 1 }, 'waitForGrantMs'],
    ['urgent as text', { urgent: 'yes' }, 'urgent'],
    ['an unknown field', { collapse: 'x' }, 'collapse'],
  ]
  for (const [name, extra, field] of cases) {
    it(`${name}: INVALID_ARGUMENT naming ${field}, nothing written`, async () => {
      const openid = newOpenid('oB')
      const reply = await product.send(order(openid, '错误输入', extra))
      expect(reply).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', field })
      expect(await mine(openid)).toEqual([])
    })
  }

  const lists: Array<[string, Record<string, unknown>, string]> = [
    ['limit zero', { limit: 0 }, 'limit'],
    ['limit over 100', { limit: 101 }, 'limit'],
    ['limit as text', { limit: '5' }, 'limit'],
    ['an unknown status', { status: 'lost' }, 'status'],
    ['a cursor no reply gave', { after: 'bm90LWEtY3Vyc29y' }, 'after'],
    ['a cursor with other characters', { after: 'a/b' }, 'after'],
    ['an unknown field', { page: 2 }, 'page'],
  ]
  for (const [name, extra, field] of lists) {
    it(`list with ${name}: INVALID_ARGUMENT naming ${field}`, async () => {
      expect(await product.send({ action: 'list', ...extra }, { openid: newOpenid('oB') })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', field })
    })
  }
})
