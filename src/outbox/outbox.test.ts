import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnEmulator, type RunningEmulator } from '../../test/support/emulator'
import { connectSdk } from '../../test/support/sdk'
import { database } from '../cloud'
import { Outbox, newMessage, newMessageId, shardOf, type MessageRecord, type NewMessage } from './outbox'

let emulator: RunningEmulator
let outbox: Outbox

beforeAll(async () => {
  emulator = await spawnEmulator()
  connectSdk(emulator)
  outbox = new Outbox(database())
})
afterAll(() => emulator.stop())

function message(key: string): NewMessage {
  return newMessage({
    _id: newMessageId(),
    idempotencyKey: key,
    fingerprint: 'f',
    requestedBy: 'server',
    touser: 'oO1',
    templateId: 't',
    data: { thing1: { value: 'x' } },
    page: null,
    miniprogramState: 'formal',
    lang: 'zh_CN',
  })
}

describe('Outbox', () => {
  it('lets exactly one of many concurrent opens claim a key, and shows the others its message', async () => {
    const attempts = Array.from({ length: 12 }, () => message('server:k1'))
    const results = await Promise.all(attempts.map((m) => outbox.open(m)))
    const winners = results.filter((r) => r.created)
    expect(winners).toHaveLength(1)
    const winner = attempts[results.findIndex((r) => r.created)]!
    for (const r of results) if (!r.created) expect(r.existing?._id).toBe(winner._id)
    expect((await emulator.request('GET', '/_emulator/db/messages?limit=1000')).body.data.filter((m: MessageRecord) => m.idempotencyKey === 'server:k1')).toHaveLength(1)
  })

  it('applies a conditional change only while its expectation holds', async () => {
    const queued = { ...message('server:k3'), status: 'scheduled' as const, sendAt: new Date(), dueAt: new Date() }
    await outbox.open(queued)
    expect(await outbox.update(queued._id, { status: 'cancelled' }, [], { status: 'scheduled' })).toBe(true)
    expect(await outbox.update(queued._id, { status: 'cancelled' }, [], { status: 'scheduled' })).toBe(false)
  })

  it('spreads recipients over the shards by FNV-1a of the openid, so a recipient is always in one', () => {
    const shards = Array.from({ length: 200 }, (_, i) => shardOf(`oUser${i}`))
    expect(new Set(shards).size).toBe(8)
    // FNV-1a's 32-bit reference values (offset basis 2166136261, prime 16777619), folded onto 8 shards.
    expect(shardOf('')).toBe(2166136261 % 8)
    expect(shardOf('a')).toBe(0xe40c292c % 8)
    expect(shardOf('foobar')).toBe(0xbf9cf968 % 8)
  })

  it('records attempts and the outcome, and frees a key for a retry', async () => {
    const first = message('server:k2')
    await outbox.open(first)
    await outbox.update(first._id, { status: 'failed', code: 'RETRYABLE', errcode: -1, idempotencyKey: Outbox.released(first) }, [{ at: new Date(), errcode: -1, errmsg: 'busy' }])
    const stored = await outbox.get(first._id)
    expect(stored).toMatchObject({ status: 'failed', code: 'RETRYABLE', attempts: [{ errcode: -1, errmsg: 'busy' }] })
    expect((await outbox.open(message('server:k2'))).created).toBe(true)
  })
})
