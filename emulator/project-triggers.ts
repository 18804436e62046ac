/**
 * A function's timer trigger as a project declares it: in the function's
 * `config.json` (WeChat DevTools projects) or in `cloudbaserc.json` →
 * `functions[].triggers` (CloudBase CLI projects), `{ name, type, config }`
 * in both. A trigger the platform would refuse fails alone, as its upload
 * does there: it is kept with the rule it breaks (listed, and never fired),
 * start-up warns about it, and the function and every other trigger still load.
 */
import type { TimerTrigger } from './project'
import { triggerProblem } from './services/functions/cron-rules'

/** One file's `triggers`, as written there. */
export interface DeclaredTriggers {
  /** The file, as a warning names it. */
  file: string
  triggers: unknown
}

const text = (value: unknown) => (typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value))

/** The start-up warning for a trigger refused alone: the function, the trigger, its expression and the rule. */
export const refusedTriggerWarning = (fn: string, timer: TimerTrigger) =>
  `function ${fn}: timer trigger ${timer.name || '(no name)'} "${timer.cron}" is refused: ${timer.error}. The function runs; this trigger never fires.`

/** A declared trigger as the function's timer: as it is, or refused with why. */
function timerOf(entry: unknown): TimerTrigger {
  const raw = (entry && typeof entry === 'object' && !Array.isArray(entry) ? entry : {}) as Record<string, unknown>
  const timer: TimerTrigger = { name: text(raw.name), cron: typeof raw.config === 'string' ? raw.config.trim() : text(raw.config) }
  const problem = triggerProblem({ name: raw.name, type: raw.type, config: raw.config })
  return problem ? { ...timer, error: problem.rule } : timer
}

/** An empty list declares nothing, so that it does not hide the other file's. */
const declares = (source: DeclaredTriggers | undefined) =>
  source !== undefined && source.triggers !== undefined && !(Array.isArray(source.triggers) && source.triggers.length === 0)

/**
 * The function's timer and what start-up says about its triggers. config.json
 * wins over cloudbaserc.json: it sits beside the code it triggers, and a
 * project keeping both has them from two tools; the other is named as ignored.
 * The platform keeps one trigger per function ("目前仅支持一个触发器"): the
 * first declared is the function's, each further one is refused.
 */
export function declaredTimer(fn: string, config: DeclaredTriggers | undefined, rc: DeclaredTriggers | undefined): { timer?: TimerTrigger; warnings: string[] } {
  const warnings: string[] = []
  const source = declares(config) ? config! : declares(rc) ? rc! : undefined
  if (!source) return { warnings }
  if (source === config && declares(rc)) warnings.push(`function ${fn}: the triggers of ${rc!.file} are ignored: its ${config!.file} declares triggers too, and wins`)
  if (!Array.isArray(source.triggers)) {
    warnings.push(`function ${fn}: ${source.file} "triggers" is not an array of { name, type, config }: the function has no trigger`)
    return { warnings }
  }
  const [first, ...more] = source.triggers.map(timerOf)
  if (first?.error !== undefined) warnings.push(refusedTriggerWarning(fn, first))
  for (const extra of more) warnings.push(refusedTriggerWarning(fn, { ...extra, error: `a function has one trigger, and ${first!.name || 'the first'} is this one's` }))
  return { timer: first, warnings }
}
