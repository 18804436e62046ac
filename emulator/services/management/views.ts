/**
 * The management API's replies, in the shapes the platform gives and
 * manager-node reads: an environment, a function (listed, or in detail) and
 * its timer trigger.
 */
import type { FunctionDefinition } from '../../project'
import type { FunctionMeta } from './code'

export const REGION = 'ap-shanghai'

/** SCF's time format: `YYYY-MM-DD hh:mm:ss` in UTC+8. */
export const scfTime = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19)

/** DescribeEnvInfo: what manager-node needs of an environment (its function namespace, its database). */
export function envInfo(envId: string, now: number) {
  const created = scfTime(now)
  return {
    EnvInfo: {
      EnvBaseInfo: {
        EnvId: envId,
        Alias: envId,
        Status: 'NORMAL',
        Source: 'miniapp',
        EnvType: 'baas',
        PayMode: 'postpaid',
        IsDefault: true,
        Region: REGION,
        Databases: [{ InstanceId: envId, Status: 'RUNNING', Region: REGION }],
        Storages: [],
        StaticStorages: [],
        Functions: [{ Namespace: envId, Region: REGION }],
        LogServices: [],
        CustomLogServices: [],
        CreateTime: created,
        UpdateTime: created,
      },
    },
  }
}

/** A function as ListFunctions lists it. Always Active: the emulator's changes are done when they answer. */
export function functionSummary(definition: FunctionDefinition, meta: FunctionMeta, namespace: string) {
  return {
    FunctionId: `lam-${definition.name}`,
    FunctionName: definition.name,
    Namespace: namespace,
    Runtime: meta.runtime,
    Status: 'Active',
    StatusDesc: '',
    Description: meta.description,
    Timeout: definition.timeoutMs / 1000,
    MemorySize: definition.memorySize ?? 256,
    Type: 'Event',
    AddTime: scfTime(meta.addTime),
    ModTime: scfTime(meta.modTime),
  }
}

export function triggerView(definition: FunctionDefinition, meta: FunctionMeta) {
  return {
    Type: 'timer',
    TriggerName: definition.timer!.name,
    TriggerDesc: JSON.stringify({ cron: definition.timer!.cron }),
    Enable: 1,
    CustomArgument: '',
    AvailableStatus: 'Available',
    Qualifier: '$LATEST',
    AddTime: scfTime(meta.addTime),
    ModTime: scfTime(meta.modTime),
  }
}

/** GetFunction. */
export function functionDetail(definition: FunctionDefinition, meta: FunctionMeta, namespace: string) {
  return {
    ...functionSummary(definition, meta, namespace),
    Handler: meta.handler,
    Environment: { Variables: Object.entries(definition.envVariables).map(([Key, Value]) => ({ Key, Value })) },
    // A refused trigger never reached the platform: it has none.
    Triggers: definition.timer && definition.timer.error === undefined ? [triggerView(definition, meta)] : [],
    CodeSize: meta.codeSize,
    CodeInfo: '',
    CodeResult: 'success',
    CodeError: '',
    ErrNo: 0,
    InstallDependency: meta.installDependency ? 'TRUE' : 'FALSE',
    Qualifier: '$LATEST',
    Role: 'TCB_QcsRole',
    VpcConfig: { VpcId: '', SubnetId: '' },
    Layers: [],
    L5Enable: 'FALSE',
    AvailableStatus: 'Available',
    StatusReasons: [],
  }
}
