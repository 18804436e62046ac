/**
 * One function's instances, as SCF keeps them: warm instances reused, a new
 * one started when all are busy (up to a cap, then callers wait), one
 * invocation per instance at a time, the function's timeout enforced by
 * ending the instance, and a rebuilt bundle picked up by the next call.
 */
import { statSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import type { FunctionDefinition } from '../../project'
import { ERR_FUNCTION_EXECUTE_FAIL, InvocationError } from './context'
import type { LogEntry } from './logs'
import type { InstanceMessage, InvokeMessage } from './messages'

export type InstanceReply = InstanceMessage & { type: 'result' }

export interface Instance {
  worker: Worker
  /** Resolves when the bundle is loaded (the init phase). */
  ready: Promise<void>
  version: string
  busy: boolean
  /** Set when the bundle changed while this instance was busy: retire it after the call. */
  stale: boolean
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
}

export class InstancePool {
  private readonly instances: Instance[] = []
  private readonly waiting: Array<() => void> = []
  /** Event-loop active time of the instances already retired, in ms. */
  private retiredActiveMs = 0

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
      instance.worker.postMessage(message)
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
    return this.instances.reduce((sum, instance) => sum + activeMs(instance.worker), this.retiredActiveMs)
  }

  async terminate(): Promise<void> {
    await Promise.all(this.instances.map((instance) => instance.worker.terminate()))
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
    this.waiting.shift()?.()
  }

  private retire(instance: Instance): void {
    const at = this.instances.indexOf(instance)
    if (at >= 0) this.instances.splice(at, 1)
    this.retiredActiveMs += activeMs(instance.worker)
    void instance.worker.terminate()
  }

  private spawn(version: string): Instance {
    const { definition, settings } = this
    const base: Record<string, string> = {}
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) base[key] = value
    const worker = new Worker(settings.workerScript, {
      workerData: { bundle: definition.bundle, timeTravel: settings.timeTravel, adminUrl: settings.adminUrl() },
      env: {
        ...base,
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
      stdout: false,
      stderr: false,
    })
    let loaded!: (error?: string) => void
    const ready = new Promise<void>((resolve, reject) => {
      loaded = (error) => (error ? reject(new Error(error)) : resolve())
    })
    ready.catch(() => undefined)
    const instance: Instance = { worker, ready, version, busy: false, stale: false }
    worker.on('message', (message: InstanceMessage) => {
      if (message.type === 'ready') {
        loaded(message.error)
      } else if (message.type === 'log') {
        settings.onLog({ time: new Date().toISOString(), function: definition.name, requestId: message.requestId, level: message.level, message: message.message })
      } else {
        instance.settle?.(message)
      }
    })
    worker.on('error', (error) => {
      loaded(error.message)
      instance.fail?.(error)
    })
    worker.on('exit', (code) => {
      loaded(`the function instance exited with code ${code}`)
      instance.fail?.(new Error(`the function instance exited with code ${code}`))
    })
    worker.unref()
    return instance
  }
}

/** A worker's event-loop active time so far; 0 once it has exited. */
function activeMs(worker: Worker): number {
  try {
    return worker.performance.eventLoopUtilization().active
  } catch {
    return 0
  }
}
