import { randomBytes, randomUUID } from 'node:crypto'
import type { FunctionDefinition, ProjectDefinition } from '../../project'
import { ERR_FUNCTION_EXECUTE_FAIL, ERR_FUNCTION_NOT_FOUND, InvocationError, invocationEnv, type Caller, type Invocation, type InvokeOptions } from './context'
import { InstancePool } from './instances'
import { LogBook, type LogEntry } from './logs'
import type { InvokeMessage } from './messages'
import { describePending } from './pending'

export type { InvocationEntry, LogEntry } from './logs'

export { ERR_FUNCTION_EXECUTE_FAIL, ERR_FUNCTION_NOT_FOUND, InvocationError, SOURCE_CHAIN, type Caller, type Invocation } from './context'

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
  /** An invocation of this function replied with work still running, which its instance's freeze stopped. */
  onFrozen?: (name: string) => void
}

/**
 * Runs the project's functions: each invocation handed to an instance of its
 * function (instances.ts) with the context and environment SCF gives it, its
 * caller known by the API token it carries, and its record and console output
 * kept (logs.ts).
 */
export class FunctionsRuntime {
  private readonly pools = new Map<string, InstancePool>()
  private readonly tokens = new Map<string, { function: string; caller: Caller; requestId: string }>()
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
  callerOf(token: unknown): { function: string; caller: Caller; requestId: string } | undefined {
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
    const instance = await pool.acquire()
    try {
      await instance.ready
    } catch (error) {
      pool.discard(instance)
      throw new InvocationError(ERR_FUNCTION_EXECUTE_FAIL, `${name} could not be loaded: ${(error as Error).message}`, requestId)
    }
    const token = randomBytes(24).toString('hex')
    // Fixed here, as the invocation is handed to its ready instance, so a cold start takes no time off it.
    const clockOffsetMs = this.clockOffset(caller, options)
    this.tokens.set(token, { function: name, caller: { ...caller, clockOffsetMs }, requestId })
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
          memory_limit_in_mb: definition.memorySize ?? 256,
          time_limit_in_ms: definition.timeoutMs,
        },
        env: invocationEnv(this.options.project, definition, caller, token, this.options.adminUrl()),
        clockOffsetMs,
      }
      const reply = await pool.run(instance, message)
      if (!reply.ok) {
        throw new InvocationError(ERR_FUNCTION_EXECUTE_FAIL, `Error: ${reply.message}${reply.stack ? `\n${reply.stack}` : ''}`, requestId)
      }
      return { requestId, result: JSON.parse(reply.json), json: reply.json }
    } finally {
      this.tokens.delete(token)
    }
  }

  /**
   * Lets go of a function's instances, as when it is deleted: idle ones end now, busy ones
   * when their call ends. A function of that name made later starts afresh.
   */
  retire(name: string): void {
    this.pools.get(name)?.drain()
    this.pools.delete(name)
  }

  /** Ends every busy instance of a function, as a crash would: their calls fail. Returns how many. */
  kill(name: string): number {
    return this.pools.get(name)?.kill() ?? 0
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.pools.values()].map((pool) => pool.terminate()))
    this.pools.clear()
  }

  /** Instances per function, busy and idle: for tests and the stats route. */
  instanceCounts(): Record<string, { busy: number; idle: number }> {
    const out: Record<string, { busy: number; idle: number }> = {}
    for (const [name, pool] of this.pools) out[name] = pool.counts()
    return out
  }

  /**
   * Per function, the time its instances' event loops were busy since the
   * emulator started, in ms: the CPU time each spent, when the machine has a
   * core for it (an instance that crashed takes its share with it).
   */
  activeMs(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [name, pool] of this.pools) out[name] = pool.activeMs()
    return out
  }

  /** The CPU time of every function's instance processes, in ms, as of their last replies. */
  cpuMs(): number {
    let sum = 0
    for (const pool of this.pools.values()) sum += pool.cpuMs()
    return sum
  }

  private clockOffset(caller: Caller, options: InvokeOptions): number {
    if (!this.options.timeTravel) return 0
    if (options.startsAt) return options.startsAt.getTime() - Date.now()
    return caller.clockOffsetMs ?? 0
  }

  private poolOf(definition: FunctionDefinition): InstancePool {
    let pool = this.pools.get(definition.name)
    if (!pool) {
      const { workerScript, adminUrl, maxInstancesPerFunction, timeTravel } = this.options
      pool = new InstancePool(definition, {
        workerScript,
        adminUrl,
        maxInstances: maxInstancesPerFunction,
        timeTravel: timeTravel === true,
        closed: () => this.closed,
        onLog: (entry) => this.record(entry),
        onFrozen: (requestId, reply) => {
          const what = reply.pending ? describePending(reply.pending) : 'work'
          this.note(
            definition.name,
            requestId,
            'warn',
            `frozen after return: ${what} still pending when the handler replied. On the platform the instance is frozen now: this work stops until the instance is invoked again, and is lost if it is recycled. Await it before returning.`,
          )
          this.options.onFrozen?.(definition.name)
        },
      })
      this.pools.set(definition.name, pool)
    }
    return pool
  }

  /** A line in a function's log from the emulator itself, about what an invocation of it did. */
  note(name: string, requestId: string, level: LogEntry['level'], message: string): void {
    this.record({ time: new Date().toISOString(), function: name, requestId, level, message })
  }

  private record(entry: LogEntry): void {
    this.logs.add(entry)
    this.options.onLog?.(entry)
  }
}
