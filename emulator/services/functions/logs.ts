/**
 * Recent invocations (who called, how long they took, what they replied) and
 * their console output, kept per function and request, the oldest dropped first.
 */
import type { Caller, Invocation } from './context'
import type { LogLevel } from './messages'

/** How many lines are kept, across all functions. */
const LOG_KEEP = 2000
/** How many invocations are kept, and how much of each reply. */
const INVOCATIONS_KEEP = 500
const REPLY_KEEP = 4000

export interface InvocationEntry {
  requestId: string | null
  function: string
  caller: { source: string | null; openid: string | null; trigger: string | null }
  startedAt: string
  durationMs: number
  ok: boolean
  /** The reply as JSON text, cut at 4,000 characters; or the error's message. */
  reply: string
}

export interface LogEntry {
  time: string
  function: string
  requestId: string
  level: LogLevel
  message: string
}

export class LogBook {
  private readonly entries: LogEntry[] = []
  private readonly calls: InvocationEntry[] = []

  /** Runs an invocation and keeps its record, whether it answers or fails. */
  async invocation(name: string, caller: Caller, run: () => Promise<Invocation>): Promise<Invocation> {
    const startedAt = new Date()
    const keep = (ok: boolean, requestId: string | null, reply: string) => {
      const who = { source: caller.source ?? null, openid: caller.openid ?? null, trigger: caller.trigger ?? null }
      this.calls.push({ requestId, function: name, caller: who, startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), ok, reply: reply.slice(0, REPLY_KEEP) })
      if (this.calls.length > INVOCATIONS_KEEP) this.calls.splice(0, this.calls.length - INVOCATIONS_KEEP)
    }
    try {
      const invocation = await run()
      keep(true, invocation.requestId, invocation.json)
      return invocation
    } catch (error) {
      keep(false, (error as { requestId?: string }).requestId ?? null, (error as Error).message)
      throw error
    }
  }

  invocations(): InvocationEntry[] {
    return [...this.calls]
  }

  add(entry: LogEntry): void {
    this.entries.push(entry)
    if (this.entries.length > LOG_KEEP) this.entries.splice(0, this.entries.length - LOG_KEEP)
  }

  recent(filter: { function?: string; requestId?: string }): LogEntry[] {
    return this.entries.filter(
      (entry) => (!filter.function || entry.function === filter.function) && (!filter.requestId || entry.requestId === filter.requestId),
    )
  }
}
