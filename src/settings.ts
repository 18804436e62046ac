/** Delivery settings (settings.json at the project root, inlined by the build). */
import raw from '../settings.json'

export interface DispatchSettings {
  /** Sends in flight at once, per dispatcher invocation. */
  concurrency: number
  /** Messages claimed per round. */
  batchSize: number
  /** How long a claim holds before another run may take the message over. */
  leaseMs: number
  /** First wait after a transient failure; doubled each try up to retryMaxMs. */
  retryBaseMs: number
  retryMaxMs: number
  /** Delivery tries before a message that keeps failing transiently is given up as failed. */
  maxTries: number
  /** A due backlog at least this large is split over parallel invocations, one per shard. */
  fanOutThreshold: number
  /** How long one invocation keeps claiming, well inside the function's timeout. */
  budgetMs: number
}

export interface Settings {
  acceptsFrom: 'reports' | 'events'
  dispatcher: DispatchSettings
  campaigns: { pageSize: number }
}

const file = raw as Settings

/** A dispatcher number from the function's environment (the console's or cloudbaserc.json's envVariables), else the file's. */
function fromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name])
  return process.env[name] !== undefined && Number.isInteger(value) && value > 0 ? value : fallback
}

export const SETTINGS: Settings = {
  ...file,
  dispatcher: {
    ...file.dispatcher,
    concurrency: fromEnv('DISPATCH_CONCURRENCY', file.dispatcher.concurrency),
    fanOutThreshold: fromEnv('DISPATCH_FANOUT_THRESHOLD', file.dispatcher.fanOutThreshold),
  },
}
if (SETTINGS.acceptsFrom !== 'reports' && SETTINGS.acceptsFrom !== 'events') {
  throw new Error('settings.json: acceptsFrom must be "reports" or "events"')
}
