/**
 * Quiet hours: a window of the UTC+8 day (WeChat's, and the users') in which
 * scheduled and broadcast messages are held until it ends, unless urgent. A
 * window whose `from` is later than its `to` crosses midnight; one whose ends
 * are equal is empty (no hours are quiet).
 */
import type { QuietHours } from '../settings'

const BEIJING_OFFSET_MS = 8 * 3600_000
const DAY_MS = 86_400_000
const MINUTE_MS = 60_000

const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5))

/** When the window that holds `at` ends; undefined when `at` is outside it (or there are no quiet hours). */
export function quietUntil(at: number, quiet: QuietHours | null): Date | undefined {
  if (!quiet) return undefined
  const from = minutesOf(quiet.from) * MINUTE_MS
  const to = minutesOf(quiet.to) * MINUTE_MS
  if (from === to) return undefined
  const local = at + BEIJING_OFFSET_MS
  const dayStart = Math.floor(local / DAY_MS) * DAY_MS
  const sinceMidnight = local - dayStart
  if (from < to) return sinceMidnight >= from && sinceMidnight < to ? new Date(dayStart + to - BEIJING_OFFSET_MS) : undefined
  // Across midnight: the evening part ends tomorrow at `to`, the morning part today.
  if (sinceMidnight >= from) return new Date(dayStart + DAY_MS + to - BEIJING_OFFSET_MS)
  if (sinceMidnight < to) return new Date(dayStart + to - BEIJING_OFFSET_MS)
  return undefined
}
