/**
 * Quiet hours: a window of the UTC+8 day (WeChat's, and the users') in which
 * scheduled and broadcast messages are held until it ends, unless urgent. A
 * window whose `from` is later than its `to` crosses midnight; one whose ends
 * are equal is empty (no hours are quiet).
 */
import { DAY_MS, startOfBeijingDay } from '../beijing'
import type { QuietHours } from '../settings'
const MINUTE_MS = 60_000

const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5))

/** When the window that holds `at` ends; undefined when `at` is outside it (or there are no quiet hours). */
export function quietUntil(at: number, quiet: QuietHours | null): Date | undefined {
  if (!quiet) return undefined
  const from = minutesOf(quiet.from) * MINUTE_MS
  const to = minutesOf(quiet.to) * MINUTE_MS
  if (from === to) return undefined
  const midnight = startOfBeijingDay(at)
  const sinceMidnight = at - midnight
  if (from < to) return sinceMidnight >= from && sinceMidnight < to ? new Date(midnight + to) : undefined
  // Across midnight: the evening part ends tomorrow at `to`, the morning part today.
  if (sinceMidnight >= from) return new Date(midnight + DAY_MS + to)
  if (sinceMidnight < to) return new Date(midnight + to)
  return undefined
}
