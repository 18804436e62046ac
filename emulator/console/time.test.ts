/** The console's clock words, where a browser is not needed: the platform's UTC+8, relative times, local text read back. */
import { describe, expect, it } from 'vitest'
import { platformText, relativeText, toDate } from './time'
import { parseLocal } from './tree'

describe('the console’s times', () => {
  it('writes an instant on the platform clock, UTC+8, whatever the zone it runs in', () => {
    expect(platformText(new Date('2026-12-03T16:30:05.000Z'))).toBe('2026-12-04 00:30:05')
  })

  it('reads the dates the control API gives: { $date }, ISO text, epoch ms; nothing else', () => {
    expect(toDate({ $date: '2026-12-03T01:02:03.004Z' })?.toISOString()).toBe('2026-12-03T01:02:03.004Z')
    expect(toDate('2026-12-03T01:02:03Z')?.getTime()).toBe(Date.UTC(2026, 11, 3, 1, 2, 3))
    expect(toDate(0)?.getTime()).toBe(0)
    for (const value of [null, undefined, true, 'not a date', { $date: 'soon' }, {}]) expect(toDate(value)).toBeUndefined()
  })

  it('says how long ago within a day, in whole minutes and hours, and nothing beyond', () => {
    const now = Date.UTC(2026, 11, 3, 12)
    const at = (seconds: number) => relativeText(new Date(now + seconds * 1000), now)
    expect([at(-5), at(30), at(-150), at(3 * 3600 + 59), at(-86_399), at(86_400)]).toEqual(['刚刚', '1分钟内', '2分钟前', '3小时后', '23小时前', undefined])
  })

  it('reads a local time typed in the tree, and refuses one no calendar has', () => {
    expect(parseLocal('2026-12-03 09:30')?.getTime()).toBe(new Date(2026, 11, 3, 9, 30).getTime())
    expect(parseLocal(' 2026-12-03T09:30:05.7 ')?.getTime()).toBe(new Date(2026, 11, 3, 9, 30, 5, 700).getTime())
    for (const text of ['2026-02-30 10:00', '2026-12-03 24:00', '2026-12-03', 'tomorrow', '']) expect(parseLocal(text), text).toBeUndefined()
  })
})
