/** What the runtime and a function instance (a child process) say to each other. */
export interface InvokeMessage {
  type: 'invoke'
  requestId: string
  event: unknown
  context: Record<string, unknown>
  /** This invocation's environment: the caller's identity, the API token, the trigger source. */
  env: Record<string, string>
  /** Added to what Date reads during this invocation (time travel only; 0 otherwise). */
  clockOffsetMs: number
}

/** What an invocation left running when it replied: the platform freezes it with the instance. */
export interface PendingWork {
  total: number
  /** setTimeout, setInterval, setImmediate. */
  timers: number
  /** Sockets being connected, written or read, and DNS lookups. */
  requests: number
  files: number
  /** Anything else keeping the event loop alive, by Node's resource type. */
  other: string[]
}

/** Every reply says what the instance left running, its event loop's busy time so far, and its process's CPU time so far. */
type ResultExtras = { pending?: PendingWork; activeMs?: number; cpuMs?: number }

export type InstanceMessage =
  /** The bundle is loaded (or failed to load): the instance's init phase, before any invocation. */
  | { type: 'ready'; error?: string }
  | { type: 'log'; requestId: string; level: LogLevel; message: string }
  | ({ type: 'result'; requestId: string; ok: true; json: string } & ResultExtras)
  | ({ type: 'result'; requestId: string; ok: false; message: string; stack?: string } & ResultExtras)

export type LogLevel = 'log' | 'info' | 'warn' | 'error' | 'debug'
