/**
 * The ledger against WeChat's count, over generated histories: accepts,
 * rejects from the popup and from a card (pushed to wechat-events), sends one
 * at a time and several at once (43108, retried), and sends under WeChat's
 * faults: busy, a hang (delivered or not), -1 before or after delivering,
 * 45009, a refusal; and a card's reject while a send is in flight (a real
 * 43101, or a refund that must not revive the grant). After each history the
 * ledger is never above WeChat's count, and below it by no more than the
 * units it says are uncertain: equal to it when no outcome was unknown.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EVENT, exampleData, newOpenid, useProduct } from './support/product'

// WeChat's timeout short, so that a hang costs 150 ms rather than 3 s.
const { emulator, product } = useProduct([
  '--no-timers',
  '--max-instances',
  '20',
  '--function-env',
  'send:TIMING_WECHAT_TIMEOUT_MS=150',
  '--function-env',
  'send:TIMING_BUSY_RETRY_MS=20',
])

type Fault = { errcode: number; deliverFirst?: number } | { hang: true; seed: number } | null
type Step =
  | { kind: 'accept' | 'reject' | 'cardReject' }
  /** A card's reject while a send is at WeChat, which then answers the errcode, or sends (or 43101s) when there is none. */
  | { kind: 'rejectDuringSend'; errcode: number | null }
  | { kind: 'send'; fault: Fault }
  | { kind: 'concurrent'; sends: number }

const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.constant(null),
  fc.constant({ errcode: 43108 }),
  fc.constant({ errcode: 45009 }),
  fc.constant({ errcode: 40003 }),
  fc.record({ errcode: fc.constant(-1), deliverFirst: fc.constantFrom(0, 1) }),
  fc.record({ hang: fc.constant(true as const), seed: fc.nat(1000) }),
)

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'accept' as const }) },
  fc.constant({ kind: 'reject' as const }),
  fc.constant({ kind: 'cardReject' as const }),
  fc.record({ kind: fc.constant('rejectDuringSend' as const), errcode: fc.constantFrom(null, 45009, 40003, 43108) }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('send' as const), fault }) },
  fc.record({ kind: fc.constant('concurrent' as const), sends: fc.integer({ min: 2, max: 3 }) }),
)

/** Pushed events are applied asynchronously: wait until every one so far is. */
async function settled(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const events = (await emulator.request('GET', '/_emulator/wechat/events')).body.data as Array<{ outcome: string }>
    if (events.every((e) => e.outcome !== 'pending')) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('events still pending')
}

const send = (openid: string) => product.send({ touser: openid, templateId: EVENT, data: exampleData(EVENT) })

async function run(openid: string, s: Step): Promise<void> {
  switch (s.kind) {
    case 'accept':
    case 'reject':
      await product.subscribe(openid, { [EVENT]: s.kind })
      break
    case 'cardReject':
      await emulator.request('POST', '/_emulator/wechat/reject', { openid, templateId: EVENT })
      break
    case 'rejectDuringSend': {
      await product.faults({ latencyMs: 60, ...(s.errcode === null ? {} : { errcode: s.errcode }) })
      const sending = send(openid)
      await new Promise((resolve) => setTimeout(resolve, 20))
      await emulator.request('POST', '/_emulator/wechat/reject', { openid, templateId: EVENT })
      await sending
      break
    }
    case 'send':
      if (s.fault) await product.faults(s.fault)
      await send(openid)
      break
    case 'concurrent':
      await product.faults({ latencyMs: 40 })
      await Promise.all(Array.from({ length: s.sends }, () => send(openid)))
      break
  }
  await product.faults(null)
  await settled()
}

describe("the ledger against WeChat's count", () => {
  it('is never above it, and below it by at most the uncertain units, over 200 histories', async () => {
    let withUncertain = 0
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
        const openid = newOpenid('oT')
        await emulator.call('login', {}, { openid })
        for (const s of steps) await run(openid, s)
        const grant = await product.grant(openid, EVENT)
        const wechat = (await product.oracleQuota(openid, EVENT)).available
        expect(grant.available).toBeLessThanOrEqual(wechat)
        expect(wechat).toBeLessThanOrEqual(grant.available + grant.uncertain)
        if (grant.uncertain > 0) withUncertain += 1
        // Every message the records call sent, WeChat delivered.
        const delivered = new Set((await product.delivered(openid)).map((m) => m.msgid))
        const records = (await product.collection('messages')).filter((m) => m.touser === openid)
        for (const m of records.filter((r) => r.status === 'sent')) expect(delivered.has(m.msgid)).toBe(true)
      }),
      { numRuns: 200, seed: 20261127 },
    )
    // The histories did reach the uncertain cases, not only the certain ones.
    expect(withUncertain).toBeGreaterThan(0)
  }, 300_000)
})
