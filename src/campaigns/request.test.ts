/** Reading a broadcast: its time, its audience, and the fingerprint a repeat under its key is held to. */
import { describe, expect, it } from 'vitest'
import { digest } from '../outbox/outbox'
import { Refusal } from '../replies'
import { readBroadcast } from './request'

const ORDER = 'Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w'
const data = { character_string1: 'SO1', thing2: '杯子', amount3: '¥1.00', name4: '张三', phrase5: '已发货' }
const NOW = new Date('2026-12-01T00:00:00Z')
const DAY = 24 * 3_600_000

const read = (extra: Record<string, unknown> = {}) => readBroadcast({ action: 'broadcast', templateId: ORDER, data, ...extra }, NOW, ['tags'])

function refusal(extra: Record<string, unknown>): unknown {
  try {
    read(extra)
  } catch (error) {
    if (error instanceof Refusal) return error.reply
    throw error
  }
  throw new Error('not refused')
}

describe('readBroadcast', () => {
  it('keeps the fingerprint of a broadcast asked without audience or time, so a campaign made before them still matches its repeat', () => {
    const prepared = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, { value }]))
    expect(read().fingerprint).toBe(digest([ORDER, prepared, null, 'formal', 'zh_CN']))
    expect(read()).toMatchObject({ status: 'queuing', audience: null, sendAt: null, excluded: 0, cursor: '' })
  })

  it('tells apart the same content for another audience or time, but not one instant written in two offsets', () => {
    const at = (sendAt: string) => read({ sendAt, audience: { tags: 'vip' } }).fingerprint
    expect(read({ audience: { tags: 'vip' } }).fingerprint).not.toBe(read().fingerprint)
    expect(read({ audience: { tags: 'vip' } }).fingerprint).not.toBe(read({ audience: { tags: 'new' } }).fingerprint)
    expect(at('2026-12-02T09:00:00+08:00')).toBe(at('2026-12-02T01:00:00Z'))
    expect(at('2026-12-02T09:00:00+08:00')).not.toBe(at('2026-12-02T09:01:00+08:00'))
    expect(read({ audience: { tags: 'vip' } }).audience).toBe('{"tags":"vip"}')
  })

  it('waits for a time ahead, and starts at once for one already past', () => {
    expect(read({ sendAt: '2026-12-02T09:00:00+08:00' })).toMatchObject({ status: 'scheduled', sendAt: new Date('2026-12-02T01:00:00Z') })
    expect(read({ sendAt: '2026-11-30T09:00:00+08:00' })).toMatchObject({ status: 'queuing', sendAt: new Date('2026-11-30T01:00:00Z') })
    expect(read({ sendAt: new Date(NOW.getTime() + 366 * DAY).toISOString() })).toMatchObject({ status: 'scheduled' })
  })

  it('refuses a time that is not ISO 8601 with its offset, or more than a year ahead', () => {
    for (const sendAt of ['tomorrow', '2026-12-02T09:00:00', '2026-12-02 09:00:00+08:00', '2026-13-02T09:00:00+08:00', 1764640800000, null]) {
      expect(refusal({ sendAt })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'sendAt' })
    }
    expect(refusal({ sendAt: new Date(NOW.getTime() + 367 * DAY).toISOString() })).toMatchObject({ field: 'sendAt', message: 'sendAt is more than a year ahead' })
  })

  it('refuses an audience on a field not allowed, and an unknown field of the request', () => {
    expect(refusal({ audience: { city: '北京' } })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'audience.city' })
    expect(refusal({ audiences: { tags: 'vip' } })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'audiences' })
  })
})
