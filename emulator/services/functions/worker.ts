/**
 * One function instance: a worker thread that loads the function's bundle
 * unchanged and runs one invocation at a time, as the platform's instances do.
 * A worker has its own copy of process.env, so the per-invocation context that
 * wx-server-sdk reads there never leaks between instances.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { format } from 'node:util'
import type { InstanceMessage, InvokeMessage, LogLevel } from './messages'

// A worker's own process.env is served through the runtime on every read, which made the
// SDK's many reads of it per request a large share of its cost; a plain copy is still this
// instance's alone.
process.env = { ...process.env }

const port = parentPort!
const { bundle } = workerData as { bundle: string }
let current = ''
let invocationKeys: string[] = []

const send = (message: InstanceMessage) => port.postMessage(message)

for (const level of ['log', 'info', 'warn', 'error', 'debug'] as LogLevel[]) {
  console[level] = (...args: unknown[]) => send({ type: 'log', requestId: current, level, message: format(...args) })
}
process.on('unhandledRejection', (reason) => {
  send({ type: 'log', requestId: current, level: 'error', message: `Unhandled rejection: ${format(reason)}` })
})

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
  try {
    if (!handler) throw loadError ?? new Error(`${bundle} is not loaded`)
    const value = await handler(message.event, message.context)
    send({ type: 'result', requestId: message.requestId, ok: true, json: JSON.stringify(value ?? null) })
  } catch (error) {
    const err = error instanceof Error ? error : new Error(format(error))
    send({ type: 'result', requestId: message.requestId, ok: false, message: err.message, stack: err.stack })
  }
})
