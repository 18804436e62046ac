/**
 * `report [--days N] [--template <id>] [--json]`: the funnel per day (UTC+8)
 * and template, through send's `{ action: "report" }`, which counts it from
 * the indexes; printed as a table, or as `{ days }` in JSON.
 */
import { text, type Input } from './cli'
import { UsageError } from './connect'

/** The figures of a row, in the order send gives them. */
const FIGURES = ['asked', 'accepted', 'rejected', 'banned', 'sent', 'delivered', 'failed', 'unknown', 'noQuota', 'superseded', 'expired'] as const

export interface FunnelRow extends Record<(typeof FIGURES)[number], number> {
  date: string
  templateId: string
}

/** The request for send; a bad value is a usage error (the options themselves parseArgs has checked). */
export function reportRequest(input: Input): Record<string, unknown> {
  const days = text(input, 'days')
  const template = text(input, 'template')
  if (days !== undefined && (!/^\d{1,2}$/.test(days) || Number(days) < 1 || Number(days) > 31)) throw new UsageError(`--days takes a whole number from 1 to 31, not ${days}`)
  if (template === '') throw new UsageError('--template takes a template id')
  return { action: 'report', ...(days ? { days: Number(days) } : {}), ...(template ? { templateId: template } : {}) }
}

/** One line a day and template, under a header; figures right-aligned under their names. */
export function reportTable(rows: FunnelRow[]): string[] {
  const width = Math.max(10, ...rows.map((r) => r.templateId.length))
  const line = (date: string, templateId: string, figures: string[]) =>
    `${date.padEnd(10)}  ${templateId.padEnd(width)}  ${figures.map((f, i) => f.padStart(FIGURES[i]!.length)).join('  ')}`
  return [line('date', 'templateId', [...FIGURES]), ...rows.map((r) => line(r.date, r.templateId, FIGURES.map((f) => String(r[f]))))]
}
