/**
 * What the platform tells a function about one call: who made it (the
 * caller and its SOURCE), and how an invocation fails.
 */
import type { FunctionDefinition, ProjectDefinition } from '../../project'

/** Who a call comes from, as the platform knows it. */
export interface Caller {
  /**
   * TCB_SOURCE: wx_client, wx_trigger, scf, or a comma chain such as `wx_client,scf`.
   * Undefined leaves TCB_SOURCE unset, so `getWXContext().SOURCE` is undefined.
   */
  source: string | undefined
  openid?: string
  unionid?: string
  /** Present for timer runs. */
  trigger?: string
  /** How far the invocation's clock is moved (only with time travel); calls it makes inherit it. */
  clockOffsetMs?: number
}

/** A SOURCE as the platform writes it: a name, or a comma chain of names. */
export const SOURCE_CHAIN = /^[a-z_]+(,[a-z_]+)*$/

export interface InvokeOptions {
  /**
   * With time travel, moves the instance's clock so that the invocation starts
   * at this time; ignored otherwise, as the platform never moves a clock.
   */
  startsAt?: Date
}

export interface Invocation {
  requestId: string
  /** The function's return value after a JSON round trip, as the platform replies it. */
  result: unknown
  /** That reply as the instance's JSON text. */
  json: string
}


export class InvocationError extends Error {
  constructor(
    readonly errCode: number,
    message: string,
    readonly requestId: string,
  ) {
    super(message)
  }
}

export const ERR_FUNCTION_NOT_FOUND = -501000
export const ERR_FUNCTION_EXECUTE_FAIL = -504002

/**
 * The environment of one invocation, as the platform sets it: what
 * getWXContext reads (the user, the app, the API token that tells the
 * emulator which function calls), the environment's id, and where the SDK's
 * requests go.
 */
export function invocationEnv(project: ProjectDefinition, definition: FunctionDefinition, caller: Caller, token: string, adminUrl: string): Record<string, string> {
  const { appid, envId } = project
  // The SDK reads only the variables that WX_CONTEXT_KEYS lists, the API token among them
  // (getWXContext leaves the token out of what it returns).
  const context: Record<string, string> = { WX_APPID: appid, WX_API_TOKEN: token }
  if (caller.openid) context.WX_OPENID = caller.openid
  if (caller.unionid) context.WX_UNIONID = caller.unionid
  if (caller.trigger) context.WX_TRIGGER_API_TOKEN_V0 = token
  const env: Record<string, string> = {
    ...context,
    WX_CONTEXT_KEYS: Object.keys(context).join(','),
    TCB_ENV: envId,
    SCF_NAMESPACE: envId,
    SCF_FUNCTIONNAME: definition.name,
    TCB_CONTEXT_CNFG: JSON.stringify({ URL: adminUrl }),
    // Not the platform's: the one variable that tells code it runs offline (the product defaults a card to the developer version by it).
    CLOUDBASE_EMULATOR: 'true',
  }
  if (caller.source !== undefined) env.TCB_SOURCE = caller.source
  if (caller.trigger) env.TRIGGER_SRC = 'timer'
  // As WX_CONTEXT_KEYS does for the WX_ keys, this names the TCB_ keys: @cloudbase/node-sdk 2.1 to 2.3
  // (in wx-server-sdk 2.1 to 2.3) read TCB_CONTEXT_CNFG only when it is named here.
  env.TCB_CONTEXT_KEYS = Object.keys(env).filter((key) => key.startsWith('TCB_')).join(',')
  return env
}
