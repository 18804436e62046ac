/** The console output of recent invocations, kept per function and request, the oldest dropped first. */
import type { LogLevel } from './messages'

/** How many lines are kept, across all functions. */
const LOG_KEEP = 2000

export interface LogEntry {
  time: string
  function: string
  requestId: string
  level: LogLevel
  message: string
}

export class LogBook {
  private readonly entries: LogEntry[] = []

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
