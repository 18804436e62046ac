/**
 * Which version of the mini-program a card opens when its request names
 * none (settings.json `cards`), judged by WeChat's oracle: the
 * miniprogram_state each delivered message carried. On the local emulator a
 * send now or later, a broadcast and a resend open the developer version; a
 * request's own state always wins; the state is kept with the message, so a
 * keyed repeat is the same message. The emulator's mark cannot be taken
 * away, so the rule for other environments is seen with emulatorIsTest
 * turned off: the same settings on env `local` (not listed) and `staging`
 * (listed as a test environment).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { EVENT, ORDER, exampleData, newOpenid, useProduct, type Product } from './support/product'

const HOUR = 3_600_000
const order = (touser: string, extra: Record<string, unknown> = {}) => ({ touser, templateId: ORDER, data: exampleData(ORDER), ...extra })

async function holder(product: Product, templateId: string, accepts: number): Promise<string> {
  const openid = newOpenid('oCs')
  for (let i = 0; i < accepts; i++) await product.subscribe(openid, { [templateId]: 'accept' })
  return openid
}

/** The versions WeChat's cards to this user open, in the order they were delivered. */
const opened = async (product: Product, openid: string) => (await product.delivered(openid)).map((message) => message.miniprogram_state)

describe('on the local emulator', () => {
  const { product } = useProduct(['--no-timers', '--time-travel', '--max-instances', '20'])

  afterEach(async () => {
    await product.faults(null)
  })

  it('a send that names no state opens the developer version, kept with the message; a named state wins', async () => {
    const openid = await holder(product, ORDER, 3)
    const first = await product.send(order(openid, { idempotencyKey: `card-${openid}` }))
    expect(first).toMatchObject({ ok: true, status: 'sent' })
    // Asked again without a state: it resolves the same, so it is the same message, not a mismatch.
    expect(await product.send(order(openid, { idempotencyKey: `card-${openid}` }))).toEqual(first)
    expect(await product.send(order(openid, { miniprogramState: 'formal' }))).toMatchObject({ ok: true, status: 'sent' })
    expect(await product.send(order(openid, { miniprogramState: 'trial' }))).toMatchObject({ ok: true, status: 'sent' })
    expect(await opened(product, openid)).toEqual(['developer', 'formal', 'trial'])
    const stored = (await product.where('messages', { touser: openid })).map((message) => message.miniprogramState)
    expect(stored.sort()).toEqual(['developer', 'formal', 'trial'])
  })

  it('a scheduled send opens the developer version when the timer sends it', async () => {
    const openid = await holder(product, ORDER, 1)
    const sendAt = new Date(Date.now() + HOUR)
    expect(await product.send(order(openid, { sendAt: sendAt.toISOString() }))).toMatchObject({ ok: true, status: 'scheduled' })
    await product.tick(sendAt.getTime() + 1000)
    expect(await opened(product, openid)).toEqual(['developer'])
  })

  it('a broadcast that names no state opens the developer version for every holder; one that names formal opens formal', async () => {
    const holders = [await holder(product, EVENT, 2), await holder(product, EVENT, 2)]
    const plain = await product.send({ action: 'broadcast', templateId: EVENT, data: exampleData(EVENT) })
    const formal = await product.send({ action: 'broadcast', templateId: EVENT, data: exampleData(EVENT), miniprogramState: 'formal' })
    const campaigns = await product.collection('campaigns')
    expect(campaigns.find((c) => c._id === plain.campaignId)).toMatchObject({ miniprogramState: 'developer' })
    expect(campaigns.find((c) => c._id === formal.campaignId)).toMatchObject({ miniprogramState: 'formal' })
    await product.tick(Date.now() + 1000)
    for (const openid of holders) expect((await opened(product, openid)).sort()).toEqual(['developer', 'formal'])
  })

  it('a resend opens what the first opened', async () => {
    const openid = await holder(product, ORDER, 4)
    await product.faults({ errcode: -1 })
    const lost = [await product.send(order(openid)), await product.send(order(openid, { miniprogramState: 'trial' }))]
    for (const reply of lost) expect(reply).toMatchObject({ ok: false, code: 'UNKNOWN_OUTCOME' })
    await product.faults(null)
    expect(await opened(product, openid)).toEqual([])
    for (const reply of lost) expect(await product.send({ action: 'resend', messageId: reply.messageId })).toMatchObject({ ok: true, status: 'sent' })
    expect(await opened(product, openid)).toEqual(['developer', 'trial'])
  })
})

describe('with the emulator not counted as a test environment', () => {
  const settings = ['--function-env', 'send:CARDS_EMULATOR_IS_TEST=false', '--function-env', 'send:CARDS_TEST_ENVIRONMENTS=staging,qa-2']
  const local = useProduct(['--no-timers', ...settings])
  const staging = useProduct(['--no-timers', '--env', 'staging', ...settings])

  it('the env id decides: formal on an environment not listed, developer on one listed as a test environment', async () => {
    const health = async (emulator: typeof local.emulator) => ((await emulator.request('GET', '/_emulator/health')).body as { envId: string }).envId
    expect([await health(local.emulator), await health(staging.emulator)]).toEqual(['local', 'staging'])
    for (const [{ product }, state] of [[local, 'formal'], [staging, 'developer']] as const) {
      const openid = await holder(product, ORDER, 2)
      expect(await product.send(order(openid))).toMatchObject({ ok: true, status: 'sent' })
      // A request's own state wins here too.
      expect(await product.send(order(openid, { miniprogramState: 'trial' }))).toMatchObject({ ok: true, status: 'sent' })
      expect(await opened(product, openid)).toEqual([state, 'trial'])
    }
  })
})
