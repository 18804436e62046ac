/**
 * Who may call what. A call that carries an OPENID but no client's SOURCE
 * has the shape of WeChat's message push; WeChat pushes only to the
 * function configured for it (`wechat-events`), so everywhere else such a
 * call is refused, writes nothing and sends nothing.
 */
import { describe, expect, it } from 'vitest'
import { APPOINTMENT, ORDER, exampleData, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct()

/** SOURCEs a push might carry: WeChat does not document it, so any that is not a client's or HTTP access. */
const PUSH_SOURCES = ['wx_unknown', 'wx_msgpush', 'some_new_source']

const pushed = (name: string, data: unknown, openid: string, source: string) => emulator.result(name, data, { openid }, { source })

/** What a refused call must leave as it was: the product's records and WeChat's deliveries. */
async function state(...openids: string[]) {
  const [messages, campaigns, grants, reports, users] = await Promise.all(
    ['messages', 'campaigns', 'grants', 'grant_reports', 'users'].map((name) => product.collection(name)),
  )
  const delivered = await Promise.all(openids.map((openid) => product.delivered(openid)))
  return { messages, campaigns, grants, reports, users, delivered }
}

/** Waits, with a deadline, until a time has passed. */
async function until(time: number): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() <= time) {
    if (Date.now() > deadline) throw new Error('the clock did not reach the time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe.each(PUSH_SOURCES)('a push-shaped call with SOURCE %s', (source) => {
  it('is refused by send: to another user, to itself, a broadcast, a tick, a dispatch, a cancel, a get', async () => {
    const victim = newOpenid('oV')
    const pusher = newOpenid('oX')
    for (const openid of [victim, pusher]) await product.subscribe(openid, { [APPOINTMENT]: 'accept', [ORDER]: 'accept' })
    // A message of the victim's, due by the time the calls come, for a tick or a dispatch to send.
    const sendAt = Date.now() + 1000
    const queued = await product.send({ touser: victim, templateId: APPOINTMENT, data: exampleData(APPOINTMENT), sendAt: new Date(sendAt).toISOString() })
    expect(queued).toMatchObject({ ok: true, status: 'scheduled' })
    await until(sendAt)
    const before = await state(victim, pusher)

    const now = Date.now()
    const requests: unknown[] = [
      { touser: victim, templateId: ORDER, data: exampleData(ORDER) },
      { touser: victim, templateId: APPOINTMENT, data: exampleData(APPOINTMENT), idempotencyKey: `k-${source}` },
      { touser: pusher, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) },
      { action: 'broadcast', templateId: ORDER, data: exampleData(ORDER) },
      { Type: 'timer', TriggerName: 'dispatch', Time: new Date(now).toISOString() },
      ...Array.from({ length: 8 }, (_, shard) => ({ action: 'dispatch', shard, deadline: now + 20_000, until: now + 25_000 })),
      { action: 'cancel', messageId: queued.messageId },
      { action: 'get', messageId: queued.messageId },
      { action: 'templates' },
    ]
    for (const request of requests) {
      expect(await pushed('send', request, pusher, source), JSON.stringify(request)).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    }
    expect(await state(victim, pusher)).toEqual(before)
    expect(before.delivered).toEqual([[], []])
    // A server still may: the queued message was left as it was.
    expect(await product.send({ action: 'cancel', messageId: queued.messageId })).toMatchObject({ ok: true, status: 'cancelled' })
  })

  it('is refused by subscribe-record and login, which write nothing', async () => {
    const openid = newOpenid('oX')
    const popup = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { [APPOINTMENT]: 'accept' } })
    expect(popup.status).toBe(200)
    const before = await state(openid)
    expect(await pushed('subscribe-record', { results: popup.body, requestId: `r-${source}` }, openid, source)).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect(await pushed('subscribe-record', { action: 'status' }, openid, source)).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect(await pushed('login', {}, openid, source)).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect(await state(openid)).toEqual(before)
    expect(before.grants.filter((grant) => grant.openid === openid)).toEqual([])
  })

  it('is applied by wechat-events, about the user it names only', async () => {
    const openid = newOpenid('oE')
    await product.subscribe(openid, { [APPOINTMENT]: 'accept' })
    const reject = {
      ToUserName: 'gh_0123456789ab',
      FromUserName: openid,
      CreateTime: 1_764_000_000,
      MsgType: 'event',
      Event: 'subscribe_msg_change_event',
      List: { TemplateId: APPOINTMENT, SubscribeStatusString: 'reject' },
    }
    expect(await pushed('wechat-events', reject, newOpenid('oX'), source)).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect((await product.ledger(openid, APPOINTMENT)).available).toBe(1)
    expect(await pushed('wechat-events', reject, openid, source)).toEqual({ ok: true, event: 'subscribe_msg_change_event', applied: 1 })
    expect(await product.ledger(openid, APPOINTMENT)).toEqual({ available: 0, kind: 'one-time', status: 'reject' })
  })
})

describe('wechat-events, pushed by WeChat', () => {
  it("applies a card's reject and answers a popup event", async () => {
    const openid = newOpenid('oE')
    // The popup makes WeChat push a popup event; the report counts the accept (acceptsFrom "reports").
    await product.subscribe(openid, { [APPOINTMENT]: 'accept' })
    await emulator.request('POST', '/_emulator/wechat/reject', { openid, templateId: APPOINTMENT })
    const replies = (await pushReplies(openid, 2)).sort((a, b) => String(a.event).localeCompare(String(b.event)))
    expect(replies).toEqual([
      { ok: true, event: 'subscribe_msg_change_event', applied: 1 },
      { ok: true, event: 'subscribe_msg_popup_event', applied: 0 },
    ])
    expect(await product.ledger(openid, APPOINTMENT)).toEqual({ available: 0, kind: 'one-time', status: 'reject' })
    expect(await product.ledger(openid, APPOINTMENT)).toEqual(await product.oracleQuota(openid, APPOINTMENT))
  })
})

/** The receiver's replies to WeChat's pushes about a user, once there are `count` of them (pushes are asynchronous). */
async function pushReplies(openid: string, count: number): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const { data } = (await emulator.request('GET', '/_emulator/invocations')).body as { data: Array<{ function: string; caller: { openid: string | null }; reply: string }> }
    const replies = data.filter((entry) => entry.function === 'wechat-events' && entry.caller.openid === openid).map((entry) => JSON.parse(entry.reply))
    if (replies.length >= count) return replies
    if (Date.now() > deadline) throw new Error(`${replies.length} of ${count} pushes answered`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
