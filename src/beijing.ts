/**
 * WeChat's day: it turns at 00:00 UTC+8, where the daily limits start again
 * and where the funnel's days and quiet hours are read. One place for its
 * arithmetic, in epoch milliseconds.
 */
export const BEIJING_OFFSET_MS = 8 * 3600_000
export const DAY_MS = 86_400_000

/** 00:00 UTC+8 of the day that holds `now`. */
export const startOfBeijingDay = (now: number) => Math.floor((now + BEIJING_OFFSET_MS) / DAY_MS) * DAY_MS - BEIJING_OFFSET_MS

/** 00:00 UTC+8 after `now`: when WeChat's daily counts start again. */
export const nextBeijingMidnight = (now: number) => startOfBeijingDay(now) + DAY_MS

/** YYYY-MM-DD of the UTC+8 day that holds `now`. */
export const beijingDate = (now: number) => new Date(now + BEIJING_OFFSET_MS).toISOString().slice(0, 10)
