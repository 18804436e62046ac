/**
 * One function instance: a child process that loads the function's bundle
 * unchanged and runs one invocation at a time, as the platform's instances
 * do. A process of its own, so that it has its own time zone (UTC, or the
 * function's `TZ`) and can be frozen between invocations as SCF freezes an
 * instance: after the reply it blocks until it is handed the next
 * invocation, and whatever it left running makes no progress meanwhile.
 */
import { readSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { format } from 'node:util'
import { routeServiceHosts } from './hosts'
import type { InstanceMessage, InvokeMessage, LogLevel, PendingWork } from './messages'
import { activeResources, pendingWork, resourceBaseline } from './pending'

const { bundle, timeTravel, adminUrl } = JSON.parse(process.argv[2] ?? '{}') as { bundle: string; timeTravel: boolean; adminUrl: string }
routeServiceHosts(adminUrl)
let current = ''
let invocationKeys: string[] = []
/** Time spent frozen, which the event loop's utilisation counts as busy. */
let frozenMs = 0

const send = (message: InstanceMessage, then?: () => void) => process.send!(message, undefined, undefined, then)

for (const level of ['log', 'info', 'warn', 'error', 'debug'] as LogLevel[]) {
  console[level] = (...args: unknown[]) => send({ type: 'log', requestId: current, level, message: format(...args) })
}
process.on('unhandledRejection', (reason) => {
  send({ type: 'log', requestId: current, level: 'error', message: `Unhandled rejection: ${format(reason)}` })
})
// The runtime went away: an instance never outlives its emulator.
process.on('disconnect', () => process.exit(0))
process.on('uncaughtException', (error) => {
  send({ type: 'log', requestId: current, level: 'error', message: `Uncaught exception: ${format(error)}` }, () => process.exit(1))
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

type Callback = (error?: unknown, value?: unknown) => void
type Handler = (event: unknown, context: Record<string, unknown>, callback: Callback) => unknown
let handler: Handler | undefined
let loadError: Error | undefined

process.on('message', (message: InvokeMessage) => {
  // After a thaw, what arrived while frozen (a connection's close) is seen before the invocation runs.
  setImmediate(() => void invoke(message))
})

// What the runtime itself holds open (its channel to the emulator, listened to now; its output): never the function's work.
const baseline = resourceBaseline()

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

const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'

/** Resolves when nothing but the runtime's own handles keeps the event loop alive. */
async function eventLoopEmpty(): Promise<void> {
  while (pendingWork(baseline).total > 0) await new Promise((resolve) => setTimeout(resolve, 5).unref())
}

/**
 * Runs the handler as SCF's Node.js runtime does: an async handler (one that
 * returns a promise) replies when the promise settles; a callback handler
 * replies at `callback`, once the event loop is empty unless the handler set
 * `context.callbackWaitsForEmptyEventLoop = false`.
 */
function runHandler(event: unknown, context: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let done = false
    /** The first way the handler ends is its reply; a later one (a callback after the promise, say) is ignored. */
    const once =
      <A extends unknown[]>(end: (...args: A) => void) =>
      (...args: A) => {
        if (done) return
        done = true
        end(...args)
      }
    const fail = once(reject)
    const callback: Callback = once((error: unknown, value?: unknown) => {
      const reply = () => (error ? reject(error) : resolve(value))
      if (context.callbackWaitsForEmptyEventLoop === false) reply()
      else void eventLoopEmpty().then(reply)
    })
    context.callbackWaitsForEmptyEventLoop = true
    let returned: unknown
    try {
      returned = handler!(event, context, callback)
    } catch (error) {
      // A throw fails the invocation even after an early callback.
      done = true
      return reject(error)
    }
    if (isThenable(returned)) Promise.resolve(returned).then(once(resolve), fail)
    // Neither a promise nor a callback to wait for: the value is the reply.
    else if (handler!.length < 3) once(resolve)(returned)
  })
}

/** Blocks this process until the runtime hands it its next invocation: the platform's freeze. */
function freeze(): void {
  const started = performance.now()
  let read = 0
  try {
    read = readSync(0, Buffer.alloc(1), 0, 1, null)
  } catch {
    read = 0
  }
  // The runtime went away (its end of the pipe closed): nothing more will come.
  if (read === 0) process.exit(0)
  frozenMs += performance.now() - started
}

/** The event loop's busy time so far, less the time spent frozen. */
const activeMs = () => Math.max(0, performance.eventLoopUtilization().active - frozenMs)

async function invoke(message: InvokeMessage): Promise<void> {
  // What an earlier invocation left (frozen, now thawed) is that one's, not this one's to report.
  const runningBefore = activeResources()
  current = message.requestId
  for (const key of invocationKeys) delete process.env[key]
  Object.assign(process.env, message.env)
  invocationKeys = Object.keys(message.env)
  setClockOffset(message.clockOffsetMs)
  let reply: InstanceMessage
  try {
    if (!handler) throw loadError ?? new Error(`${bundle} is not loaded`)
    const value = await runHandler(message.event, { ...message.context })
    reply = { type: 'result', requestId: message.requestId, ok: true, json: JSON.stringify(value ?? null) }
  } catch (error) {
    const err = error instanceof Error ? error : new Error(format(error))
    reply = { type: 'result', requestId: message.requestId, ok: false, message: err.message, stack: err.stack }
  } finally {
    setClockOffset(0)
  }
  // Let what the reply itself finished (a response's socket back to its pool) settle first.
  await new Promise((resolve) => setImmediate(resolve))
  const pending: PendingWork = pendingWork(runningBefore)
  const { user, system } = process.cpuUsage()
  send({ ...reply, pending, activeMs: activeMs(), cpuMs: (user + system) / 1000 }, freeze)
}

