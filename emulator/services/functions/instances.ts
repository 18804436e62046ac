/**
 * One function's instances, as SCF keeps them: warm instances reused, a new
 * one started when all are busy (up to a cap, then callers wait), one
 * invocation per instance at a time, frozen between invocations (worker.ts),
 * the function's timeout enforced by ending the instance, an instance idle
 * for IDLE_RECYCLE_MS recycled (what it left frozen is lost, as on the
 * platform), and a rebuilt bundle picked up by the next call.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import type { FunctionDefinition } from '../../project'
import { ERR_FUNCTION_EXECUTE_FAIL, InvocationError } from './context'
import type { LogEntry } from './logs'
import type { InstanceMessage, InvokeMessage, LogLevel } from './messages'

export type InstanceReply = InstanceMessage & { type: 'result' }

/**
 * An idle instance is recycled after this long. Shorter than the emulator's
 * keep-alive (server.ts), so a frozen instance's connections to it are never
 * closed under it: a thawed instance's first request finds them open.
 */
export const IDLE_RECYCLE_MS = 4 * 60_000

/** The platform runs functions in UTC unless the function's own `TZ` says otherwise. */
export const DEFAULT_TZ = 'UTC'

export interface Instance {
  process: ChildProcess
  /** Resolves when the bundle is loaded (the init phase). */
  ready: Promise<void>
  version: string
  busy: boolean
  /** Set when the bundle changed while this instance was busy: retire it after the call. */
  stale: boolean
  /** Frozen after its last reply, until the next invocation thaws it. */
  frozen: boolean
  /** The invocation it runs (or last ran), for the lines it writes to stdout and stderr. */
  requestId: string
  /** Its event loop's busy time at its last reply, frozen time excluded. */
  activeMs: number
  /** Its process's CPU time at its last reply. */
  cpuMs: number
  idleTimer?: NodeJS.Timeout
  settle?: (message: InstanceReply) => void
  fail?: (error: Error) => void
}

export interface InstanceSettings {
  /** Path of the built worker script. */
  workerScript: string
  /** The `/admin` URL the functions' SDK is pointed at. */
  adminUrl: () => string
  maxInstances: number
  timeTravel: boolean
  /** True once the emulator is shutting down: no instance is handed out. */
  closed: () => boolean
  onLog: (entry: LogEntry) => void
  /** An invocation replied and left work running, now frozen. */
  onFrozen: (requestId: string, reply: InstanceReply) => void
}

export class InstancePool {
  private readonly instances: Instance[] = []
  private readonly waiting: Array<() => void> = []
  /** Event-loop active time of the instances already retired, in ms. */
  private retiredActiveMs = 0
  private retiredCpuMs = 0

  constructor(
    readonly definition: FunctionDefinition,
    private readonly settings: InstanceSettings,
  ) {}

  /** An idle instance of the current bundle, a new one, or, at the cap, the next one freed. */
  async acquire(): Promise<Instance> {
    for (;;) {
      if (this.settings.closed()) throw new InvocationError(ERR_FUNCTION_EXECUTE_FAIL, 'the emulator is shutting down', '')
      const version = this.bundleVersion()
      for (const instance of [...this.instances]) {
        if (instance.version === version) continue
        if (instance.busy) instance.stale = true
        else this.retire(instance)
      }
      const idle = this.instances.find((instance) => !instance.busy && !instance.stale)
      if (idle) {
        idle.busy = true
        clearTimeout(idle.idleTimer)
        return idle
      }
      if (this.instances.length < this.settings.maxInstances) {
        const instance = this.spawn(version)
        instance.busy = true
        this.instances.push(instance)
        return instance
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    }
  }

  /** Ends an instance that cannot serve (its bundle failed to load), and lets the next caller in. */
  discard(instance: Instance): void {
    this.retire(instance)
    this.waiting.shift()?.()
  }

  /** Hands one invocation to its instance; the function's timeout ends the instance. */
  run(instance: Instance, message: InvokeMessage): Promise<InstanceReply> {
    const { timeoutMs, name } = this.definition
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // The platform ends an instance that overruns; so does the emulator.
        instance.fail = undefined
        this.discard(instance)
        reject(new InvocationError(ERR_FUNCTION_EXECUTE_FAIL, `Invoking task timed out after ${timeoutMs / 1000} seconds`, message.requestId))
      }, timeoutMs)
      instance.settle = (reply) => {
        if (reply.requestId !== message.requestId) return
        clearTimeout(timer)
        instance.frozen = true
        instance.activeMs = reply.activeMs ?? instance.activeMs
        instance.cpuMs = reply.cpuMs ?? instance.cpuMs
        if (reply.pending?.total) this.settings.onFrozen(message.requestId, reply)
        this.release(instance)
        resolve(reply)
      }
      instance.fail = (error) => {
        clearTimeout(timer)
        instance.settle = undefined
        instance.fail = undefined
        this.discard(instance)
        reject(new InvocationError(ERR_FUNCTION_EXECUTE_FAIL, `${name} crashed: ${error.message}`, message.requestId))
      }
      instance.requestId = message.requestId
      if (instance.frozen) {
        // One byte on its stdin ends the freeze (worker.ts blocks reading it).
        instance.frozen = false
        instance.process.stdin?.write('t')
      }
      instance.process.send(message)
    })
  }

  /** Ends the idle instances now and the busy ones once their call ends. */
  drain(): void {
    for (const instance of [...this.instances]) {
      if (instance.busy) instance.stale = true
      else this.retire(instance)
    }
  }

  /** Ends every busy instance, as a crash would: their calls fail. Returns how many. */
  kill(): number {
    const busy = this.instances.filter((instance) => instance.busy)
    for (const instance of busy) instance.fail?.(new Error('killed by the emulator'))
    return busy.length
  }

  counts(): { busy: number; idle: number } {
    const busy = this.instances.filter((i) => i.busy).length
    return { busy, idle: this.instances.length - busy }
  }

  /** The time these instances' event loops were busy, those retired included, in ms. */
  activeMs(): number {
    return this.instances.reduce((sum, instance) => sum + instance.activeMs, this.retiredActiveMs)
  }

  /** The CPU time of these instances' processes, those retired included, in ms. */
  cpuMs(): number {
    return this.instances.reduce((sum, instance) => sum + instance.cpuMs, this.retiredCpuMs)
  }

  async terminate(): Promise<void> {
    await Promise.all(this.instances.map((instance) => end(instance)))
  }

  /** What an instance was started with: its bundle (where, and as written) and its environment, which a deploy may change. */
  private bundleVersion(): string {
    try {
      const stat = statSync(this.definition.bundle)
      return `${this.definition.bundle}:${stat.mtimeMs}:${stat.size}:${JSON.stringify(this.definition.envVariables)}`
    } catch {
      throw new InvocationError(ERR_FUNCTION_EXECUTE_FAIL, `function ${this.definition.name} has no bundle at ${this.definition.bundle}: build it first`, '')
    }
  }

  private release(instance: Instance): void {
    instance.busy = false
    instance.settle = undefined
    instance.fail = undefined
    if (instance.stale) this.retire(instance)
    else instance.idleTimer = setTimeout(() => !instance.busy && this.retire(instance), IDLE_RECYCLE_MS).unref()
    this.waiting.shift()?.()
  }

  private retire(instance: Instance): void {
    const at = this.instances.indexOf(instance)
    if (at >= 0) this.instances.splice(at, 1)
    this.retiredActiveMs += instance.activeMs
    this.retiredCpuMs += instance.cpuMs
    void end(instance)
  }

  private spawn(version: string): Instance {
    const { definition, settings } = this
    const base: Record<string, string> = {}
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) base[key] = value
    const child = fork(settings.workerScript, [JSON.stringify({ bundle: definition.bundle, timeTravel: settings.timeTravel, adminUrl: settings.adminUrl() })], {
      env: {
        ...base,
        // Whatever zone the emulator's host is in: a function's own TZ variable (below) may say otherwise.
        TZ: DEFAULT_TZ,
        ...definition.envVariables,
        // Dummy credentials: the SDK refuses to send a request without them.
        TENCENTCLOUD_SECRETID: 'local-emulator',
        TENCENTCLOUD_SECRETKEY: 'local-emulator',
        // Skips the SDK's metadata-server probe (about 30 ms per request).
        TENCENTCLOUD: 'true',
        // What SCF tells every instance: the SDKs that predate TCB_CONTEXT_CNFG then send to the
        // service's in-SCF hosts, which the instance routes to the emulator (hosts.ts).
        TENCENTCLOUD_RUNENV: 'SCF',
        TENCENTCLOUD_REGION: 'ap-shanghai',
      },
      // stdin thaws a frozen instance; what a function writes to stdout and stderr is its log.
      stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
    })
    let loaded!: (error?: string) => void
    const ready = new Promise<void>((resolve, reject) => {
      loaded = (error) => (error ? reject(new Error(error)) : resolve())
    })
    ready.catch(() => undefined)
    const instance: Instance = { process: child, ready, version, busy: false, stale: false, frozen: false, requestId: '', activeMs: 0, cpuMs: 0 }
    // A line from the function's console names its invocation; raw output belongs to the one running.
    const log = (level: LogLevel, message: string, requestId = instance.requestId) =>
      settings.onLog({ time: new Date().toISOString(), function: definition.name, requestId, level, message })
    child.on('message', (message: InstanceMessage) => {
      if (message.type === 'ready') loaded(message.error)
      else if (message.type === 'log') log(message.level, message.message, message.requestId)
      else instance.settle?.(message)
    })
    lines(child.stdout, (line) => log('log', line))
    lines(child.stderr, (line) => log('error', line))
    // A thaw written to an instance that has just ended is of no matter.
    child.stdin?.on('error', () => undefined)
    child.on('error', (error) => {
      loaded(error.message)
      instance.fail?.(error)
    })
    child.on('exit', (code, signal) => {
      clearTimeout(instance.idleTimer)
      const why = `the function instance exited with ${signal ? `signal ${signal}` : `code ${code}`}`
      loaded(why)
      instance.fail?.(new Error(why))
    })
    child.unref()
    child.channel?.unref()
    return instance
  }
}

/** Each line a stream gives, as it comes. */
function lines(stream: Readable | null, each: (line: string) => void): void {
  if (!stream) return
  ;(stream as Readable & { unref?: () => void }).unref?.()
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', each)
}

/** Ends an instance at once, as the platform recycles one: what it left running is lost. */
function end(instance: Instance): Promise<void> {
  const { process: child } = instance
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}
