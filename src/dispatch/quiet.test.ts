import { describe, expect, it } from 'vitest'
import { quietUntil } from './quiet'

/** An instant given as UTC+8 wall time. */
const beijing = (text: string) => Date.parse(`${text}+08:00`)
const end = (text: string) => new Date(beijing(text))

describe('quietUntil', () => {
  it('holds a time inside a window within the day until its end', () => {
    const quiet = { from: '12:00', to: '14:30' }
    expect(quietUntil(beijing('2026-12-03T12:00:00'), quiet)).toEqual(end('2026-12-03T14:30:00'))
    expect(quietUntil(beijing('2026-12-03T14:29:59.999'), quiet)).toEqual(end('2026-12-03T14:30:00'))
    expect(quietUntil(beijing('2026-12-03T14:30:00'), quiet)).toBeUndefined()
    expect(quietUntil(beijing('2026-12-03T11:59:59'), quiet)).toBeUndefined()
  })

  it('holds across midnight: the evening until the next morning, the small hours until this morning', () => {
    const quiet = { from: '22:00', to: '08:00' }
    expect(quietUntil(beijing('2026-12-03T23:10:00'), quiet)).toEqual(end('2026-12-04T08:00:00'))
    expect(quietUntil(beijing('2026-12-03T22:00:00'), quiet)).toEqual(end('2026-12-04T08:00:00'))
    // 03:00 in UTC+8 is the previous day in UTC: the window's day is UTC+8's.
    expect(quietUntil(beijing('2026-12-04T03:00:00'), quiet)).toEqual(end('2026-12-04T08:00:00'))
    expect(quietUntil(beijing('2026-12-04T08:00:00'), quiet)).toBeUndefined()
    expect(quietUntil(beijing('2026-12-04T12:00:00'), quiet)).toBeUndefined()
  })

  it('holds nothing without quiet hours, or with a window of equal ends', () => {
    expect(quietUntil(beijing('2026-12-03T03:00:00'), null)).toBeUndefined()
    expect(quietUntil(beijing('2026-12-03T03:00:00'), { from: '03:00', to: '03:00' })).toBeUndefined()
  })
})
