/**
 * The functions service: the project's bundles in instances (child processes), their
 * timers, the control API's call, trigger, logs and kill, and the SDKs'
 * `functions.invokeFunction`.
 */
import type { ProjectDefinition } from '../../project'
import type { Service } from '../../service'
import { functionRoutes, invokeFromSdk } from './router'
import { FunctionsRuntime } from './runtime'
import { TimerScheduler } from './timers'

export interface FunctionsService extends Service {
  runtime: FunctionsRuntime
  /** Follows the functions' timer triggers after a deploy changed them (with timers on). */
  syncTimers(): void
}

export function createFunctionsService(options: {
  project: ProjectDefinition
  workerScript: string
  adminUrl: () => string
  maxInstancesPerFunction: number
  timeTravel?: boolean
  timers: boolean
  /** An openid calls a function as a user: WeChat learns the user. */
  onUser: (openid: string) => void
  log: (line: string) => void
  /** An invocation left work running when it replied (frozen after return). */
  onFrozen?: (name: string) => void
}): FunctionsService {
  const { log } = options
  const runtime = new FunctionsRuntime({
    project: options.project,
    workerScript: options.workerScript,
    adminUrl: options.adminUrl,
    maxInstancesPerFunction: options.maxInstancesPerFunction,
    timeTravel: options.timeTravel,
    onFrozen: options.onFrozen,
    onLog: (entry) => log(`[${entry.function} ${entry.requestId.slice(0, 8)}] ${entry.level}: ${entry.message}`),
  })
  const timers = new TimerScheduler(runtime, log)
  return {
    runtime,
    syncTimers: () => timers.sync(),
    routes: functionRoutes(runtime, options.onUser, options.timers),
    actions: { 'functions.invokeFunction': async (params) => ({ json: await invokeFromSdk(runtime, params) }) },
    start: () => {
      if (options.timers) timers.start()
    },
    close: async () => {
      timers.stop()
      await runtime.close()
    },
  }
}
