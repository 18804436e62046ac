/**
 * The management API's functions and their timer triggers, over the same
 * `project.functions` map that the runtime, the timers, the console and the
 * openapi service read: a deployed function is a FunctionDefinition like a
 * project's own, run by the same instances with the same environment. Its
 * code is unzipped by code.ts; what the platform reports beyond that (runtime,
 * handler, revision, times) is kept here, and with a data folder in the manifest.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { FunctionDefinition, ProjectDefinition } from '../../project'
import type { FunctionsRuntime } from '../functions/runtime'
import type { FunctionCodeStore, FunctionMeta } from './code'
import { envNotFound, functionExists, functionNotFound, invalidParameter, namespaceNotFound, oneTimerOnly, triggerNotFound } from './errors'
import { environment, handler, newFunctionName, optionalInteger, optionalText, requiredText, runtime, timerTriggers, zipFile, type Params } from './schemas'
import { envInfo, functionDetail, functionSummary, triggerView } from './views'

/** What a function is reported to run on when its deploy never said (a project function). */
const DEFAULT_RUNTIME = 'Nodejs16.13'

const flag = (value: unknown) => value === true || value === 'TRUE' || value === 'true'

export class FunctionsGateway {
  /** Functions deployed through the management API (a project function has no entry until its code is replaced). */
  private readonly deployed = new Map<string, FunctionMeta>()

  constructor(
    private readonly project: ProjectDefinition,
    private readonly runtime: FunctionsRuntime,
    private readonly code: FunctionCodeStore,
    private readonly syncTimers: () => void,
    private readonly now: () => number,
    private readonly log: (line: string) => void,
  ) {}

  /** Serves again what the manifest says was deployed. */
  restore(): void {
    for (const entry of this.code.readManifest(this.log)) {
      const { name, timeoutMs, memorySize, envVariables, openapi, timer, ...meta } = entry
      const dir = this.code.dirOf(entry)
      this.project.functions.set(name, { name, dir, bundle: join(dir, 'index.js'), openapi, timer, timeoutMs, envVariables, memorySize })
      this.deployed.set(name, meta)
    }
  }

  describeEnv(params: Params) {
    return envInfo(this.envOf(params), this.now())
  }

  listFunctions(params: Params) {
    this.envOf(params)
    const limit = optionalInteger(params, 'Limit', 1, 1000) ?? 20
    const offset = optionalInteger(params, 'Offset', 0, Number.MAX_SAFE_INTEGER) ?? 0
    const names = [...this.project.functions.keys()].sort()
    const summary = (definition: FunctionDefinition) => functionSummary(definition, this.metaOf(definition), this.project.envId)
    return { Functions: names.slice(offset, offset + limit).map((name) => summary(this.project.functions.get(name)!)), TotalCount: names.length }
  }

  getFunction(params: Params) {
    const definition = this.definitionOf(params)
    return functionDetail(definition, this.metaOf(definition), this.project.envId)
  }

  createFunction(params: Params) {
    const name = newFunctionName(params)
    this.checkNamespace(params)
    const settings = {
      runtime: runtime(params) ?? DEFAULT_RUNTIME,
      handler: handler(params) ?? 'index.main',
      timeoutS: optionalInteger(params, 'Timeout', 1, 900) ?? 3,
      memorySize: optionalInteger(params, 'MemorySize', 64, 3072) ?? 256,
      envVariables: environment(params) ?? {},
      description: optionalText(params, 'Description') ?? '',
    }
    const zip = zipFile(params)
    // manager-node reads this code, then replaces the function's code and configuration instead.
    if (this.project.functions.has(name)) throw functionExists(name)
    const code = this.code.unpack(name, 1, zip)
    const now = this.now()
    // A function of that name deleted before may have instances still finishing: they are not this one's.
    this.runtime.retire(name)
    this.project.functions.set(name, {
      name,
      dir: code.dir,
      bundle: code.bundle,
      openapi: code.openapi,
      timeoutMs: settings.timeoutS * 1000,
      envVariables: settings.envVariables,
      memorySize: settings.memorySize,
    })
    this.deployed.set(name, {
      runtime: settings.runtime,
      handler: settings.handler,
      description: settings.description,
      installDependency: flag(params.InstallDependency),
      revision: 1,
      codeSize: code.codeSize,
      codeSha256: code.codeSha256,
      addTime: now,
      modTime: now,
    })
    this.save()
    this.log(`deployed ${name} (${settings.runtime}, ${settings.timeoutS} s${code.openapi.length ? `, openapi ${code.openapi.join(' ')}` : ''})`)
    if (flag(params.InstallDependency)) this.log(`${name}: InstallDependency is taken, but the emulator installs nothing: the upload must hold what index.js requires`)
    return {}
  }

  /** New code for the next call; instances running the old code finish with it (instances.ts retires them). */
  updateFunctionCode(params: Params) {
    const definition = this.definitionOf(params)
    const newHandler = handler(params)
    const zip = zipFile(params)
    const meta = this.metaOf(definition)
    const revision = meta.revision + 1
    const code = this.code.unpack(definition.name, revision, zip)
    Object.assign(definition, { dir: code.dir, bundle: code.bundle, openapi: code.openapi })
    this.deployed.set(definition.name, {
      ...meta,
      handler: newHandler ?? meta.handler,
      installDependency: params.InstallDependency === undefined ? meta.installDependency : flag(params.InstallDependency),
      revision,
      codeSize: code.codeSize,
      codeSha256: code.codeSha256,
      modTime: this.now(),
    })
    this.code.prune(definition.name, [revision, revision - 1])
    this.save()
    this.log(`deployed new code for ${definition.name} (revision ${revision})`)
    return {}
  }

  /** Changes the definition in place, so that the runtime's pool and the timers keep following it. */
  updateFunctionConfiguration(params: Params) {
    const definition = this.definitionOf(params)
    const timeoutS = optionalInteger(params, 'Timeout', 1, 900)
    const memorySize = optionalInteger(params, 'MemorySize', 64, 3072)
    const variables = environment(params)
    const description = optionalText(params, 'Description')
    const newRuntime = runtime(params)
    if (timeoutS !== undefined) definition.timeoutMs = timeoutS * 1000
    if (memorySize !== undefined) definition.memorySize = memorySize
    // A new environment reaches new instances only: the pool retires those started with the old one.
    if (variables !== undefined) definition.envVariables = variables
    const meta = this.deployed.get(definition.name)
    if (meta) {
      this.deployed.set(definition.name, { ...meta, description: description ?? meta.description, runtime: newRuntime ?? meta.runtime, modTime: this.now() })
    }
    this.save()
    return {}
  }

  batchCreateTrigger(params: Params) {
    const definition = this.definitionOf(params)
    const timers = timerTriggers(params)
    if (new Set(timers.map((timer) => timer.name)).size > 1) throw oneTimerOnly(definition.name)
    const timer = timers[timers.length - 1]!
    if (definition.timer && definition.timer.name !== timer.name) this.log(`function ${definition.name}: timer ${timer.name} replaces ${definition.timer.name}`)
    definition.timer = timer
    this.syncTimers()
    this.save()
    return { Result: [triggerView(definition, this.metaOf(definition))] }
  }

  deleteTrigger(params: Params) {
    const definition = this.definitionOf(params)
    const name = requiredText(params, 'TriggerName')
    const type = optionalText(params, 'Type')
    if (type !== undefined && type !== 'timer') throw invalidParameter(`Type ${type} is not served: the local emulator keeps timer triggers only`)
    // A refused trigger was never created, so there is none to delete.
    if (definition.timer?.name !== name || definition.timer.error !== undefined) throw triggerNotFound(definition.name, name)
    delete definition.timer
    this.syncTimers()
    this.save()
    return {}
  }

  deleteFunction(params: Params) {
    const definition = this.definitionOf(params)
    this.project.functions.delete(definition.name)
    this.runtime.retire(definition.name)
    this.syncTimers()
    // A project function's own folder is never touched: only code the emulator unzipped.
    if (this.deployed.delete(definition.name)) this.code.removeAll(definition.name)
    this.save()
    this.log(`deleted function ${definition.name}`)
    return {}
  }

  private envOf(params: Params): string {
    const envId = optionalText(params, 'EnvId')
    if (envId !== undefined && envId !== this.project.envId) throw envNotFound(envId, this.project.envId)
    return this.project.envId
  }

  private checkNamespace(params: Params): void {
    const namespace = optionalText(params, 'Namespace')
    if (namespace !== undefined && namespace !== this.project.envId) throw namespaceNotFound(namespace, this.project.envId)
  }

  private definitionOf(params: Params): FunctionDefinition {
    const name = requiredText(params, 'FunctionName')
    this.checkNamespace(params)
    const definition = this.project.functions.get(name)
    if (!definition) throw functionNotFound(name)
    return definition
  }

  /** A deployed function's meta; for a project function, what its folder tells. */
  private metaOf(definition: FunctionDefinition): FunctionMeta {
    const deployed = this.deployed.get(definition.name)
    if (deployed) return deployed
    let stat: { size: number; mtimeMs: number } = { size: 0, mtimeMs: this.now() }
    try {
      stat = statSync(definition.bundle)
    } catch {
      // Not built yet: reported as empty.
    }
    const mtime = Math.floor(stat.mtimeMs)
    return { runtime: DEFAULT_RUNTIME, handler: 'index.main', description: '', installDependency: false, revision: 0, codeSize: stat.size, codeSha256: '', addTime: mtime, modTime: mtime }
  }

  /** Writes the manifest (with a data folder): every deployed function, as it now runs. */
  private save(): void {
    if (!this.code.persistent) return
    const entries = [...this.deployed].flatMap(([name, meta]) => {
      const definition = this.project.functions.get(name)
      if (!definition) return []
      const { timeoutMs, envVariables, openapi, timer, memorySize } = definition
      return [{ ...meta, name, timeoutMs, memorySize: memorySize ?? 256, envVariables, openapi, timer }]
    })
    this.code.writeManifest(entries)
  }
}
