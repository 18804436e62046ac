/**
 * Quiet hours through the emulator, on the real clock: send's environment
 * sets a window of the UTC+8 day around now (crossing midnight when now is
 * near it), so a message scheduled for now waits for the window's end; an
 * urgent one and a user's own immediate send do not.
 */
import { describe, expect, it } from 'vitest'
import { APPOINTMENT, ORDER, exampleData, newOpenid, useProduct } from './support/product'

const BEIJING_MS = 8 * 3600_000
const DAY_MS = 86_400_000
const clock = (ms: number) => new Date(ms + BEIJING_MS).toISOString().slice(11, 16)
const started = Date.now()
const QUIET = { from: clock(started - 3600_000), to: clock(started + 3600_000) }

/** The window's end: the next time the UTC+8 clock reads `to`. */
function windowEnd(): number {
  const [h, m] = QUIET.to.split(':').map(Number) as [number, number]
  const local = started + BEIJING_MS
  let end = Math.floor(local / DAY_MS) * DAY_MS + (h * 60 + m) * 60_000
  if (end <= local) end += DAY_MS
  return end - BEIJING_MS
}

const { product } = useProduct(['--no-timers', '--max-instances', '20', '--function-env', `send:QUIET_FROM=${QUIET.from}`, '--function-env', `send:QUIET_TO=${QUIET.to}`])

const order = (touser: string, extra: Record<string, unknown> = {}) => ({ touser, templateId: ORDER, data: exampleData(ORDER), ...extra })
const message = async (messageId: string) => (await product.send({ action: 'get', messageId })).message

async function grantedUser(templateId = ORDER): Promise<string> {
  const openid = newOpenid('oQ')
  await product.subscribe(openid, { [templateId]: 'accept' })
  return openid
}

/** Until the real clock passes `at`: a wait for a time, not for a count. */
async function pass(at: number): Promise<void> {
  while (Date.now() <= at) await new Promise((resolve) => setTimeout(resolve, 20))
}

describe(`quiet hours ${QUIET.from} to ${QUIET.to} (UTC+8), around now`, () => {
  it('a message scheduled for now is not sent by the timer: it stays scheduled, due at the window’s end', async () => {
    const openid = await grantedUser()
    const sendAt = Date.now() + 500
    const reply = await product.send(order(openid, { sendAt: new Date(sendAt).toISOString() }))
    expect(reply).toMatchObject({ ok: true, status: 'scheduled' })
    await pass(sendAt)
    await product.tick(Date.now())
    expect(await product.delivered(openid)).toEqual([])
    const held = await message(reply.messageId)
    expect(held.status).toBe('scheduled')
    expect(new Date(held.dueAt).getTime()).toBe(windowEnd())
    expect(new Date(held.sendAt).getTime()).toBe(sendAt)
  })

  it('an urgent one goes', async () => {
    const openid = await grantedUser()
    const sendAt = Date.now() + 500
    const reply = await product.send(order(openid, { sendAt: new Date(sendAt).toISOString(), urgent: true }))
    expect(new Date((await message(reply.messageId)).dueAt).getTime()).toBe(sendAt)
    await pass(sendAt)
    const report = await product.tick(Date.now())
    expect(report.sent).toBeGreaterThanOrEqual(1)
    expect(await product.delivered(openid)).toHaveLength(1)
    expect((await message(reply.messageId)).status).toBe('sent')
  })

  it("a broadcast's messages due now wait for the window's end", async () => {
    const holders = [await grantedUser(), await grantedUser()]
    const broadcast = await product.send({ action: 'broadcast', templateId: ORDER, data: exampleData(ORDER) })
    expect(broadcast.ok).toBe(true)
    const report = await product.tick(Date.now())
    expect(report.held).toBeGreaterThanOrEqual(holders.length)
    for (const openid of holders) expect(await product.delivered(openid)).toEqual([])
    const queued = (await product.collection('messages')).filter((m) => holders.includes(m.touser))
    expect(queued).toHaveLength(holders.length)
    for (const m of queued) {
      expect(m.status).toBe('scheduled')
      expect(new Date(m.dueAt).getTime()).toBe(windowEnd())
    }
  })

  it("a user's own immediate send is not held", async () => {
    const openid = await grantedUser(APPOINTMENT)
    const reply = await product.send({ touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) }, { openid })
    expect(reply).toMatchObject({ ok: true, status: 'sent' })
    expect(await product.delivered(openid)).toHaveLength(1)
  })
})
