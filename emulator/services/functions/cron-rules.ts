/**
 * The platform's rules for a timer trigger, checked by the emulator itself so
 * that what the platform would refuse is refused here, naming the rule it
 * breaks (croner only computes the fire times of a trigger that passes).
 * Source: WeChat's "定时触发器" guide
 * (developers.weixin.qq.com/miniprogram/dev/wxcloudservice/wxcloud/guide/functions/triggers.html)
 * and the CloudBase CLI's trigger page (docs.cloudbase.net/cli-v1/functions/trigger).
 */

/** "name：最大支持 60 个字符，支持 a-z, A-Z, 0-9, - 和 _。必须以字母开头". */
export const TRIGGER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/
export const TRIGGER_NAME_RULE = 'a trigger name starts with a letter and has at most 60 characters of a-z A-Z 0-9 - _'

/** "type：触发器类型，目前仅支持 timer". */
export const TRIGGER_TYPE = 'timer'

interface CronField {
  name: string
  min: number
  max: number
  /** Names standing for min, min + 1, … (JAN is 1, SUN is 0). */
  names?: readonly string[]
}

/** "Cron 表达式有七个必需字段，按空格分隔", in this order, with these ranges. */
export const CRON_FIELDS: readonly CronField[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'weekday', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
  { name: 'year', min: 1970, max: 2099 },
]

const FIELD_NAMES = CRON_FIELDS.map((field) => field.name).join(' ')

/** The wildcards, the only characters besides values: "," a union, "-" a range, "*" every value, "/" a step. */
export const CRON_WILDCARDS = ', - * /'

const rangeText = (field: CronField) =>
  field.names ? `${field.min}-${field.max} or ${field.names[0]}-${field.names[field.names.length - 1]}` : `${field.min}-${field.max}`

/** A value (a number or a name, in any case), or why it is not one. */
function valueOf(field: CronField, text: string): number | string {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1
  if (named >= 0) return field.min + named
  if (!/^\d+$/.test(text)) return `${field.name} "${text}" is not ${rangeText(field)} (values combine only with ${CRON_WILDCARDS})`
  const value = Number(text)
  return value < field.min || value > field.max ? `${field.name} ${text} is out of ${rangeText(field)}` : value
}

/** One comma-separated item: `*`, a value or a range, each with an optional `/step`. */
function itemProblem(field: CronField, item: string): string | undefined {
  if (item === '') return `${field.name} has an empty item between commas`
  const [base, step, extra] = item.split('/')
  if (extra !== undefined) return `${field.name} "${item}" has more than one "/"`
  const span = field.max - field.min + 1
  if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1 && Number(step) <= span)) {
    return `${field.name} step "${step}" is not a whole number from 1 to ${span}`
  }
  if (base === '*') return undefined
  const bounds = base!.split('-')
  if (bounds.length > 2) return `${field.name} "${item}" has more than one "-"`
  const values = bounds.map((bound) => valueOf(field, bound))
  const wrong = values.find((value): value is string => typeof value === 'string')
  if (wrong) return wrong
  if (values.length === 2 && values[0]! > values[1]!) return `${field.name} range ${base} runs backwards`
  return undefined
}

/** The rule a cron expression breaks, or undefined when the platform takes it. */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/).filter(Boolean)
  if (fields.length !== CRON_FIELDS.length) {
    return `a cron has ${CRON_FIELDS.length} fields (${FIELD_NAMES}); this one has ${fields.length}`
  }
  for (const [i, text] of fields.entries()) {
    const field = CRON_FIELDS[i]!
    for (const item of text.split(',')) {
      const problem = itemProblem(field, item)
      if (problem) return problem
    }
  }
  return undefined
}

/** A trigger as declared (config.json, cloudbaserc.json) or sent (BatchCreateTrigger), not yet checked. */
export interface DeclaredTrigger {
  name: unknown
  type: unknown
  config: unknown
}

/** Which part of a trigger breaks which rule, or undefined when the platform takes it. */
export function triggerProblem(trigger: DeclaredTrigger): { part: 'name' | 'type' | 'config'; rule: string } | undefined {
  if (trigger.type !== TRIGGER_TYPE) return { part: 'type', rule: `type ${JSON.stringify(trigger.type ?? null)} is not served: a trigger's type is "${TRIGGER_TYPE}"` }
  if (typeof trigger.name !== 'string' || !TRIGGER_NAME.test(trigger.name)) return { part: 'name', rule: TRIGGER_NAME_RULE }
  if (typeof trigger.config !== 'string') return { part: 'config', rule: `a timer's config is a cron expression (text) of ${CRON_FIELDS.length} fields (${FIELD_NAMES})` }
  const rule = cronProblem(trigger.config)
  return rule ? { part: 'config', rule } : undefined
}

/**
 * A cron that passed, as croner reads it: the documented `start/step` (from
 * start, every step: minute `1/10` is 1, 11, 21 …) becomes `start-max/step`,
 * since croner takes a step only after `*` or a range.
 */
export function cronForCroner(cron: string): string {
  return cron
    .trim()
    .split(/\s+/)
    .map((text, i) =>
      text
        .split(',')
        .map((item) => item.replace(/^([^*\-/]+)\/(\d+)$/, (_all, start: string, step: string) => `${start}-${CRON_FIELDS[i]!.max}/${step}`))
        .join(','),
    )
    .join(' ')
}
