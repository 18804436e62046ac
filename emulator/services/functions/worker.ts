/**
 * One function instance: a worker thread that loads the function's bundle
 * unchanged and runs one invocation at a time, as the platform's instances do.
 * A worker has its own copy of process.env, so the per-invocation context that
 * wx-server-sdk reads there never leaks between instances.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { format } from 'node:util'
import { routeServiceHosts } from './hosts'
import type { InstanceMessage, InvokeMessage, LogLevel } from './messages'

// A worker's own process.env is served through the runtime on every read, which made the
// SDK's many reads of it per request a large share of its cost; a plain copy is still this
// instance's alone.
process.env = { ...process.env }

const port = parentPort!
const { bundle, timeTravel, adminUrl } = workerData as { bundle: string; timeTravel: boolean; adminUrl: string }
routeServiceHosts(adminUrl)
let current = ''
let invocationKeys: string[] = []

const send = (message: InstanceMessage) => port.postMessage(message)

for (const level of ['log', 'info', 'warn', 'error', 'debug'] as LogLevel[]) {
  console[level] = (...args: unknown[]) => send({ type: 'log', requestId: current, level, message: format(...args) })
}
process.on('unhandledRejection', (reason) => {
  send({ type: 'log', requestId: current, level: 'error', message: `Unhandled rejection: ${format(reason)}` })
})

/**
 * With --time-travel, Date reads the real clock moved by the current invocation's offset.
 * Only the current time moves: dates built from a value, Date.UTC and Date.parse are as
 * ever, and timers still wait real time.
 */
function installMovableClock(): (offsetMs: number) => void {
  const RealDate = Date
  let offset = 0
  const Moved = class Date extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + offset)
      else super(...(args as [string]))
    }

    static override now(): number {
      return RealDate.now() + offset
    }

    // Dates that Node makes itself (fs stats, for one) are real Dates: they still count as Dates.
    static override [Symbol.hasInstance](value: unknown): boolean {
      return this === MovedDate ? value instanceof RealDate : Function.prototype[Symbol.hasInstance].call(this, value)
    }
  }
  // Called without new, Date gives the current time as text.
  const MovedDate = new Proxy(Moved, { apply: () => new RealDate(RealDate.now() + offset).toString() }) as DateConstructor
  // So that `date.constructor === Date` holds for the dates a function makes.
  Object.defineProperty(Moved.prototype, 'constructor', { value: MovedDate, writable: true, configurable: true })
  globalThis.Date = MovedDate
  return (offsetMs) => (offset = offsetMs)
}

const setClockOffset = timeTravel ? installMovableClock() : () => {}

type Handler = (event: unknown, context: unknown) => unknown
let handler: Handler | undefined
let loadError: Error | undefined

// The init phase, as on the platform: the bundle is loaded before the first invocation,
// and its loading does not count against any invocation's timeout.
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(bundle) as { main?: Handler }
  if (typeof exported.main !== 'function') throw new Error(`${bundle} does not export main`)
  handler = exported.main
} catch (error) {
  loadError = error instanceof Error ? error : new Error(format(error))
}
send({ type: 'ready', ...(loadError ? { error: loadError.message } : {}) })

port.on('message', async (message: InvokeMessage) => {
  current = message.requestId
  for (const key of invocationKeys) delete process.env[key]
  Object.assign(process.env, message.env)
  invocationKeys = Object.keys(message.env)
  setClockOffset(message.clockOffsetMs)
  try {
    if (!handler) throw loadError ?? new Error(`${bundle} is not loaded`)
    const value = await handler(message.event, message.context)
    send({ type: 'result', requestId: message.requestId, ok: true, json: JSON.stringify(value ?? null) })
  } catch (error) {
    const err = error instanceof Error ? error : new Error(format(error))
    send({ type: 'result', requestId: message.requestId, ok: false, message: err.message, stack: err.stack })
  } finally {
    setClockOffset(0)
  }
})
