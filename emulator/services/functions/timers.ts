import { Cron } from 'croner'
import type { FunctionDefinition, TimerTrigger } from '../../project'
import type { Invocation, InvokeOptions } from './context'
import { cronForCroner } from './cron-rules'
import type { FunctionsRuntime } from './runtime'

/** The platform retries a failed timer run twice. */
export const TIMER_RETRIES = 2
const RETRY_DELAY_MS = 1000

/** The event a timer trigger passes to the function. */
export function timerEvent(triggerName: string, time: Date) {
  return { Type: 'timer', TriggerName: triggerName, Time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'), Message: '' }
}

/**
 * WeChat evaluates timer crons in UTC+8, seconds first, year last; day and weekday combine as OR.
 * `cron` is one that cron-rules.ts passed: croner computes its times, it does not judge it.
 */
export function cronJob(cron: string, run?: () => void): Cron {
  const options = { timezone: 'Asia/Shanghai', mode: '7-part' as const, domAndDow: false, protect: false }
  const pattern = cronForCroner(cron)
  return run ? new Cron(pattern, options, run) : new Cron(pattern, { ...options, paused: true })
}

/** The next time a cron fires after `from`. */
export function nextFireTime(cron: string, from: Date): Date | null {
  const job = cronJob(cron)
  try {
    return job.nextRun(from)
  } finally {
    job.stop()
  }
}

/** Runs a function's timer once, as the platform does: a server-side call with SOURCE wx_trigger. */
export function runTimer(runtime: FunctionsRuntime, definition: FunctionDefinition, time: Date, options: InvokeOptions = {}): Promise<Invocation> {
  const trigger = definition.timer?.name ?? 'timer'
  return runtime.invoke(definition.name, timerEvent(trigger, time), { source: 'wx_trigger', trigger }, options)
}

/** A function's timer trigger, unless it has none or it was refused. */
const schedulable = (definition: FunctionDefinition | undefined): TimerTrigger | undefined =>
  definition?.timer && definition.timer.error === undefined ? definition.timer : undefined

/**
 * Fires each function's timer trigger on its 7-field cron in UTC+8 while the
 * emulator runs, retrying a failed run twice. `sync` follows the functions'
 * triggers as a deploy changes them: a new or changed timer fires from then on.
 * A refused trigger (one with an `error`) is never scheduled, as on the platform.
 */
export class TimerScheduler {
  /** Per function: its timer as scheduled, and the job firing it. */
  private readonly jobs = new Map<string, { timer: TimerTrigger; job: Cron }>()
  private running = false

  constructor(
    private readonly runtime: FunctionsRuntime,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.running = true
    this.sync()
  }

  /** Schedules the functions' timers as they are now: those gone or changed stop, the new ones start. */
  sync(): void {
    if (!this.running) return
    const functions = this.runtime.project.functions
    for (const [name, { timer, job }] of this.jobs) {
      const now = schedulable(functions.get(name))
      if (now && now.name === timer.name && now.cron === timer.cron) continue
      job.stop()
      this.jobs.delete(name)
    }
    for (const definition of functions.values()) {
      const timer = schedulable(definition)
      if (!timer || this.jobs.has(definition.name)) continue
      const job = cronJob(timer.cron, () => {
        // The definition as it is when the timer fires: a deploy may have changed it since.
        const current = functions.get(definition.name)
        if (current && schedulable(current)) void this.fire(current, new Date())
      })
      this.jobs.set(definition.name, { timer: { ...timer }, job })
    }
  }

  stop(): void {
    this.running = false
    for (const { job } of this.jobs.values()) job.stop()
    this.jobs.clear()
  }

  private async fire(definition: FunctionDefinition, time: Date): Promise<void> {
    for (let attempt = 0; attempt <= TIMER_RETRIES; attempt++) {
      try {
        // A scheduled run keeps the real clock, even with --time-travel: only a trigger moves it.
        await runTimer(this.runtime, definition, time)
        return
      } catch (error) {
        this.log(`timer ${definition.name}/${definition.timer?.name} failed (attempt ${attempt + 1}): ${(error as Error).message.split('\n')[0]}`)
        if (attempt < TIMER_RETRIES) await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS))
      }
    }
  }
}
