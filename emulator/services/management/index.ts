/**
 * The management service: the TencentCloud API that @cloudbase/cli and
 * @cloudbase/manager-node deploy through (`POST /`), so that the real deploy
 * runs against the emulator: functions and their code, timer triggers,
 * HTTP access paths, collections and indexes, and the environment's description.
 */
import { join } from 'node:path'
import type { ProjectDefinition } from '../../project'
import type { Service } from '../../service'
import type { Stats } from '../../stats'
import type { AccessGateway } from '../access/gateway'
import type { DatabaseGateway } from '../database/gateway'
import type { Store } from '../database/store'
import type { FunctionsRuntime } from '../functions/runtime'
import { AccessPathsGateway } from './access'
import { FunctionCodeStore } from './code'
import { FunctionsGateway } from './gateway'
import { managementRoute, type ActionTable } from './router'
import { TablesGateway } from './tables'

export function createManagementService(options: {
  project: ProjectDefinition
  store: Store
  database: DatabaseGateway
  /** The HTTP access service's paths. */
  access: AccessGateway
  runtime: FunctionsRuntime
  /** Follows changed timer triggers (with timers on). */
  syncTimers: () => void
  stats: Stats
  /** The data folder: deployed code and its manifest go under `functions/`; undefined keeps them in memory. */
  dataDir?: string
  /** Serve again the functions deployed to the data folder before (an empty start). */
  restore: boolean
  now: () => number
  log: (line: string) => void
}): Service {
  const { now, log } = options
  const code = new FunctionCodeStore(options.dataDir ? join(options.dataDir, 'functions') : undefined)
  const functions = new FunctionsGateway(options.project, options.runtime, code, options.syncTimers, now, log)
  if (options.restore) functions.restore()
  const tables = new TablesGateway(options.store, options.database, new Date(now()).toISOString())
  const access = new AccessPathsGateway(options.access, options.project.envId, now)
  const actions: ActionTable = {
    tcb: {
      DescribeEnvInfo: (params) => functions.describeEnv(params),
      ListFunctions: (params) => functions.listFunctions(params),
      CreateTable: (params) => tables.createTable(params),
      DescribeTable: (params) => tables.describeTable(params),
      ListTables: (params) => tables.listTables(params),
      UpdateTable: (params) => tables.updateTable(params),
      // A deploy binds a function's path; manager-node lists a function's paths, and deletes them, before it deletes it.
      CreateCloudBaseGWAPI: (params) => access.createAccess(params),
      DescribeCloudBaseGWAPI: (params) => access.describeAccess(params),
      DeleteCloudBaseGWAPI: (params) => access.deleteAccess(params),
    },
    scf: {
      GetFunction: (params) => functions.getFunction(params),
      CreateFunction: (params) => functions.createFunction(params),
      UpdateFunctionCode: (params) => functions.updateFunctionCode(params),
      UpdateFunctionConfiguration: (params) => functions.updateFunctionConfiguration(params),
      BatchCreateTrigger: (params) => functions.batchCreateTrigger(params),
      DeleteTrigger: (params) => functions.deleteTrigger(params),
      DeleteFunction: (params) => functions.deleteFunction(params),
    },
  }
  return {
    actions: {},
    routes: [['POST', /^\/$/, managementRoute(actions, options.stats, log)]],
    close: () => code.close(),
  }
}
