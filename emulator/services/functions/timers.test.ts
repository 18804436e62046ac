/** Timers fire on their cron while the emulator runs, and a failed run is retried twice. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXTURE_PROJECT, spawnEmulator, type RunningEmulator } from '../../../test/support/emulator'
import { nextFireTime } from './timers'

let emulator: RunningEmulator

beforeAll(async () => {
  emulator = await spawnEmulator({ project: FIXTURE_PROJECT, args: [] })
})
afterAll(() => emulator.stop())

describe('timer triggers', () => {
  it('fire on their 7-field cron and retry a failed run twice, no more', async () => {
    let ticks: Array<{ _id: string; attempts: number; done?: boolean; source: string; trigger: string }> = []
    for (let waited = 0; waited < 8000 && !ticks.some((t) => t.done); waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      ticks = (await emulator.request('GET', '/_emulator/db/ticks')).body.data
    }
    const done = ticks.find((t) => t.done)
    expect(done).toBeDefined()
    expect(done).toMatchObject({ attempts: 3, trigger: 'everySecond', source: 'wx_trigger' })
    expect(done!._id).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    // Fire times are whole seconds, one per second.
    const times = ticks.map((t) => Date.parse(t._id)).sort()
    expect(times.every((t) => t % 1000 === 0)).toBe(true)
    expect(new Set(times).size).toBe(times.length)
    expect(ticks.every((t) => t.attempts <= 3)).toBe(true)
  })

  it('does not fire with --no-timers', async () => {
    const quiet = await spawnEmulator({ project: FIXTURE_PROJECT })
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect((await quiet.request('GET', '/_emulator/db/ticks')).body.data).toEqual([])
    } finally {
      await quiet.stop()
    }
  })
})

describe('cron evaluation', () => {
  const next = (cron: string, from: string) => nextFireTime(cron, new Date(from))?.toISOString()

  it('reads the 7 fields in UTC+8', () => {
    // 09:00 in Beijing is 01:00 UTC.
    expect(next('0 0 9 * * * *', '2026-01-01T00:30:00Z')).toBe('2026-01-01T01:00:00.000Z')
    expect(next('0 */1 * * * * *', '2026-01-01T00:00:30Z')).toBe('2026-01-01T00:01:00.000Z')
    expect(next('30 15 10 * * * 2027', '2026-06-01T00:00:00Z')).toBe('2027-01-01T02:15:30.000Z')
  })

  it('combines day of month and weekday as OR', () => {
    // Midnight Beijing time on the 15th, or on a Monday (2026-01-05 is a Monday).
    expect(next('0 0 0 15 * 1 *', '2026-01-01T00:00:00Z')).toBe('2026-01-04T16:00:00.000Z')
  })
})
