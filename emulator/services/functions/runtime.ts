import { randomBytes, randomUUID } from 'node:crypto'
import { statSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import type { FunctionDefinition, ProjectDefinition } from '../../project'
import { ERR_FUNCTION_EXECUTE_FAIL, ERR_FUNCTION_NOT_FOUND, InvocationError, invocationEnv, type Caller, type Invocation, type InvokeOptions } from './context'
import { LogBook, type LogEntry } from './logs'
import type { InstanceMessage, InvokeMessage } from './messages'

export type { InvocationEntry, LogEntry } from './logs'

export { ERR_FUNCTION_EXECUTE_FAIL, ERR_FUNCTION_NOT_FOUND, InvocationError, SOURCE_CHAIN, type Caller, type Invocation } from './context'

interface Instance {
  worker: Worker
  /** Resolves when the bundle is loaded (the init phase). */
  ready: Promise<void>
  version: string
  busy: boolean
  /** Set when the bundle changed while this instance was busy: retire it after the call. */
  stale: boolean
  settle?: (message: InstanceMessage & { type: 'result' }) => void
  fail?: (error: Error) => void
}

interface Pool {
  definition: FunctionDefinition
  instances: Instance[]
  waiting: Array<() => void>
  /** Event-loop active time of the instances already retired, in ms. */
  retiredActiveMs: number
}

export interface RuntimeOptions {
  project: ProjectDefinition
  /** Path of the built worker script. */
  workerScript: string
  /** The `/admin` URL the functions' SDK is pointed at. */
  adminUrl: () => string
  maxInstancesPerFunction: number
  /** Lets an invocation run with its instance's clock moved (`--time-travel`). */
  timeTravel?: boolean
  onLog?: (entry: LogEntry) => void
}


/**
 * Runs the project's function bundles: warm instances reused, a new one when
 * all are busy (up to a cap, then calls wait), one invocation per instance at
 * a time, the function's timeout enforced by ending the instance, and a
 * rebuilt bundle picked up by the next call.
 */
export class FunctionsRuntime {
  private readonly pools = new Map<string, Pool>()
  private readonly tokens = new Map<string, { function: string; caller: Caller }>()
  private readonly logs = new LogBook()
  private closed = false

  constructor(private readonly options: RuntimeOptions) {}

  get project(): ProjectDefinition {
    return this.options.project
  }

  has(name: string): boolean {
    return this.options.project.functions.has(name)
  }

  /** The function and caller behind an API token that a running invocation sent. */
  callerOf(token: unknown): { function: string; caller: Caller } | undefined {
    return typeof token === 'string' ? this.tokens.get(token) : undefined
  }

  /** Recent invocations and their console output. */
  get history(): Pick<LogBook, 'recent' | 'invocations'> {
    return this.logs
  }

  /** Runs one invocation, kept with its caller, duration and reply for the console. */
  invoke(name: string, event: unknown, caller: Caller, options: InvokeOptions = {}): Promise<Invocation> {
    return this.logs.invocation(name, caller, () => this.invokeOnce(name, event, caller, options))
  }

  private async invokeOnce(name: string, event: unknown, caller: Caller, options: InvokeOptions): Promise<Invocation> {
    const requestId = randomUUID()
    const definition = this.options.project.functions.get(name)
    if (!definition) {
      throw new InvocationError(ERR_FUNCTION_NOT_FOUND, `[ResourceNotFound.Function] function ${name} not found`, requestId)
    }
    const pool = this.poolOf(definition)
    const instance = await this.acquire(pool)
    try {
      await instance.ready
    } catch (error) {
      this.retire(pool, instance)
      pool.waiting.shift()?.()
      throw new InvocationError(ERR_FUNCTION_EXECUTE_FAIL, `${name} could not be loaded: ${(error as Error).message}`, requestId)
    }
    const token = randomBytes(24).toString('hex')
    // Fixed here, as the invocation is handed to its ready instance, so a cold start takes no time off it.
    const clockOffsetMs = this.clockOffset(caller, options)
    this.tokens.set(token, { function: name, caller: { ...caller, clockOffsetMs } })
    try {
      const message: InvokeMessage = {
        type: 'invoke',
        requestId,
        event,
        context: {
          request_id: requestId,
          function_name: name,
          function_version: '$LATEST',
          namespace: this.options.project.envId,
          memory_limit_in_mb: 256,
          time_limit_in_ms: definition.timeoutMs,
        },
        env: invocationEnv(this.options.project, definition, caller, token, this.options.adminUrl()),
        clockOffsetMs,
      }
      const reply = await this.run(pool, instance, message)
      if (!reply.ok) {
        throw new InvocationError(ERR_FUNCTION_EXECUTE_FAIL, `Error: ${reply.message}${reply.stack ? `\n${reply.stack}` : ''}`, requestId)
      }
      return { requestId, result: JSON.parse(reply.json), json: reply.json }
    } finally {
      this.tokens.delete(token)
    }
  }

  /** Ends every busy instance of a function, as a crash would: their calls fail. Returns how many. */
  kill(name: string): number {
    const pool = this.pools.get(name)
    if (!pool) return 0
    const busy = pool.instances.filter((instance) => instance.busy)
    for (const instance of busy) instance.fail?.(new Error('killed by the emulator'))
    return busy.length
  }

  async close(): Promise<void> {
    this.closed = true
    const all = [...this.pools.values()].flatMap((pool) => pool.instances)
    await Promise.all(all.map((instance) => instance.worker.terminate()))
    this.pools.clear()
  }

  /** Instances per function, busy and idle: for tests and the stats route. */
  instanceCounts(): Record<string, { busy: number; idle: number }> {
    const out: Record<string, { busy: number; idle: number }> = {}
    for (const [name, pool] of this.pools) {
      const busy = pool.instances.filter((i) => i.busy).length
      out[name] = { busy, idle: pool.instances.length - busy }
    }
    return out
  }

  /**
   * Per function, the time its instances' event loops were busy since the
   * emulator started, in ms: the CPU time each spent, when the machine has a
   * core for it (an instance that crashed takes its share with it).
   */
  activeMs(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [name, pool] of this.pools) {
      out[name] = pool.instances.reduce((sum, instance) => sum + activeMs(instance.worker), pool.retiredActiveMs)
    }
    return out
  }

  private clockOffset(caller: Caller, options: InvokeOptions): number {
    if (!this.options.timeTravel) return 0
    if (options.startsAt) return options.startsAt.getTime() - Date.now()
    return caller.clockOffsetMs ?? 0
  }

  private poolOf(definition: FunctionDefinition): Pool {
    let pool = this.pools.get(definition.name)
    if (!pool) {
      pool = { definition, instances: [], waiting: [], retiredActiveMs: 0 }
      this.pools.set(definition.name, pool)
    }
    return pool
  }

  private bundleVersion(definition: FunctionDefinition): string {
    try {
      const stat = statSync(definition.bundle)
      return `${stat.mtimeMs}:${stat.size}`
    } catch {
      throw new InvocationError(
        ERR_FUNCTION_EXECUTE_FAIL,
        `function ${definition.name} has no bundle at ${definition.bundle}: build it first`,
        '',
      )
    }
  }

  private async acquire(pool: Pool): Promise<Instance> {
    for (;;) {
      if (this.closed) throw new InvocationError(ERR_FUNCTION_EXECUTE_FAIL, 'the emulator is shutting down', '')
      const version = this.bundleVersion(pool.definition)
      for (const instance of [...pool.instances]) {
        if (instance.version === version) continue
        if (instance.busy) instance.stale = true
        else this.retire(pool, instance)
      }
      const idle = pool.instances.find((instance) => !instance.busy && !instance.stale)
      if (idle) {
        idle.busy = true
        return idle
      }
      if (pool.instances.length < this.options.maxInstancesPerFunction) {
        const instance = this.spawn(pool.definition, version)
        instance.busy = true
        pool.instances.push(instance)
        return instance
      }
      await new Promise<void>((resolve) => pool.waiting.push(resolve))
    }
  }

  private release(pool: Pool, instance: Instance): void {
    instance.busy = false
    instance.settle = undefined
    instance.fail = undefined
    if (instance.stale) this.retire(pool, instance)
    pool.waiting.shift()?.()
  }

  private retire(pool: Pool, instance: Instance): void {
    const at = pool.instances.indexOf(instance)
    if (at >= 0) pool.instances.splice(at, 1)
    pool.retiredActiveMs += activeMs(instance.worker)
    void instance.worker.terminate()
  }

  private spawn(definition: FunctionDefinition, version: string): Instance {
    const base: Record<string, string> = {}
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) base[key] = value
    const worker = new Worker(this.options.workerScript, {
      workerData: { bundle: definition.bundle, timeTravel: this.options.timeTravel === true, adminUrl: this.options.adminUrl() },
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
        this.record({ time: new Date().toISOString(), function: definition.name, requestId: message.requestId, level: message.level, message: message.message })
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

  private run(pool: Pool, instance: Instance, message: InvokeMessage): Promise<InstanceMessage & { type: 'result' }> {
    const { timeoutMs, name } = pool.definition
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // The platform ends an instance that overruns; so does the emulator.
        instance.fail = undefined
        this.retire(pool, instance)
        pool.waiting.shift()?.()
        reject(new InvocationError(ERR_FUNCTION_EXECUTE_FAIL, `Invoking task timed out after ${timeoutMs / 1000} seconds`, message.requestId))
      }, timeoutMs)
      instance.settle = (reply) => {
        if (reply.requestId !== message.requestId) return
        clearTimeout(timer)
        this.release(pool, instance)
        resolve(reply)
      }
      instance.fail = (error) => {
        clearTimeout(timer)
        instance.settle = undefined
        instance.fail = undefined
        this.retire(pool, instance)
        pool.waiting.shift()?.()
        reject(new InvocationError(ERR_FUNCTION_EXECUTE_FAIL, `${name} crashed: ${error.message}`, message.requestId))
      }
      instance.worker.postMessage(message)
    })
  }

  private record(entry: LogEntry): void {
    this.logs.add(entry)
    this.options.onLog?.(entry)
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
