/**
 * `report [--days N] [--template <id>] [--json]`: the funnel per day (UTC+8)
 * and template, through send's `{ action: "report" }`, which counts it from
 * the indexes; printed as a table, or as `{ days }` in JSON.
 */
import { UsageError } from './connect'

const FLAGS = ['days', 'template', 'json']
/** The figures of a row, in the order send gives them. */
const FIGURES = ['asked', 'accepted', 'rejected', 'banned', 'sent', 'delivered', 'failed', 'unknown', 'noQuota', 'superseded', 'expired'] as const

export interface FunnelRow extends Record<(typeof FIGURES)[number], number> {
  date: string
  templateId: string
}

/** The request for send, and whether to print JSON; a bad flag is a usage error. */
export function reportRequest(positional: string[], flags: Record<string, string | true>): { request: Record<string, unknown>; json: boolean } {
  if (positional.length > 0) throw new UsageError(`report takes no ${positional[0]}`)
  const unknown = Object.keys(flags).find((name) => !FLAGS.includes(name))
  if (unknown) throw new UsageError(`report takes --days, --template and --json, not --${unknown}`)
  const { days, template, json } = flags
  if (json !== undefined && json !== true) throw new UsageError('--json takes no value')
  if (days !== undefined && (typeof days !== 'string' || !/^\d{1,2}$/.test(days) || Number(days) < 1 || Number(days) > 31)) {
    throw new UsageError(`--days takes a whole number from 1 to 31${typeof days === 'string' ? `, not ${days}` : ''}`)
  }
  if (template !== undefined && (typeof template !== 'string' || template === '')) throw new UsageError('--template takes a template id')
  return {
    request: { action: 'report', ...(days ? { days: Number(days) } : {}), ...(template ? { templateId: template } : {}) },
    json: json === true,
  }
}

/** One line a day and template, under a header; figures right-aligned under their names. */
export function reportTable(rows: FunnelRow[]): string[] {
  const width = Math.max(10, ...rows.map((r) => r.templateId.length))
  const line = (date: string, templateId: string, figures: string[]) =>
    `${date.padEnd(10)}  ${templateId.padEnd(width)}  ${figures.map((f, i) => f.padStart(FIGURES[i]!.length)).join('  ')}`
  return [line('date', 'templateId', [...FIGURES]), ...rows.map((r) => line(r.date, r.templateId, FIGURES.map((f) => String(r[f]))))]
}
