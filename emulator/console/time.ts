/**
 * Times as people read them: in the browser's own zone, the recent ones also
 * relative ("2 分钟前"), the exact UTC instant on hover. Times that follow the
 * platform's day (timers, WeChat's day, the daily limit) are UTC+8 whatever
 * the browser's zone, and say so.
 */
import { h } from './dom'

type Instant = Date | string | number

const pad = (n: number) => String(n).padStart(2, '0')
const relative = new Intl.RelativeTimeFormat('zh-CN', { numeric: 'auto' })
const PLATFORM_ZONE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})

/** A date as the console gets it: a Date, epoch ms, an ISO string, or the database's `{ $date }`. */
export function toDate(value: unknown): Date | undefined {
  const raw = value !== null && typeof value === 'object' && !(value instanceof Date) && '$date' in value ? (value as { $date: unknown }).$date : value
  if (!(raw instanceof Date) && typeof raw !== 'string' && typeof raw !== 'number') return undefined
  const date = new Date(raw)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** `2026-12-03 21:31:07` in the browser's zone. */
export function localText(date: Date, seconds = true): string {
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}${seconds ? `:${pad(date.getSeconds())}` : ''}`
}

/** `2026-12-03 21:31:07.123` in the browser's zone: to the millisecond, as a document holds it. */
export const exactLocalText = (date: Date) => `${localText(date)}.${String(date.getMilliseconds()).padStart(3, '0')}`

/** `2026-12-03 21:31:07` on the platform's clock (UTC+8). */
export function platformText(date: Date): string {
  const parts = Object.fromEntries(PLATFORM_ZONE.formatToParts(date).map((part) => [part.type, part.value]))
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`
}

/**
 * "2分钟前" / "3小时后" within a day of `now`, "刚刚" / "1分钟内" within a
 * minute (so that a list redrawn when its data or the minute changes stays
 * true); undefined beyond a day.
 */
export function relativeText(date: Date, now = Date.now()): string | undefined {
  const seconds = Math.round((date.getTime() - now) / 1000)
  const size = Math.abs(seconds)
  if (size >= 86_400) return undefined
  if (size < 60) return seconds <= 0 ? '刚刚' : '1分钟内'
  if (size < 3600) return relative.format(Math.trunc(seconds / 60), 'minute')
  return relative.format(Math.trunc(seconds / 3600), 'hour')
}

/** The browser's zone as an offset, e.g. `UTC+8` or `UTC-5`. */
export function zoneLabel(date = new Date()): string {
  const minutes = -date.getTimezoneOffset()
  const sign = minutes < 0 ? '-' : '+'
  const whole = Math.abs(minutes)
  return `UTC${sign}${Math.floor(whole / 60)}${whole % 60 ? `:${pad(whole % 60)}` : ''}`
}

/** A time in the browser's zone (and how long ago, when recent), the exact UTC instant on hover. */
export function when(value: unknown, now = Date.now()): HTMLElement | string {
  const date = toDate(value as Instant)
  if (!date) return '—'
  const ago = relativeText(date, now)
  return h('time', { datetime: date.toISOString(), title: `UTC ${date.toISOString()}` }, localText(date), ago ? h('small', { class: 'ago' }, ` ${ago}`) : undefined)
}

/** A time on the platform's clock, labelled UTC+8, with the browser's local time beside it when the zones differ. */
export function platformWhen(value: unknown): HTMLElement | string {
  const date = toDate(value as Instant)
  if (!date) return '—'
  const local = zoneLabel(date) === 'UTC+8' ? undefined : h('small', { class: 'muted' }, ` · 本地 local ${localText(date)}`)
  return h('time', { datetime: date.toISOString(), title: `UTC ${date.toISOString()}`, class: 'platform' }, `${platformText(date)} (UTC+8)`, local)
}
