/** What the runtime and a function instance (a worker thread) say to each other. */
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

export type InstanceMessage =
  /** The bundle is loaded (or failed to load): the instance's init phase, before any invocation. */
  | { type: 'ready'; error?: string }
  | { type: 'log'; requestId: string; level: LogLevel; message: string }
  | { type: 'result'; requestId: string; ok: true; json: string }
  | { type: 'result'; requestId: string; ok: false; message: string; stack?: string }

export type LogLevel = 'log' | 'info' | 'warn' | 'error' | 'debug'
