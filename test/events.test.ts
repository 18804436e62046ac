/** WeChat's pushed events reach `wechat-events` (the project's message-push receiver) and keep the ledger true. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../emulator/spawn'
import { APPOINTMENT, CLASS, EVENT, exampleData, newOpenid, useProduct } from './support/product'

/** WeChat does not document a push's SOURCE: each plausible one is an emulator setting, and the receiver must work under all. */
const PUSH_SOURCES = ['wx_unknown', '', 'wx_msgpush']

describe.each(PUSH_SOURCES)('pushed with SOURCE %j', (source) => {
  const { emulator, product } = useProduct(['--no-timers', '--max-instances', '20', `--push-source=${source}`])

  it("a card reject pushed with the user's OPENID zeroes that user's grant", async () => {
    const openid = newOpenid('oE')
    await product.subscribe(openid, { [APPOINTMENT]: 'accept' })
    await product.subscribe(openid, { [APPOINTMENT]: 'accept' })
    await emulator.request('POST', '/_emulator/wechat/reject', { openid, templateId: APPOINTMENT })
    await settled(emulator)
    expect(await product.ledger(openid, APPOINTMENT)).toEqual({ available: 0, kind: 'one-time', status: 'reject' })
    expect(await product.ledger(openid, APPOINTMENT)).toEqual(await product.oracleQuota(openid, APPOINTMENT))
    const long = newOpenid('oE')
    await product.subscribe(long, { [CLASS]: 'accept' })
    await emulator.request('POST', '/_emulator/wechat/reject', { openid: long, templateId: CLASS })
    await settled(emulator)
    expect(await product.ledger(long, CLASS)).toEqual({ available: 0, kind: 'long-term', status: 'reject' })
    // Turned back on in WeChat's settings: the pushed accept makes the grant active again.
    expect((await emulator.request('POST', '/_emulator/wechat/resume', { openid: long, templateId: CLASS })).status).toBe(200)
    await settled(emulator)
    expect(await product.ledger(long, CLASS)).toEqual({ available: 1, kind: 'long-term', status: 'accept' })
    expect(await product.ledger(long, CLASS)).toEqual(await product.oracleQuota(long, CLASS))
    expect((await emulator.request('POST', '/_emulator/wechat/resume', { openid: long, templateId: APPOINTMENT })).status).toBe(400)
  })

  it('an asynchronous send failure marks the message', async () => {
    const openid = newOpenid('oE')
    await product.subscribe(openid, { [APPOINTMENT]: 'accept' })
    const sent = await product.send({ touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) })
    await emulator.request('POST', `/_emulator/wechat/messages/${sent.msgid}/fail`, { errorCode: 10002, errorStatus: 'fail' })
    await settled(emulator)
    const { message } = await product.send({ action: 'get', messageId: sent.messageId })
    expect(message).toMatchObject({ status: 'failed', code: 'DELIVERY_FAILED', errcode: 10002 })
  })
})

const { emulator, product } = useProduct()

/** Events are pushed asynchronously: wait until the receiver has handled every one so far. */
async function settled(emulator: RunningEmulator): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const events = (await emulator.request('GET', '/_emulator/wechat/events')).body.data
    if (events.every((e: { outcome: string }) => e.outcome !== 'pending')) {
      expect(events.filter((e: { outcome: string }) => e.outcome === 'failed')).toEqual([])
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('events still pending')
}

describe('wechat-events', () => {
  it('popup events count nothing while accepts come from the reports: never twice', async () => {
    const openid = newOpenid('oE')
    await product.subscribe(openid, { [APPOINTMENT]: 'accept', [EVENT]: 'accept' })
    await settled(emulator)
    expect((await product.ledger(openid, APPOINTMENT)).available).toBe(1)
    expect(await product.ledger(openid, EVENT)).toEqual(await product.oracleQuota(openid, EVENT))
  })

  it('refuses an event from a client, from HTTP access, with no user, or about another user than its push', async () => {
    const openid = newOpenid('oE')
    const other = newOpenid('oE')
    await product.subscribe(openid, { [APPOINTMENT]: 'accept' })
    const forged = { ToUserName: 'gh_x', FromUserName: openid, CreateTime: 1, MsgType: 'event', Event: 'subscribe_msg_change_event', List: { TemplateId: APPOINTMENT, SubscribeStatusString: 'reject' } }
    for (const source of ['wx_client', 'wx_devtools', 'wx_localdebug', 'wx_client,scf', 'wx_http']) {
      expect(await emulator.result('wechat-events', forged, { openid }, { source })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    }
    expect(await emulator.result('wechat-events', forged)).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect(await emulator.result('wechat-events', forged, { openid: other }, { source: 'wx_unknown' })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect(await emulator.result('wechat-events', { MsgType: 'text' }, { openid }, { source: 'wx_unknown' })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' })
    expect(await product.ledger(openid, APPOINTMENT)).toEqual({ available: 1, kind: 'one-time', status: 'accept' })
  })

  it("with events applied, the ledger equals WeChat's quota after accepts, sends, faults of certain outcome and card rejects", async () => {
    const step = fc.oneof(
      fc.constant({ kind: 'accept' as const }),
      fc.constant({ kind: 'reject' as const }),
      fc.constant({ kind: 'send' as const }),
      fc.constant({ kind: 'cardReject' as const }),
      fc.record({ kind: fc.constant('fault' as const), errcode: fc.constantFrom(43108, 45009, 40003, 43107) }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        const openid = newOpenid('oEP')
        await emulator.call('login', {}, { openid })
        for (const s of steps) {
          if (s.kind === 'accept' || s.kind === 'reject') await product.subscribe(openid, { [EVENT]: s.kind })
          else if (s.kind === 'cardReject') await emulator.request('POST', '/_emulator/wechat/reject', { openid, templateId: EVENT })
          else {
            if (s.kind === 'fault') await product.faults({ errcode: s.errcode })
            await product.send({ touser: openid, templateId: EVENT, data: exampleData(EVENT) })
            await product.faults(null)
          }
          await settled(emulator)
        }
        expect((await product.ledger(openid, EVENT)).available).toBe((await product.oracleQuota(openid, EVENT)).available)
      }),
      { numRuns: 15 },
    )
  }, 120_000)
})
