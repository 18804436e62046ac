/**
 * The one typed door to wx-server-sdk. The SDK's own typings are loose
 * (`DYNAMIC_CURRENT_ENV` is a symbol that `init` does not accept under strict
 * mode; reads and writes return unions with `void` and `string`; `openapi`
 * is `Record<string, any>`), so the casts live here, once, and the rest of
 * the code sees the shapes the SDK really resolves with.
 */
import * as sdk from 'wx-server-sdk'

export type Doc = Record<string, unknown> & { _id?: string }
type Command = ReturnType<typeof sdk.database>['command']

export interface DocumentRef {
  get(): Promise<{ data: Doc }>
  set(options: { data: Doc }): Promise<{ _id: string; stats: { updated: number; created: number } }>
  update(options: { data: Record<string, unknown> }): Promise<{ stats: { updated: number } }>
  remove(): Promise<{ stats: { removed: number } }>
  field(projection: Record<string, boolean | number>): DocumentRef
}

export interface Query {
  where(condition: Record<string, unknown>): Query
  orderBy(field: string, direction: 'asc' | 'desc'): Query
  skip(offset: number): Query
  limit(max: number): Query
  field(projection: Record<string, boolean | number>): Query
  get(): Promise<{ data: Doc[] }>
  count(): Promise<{ total: number }>
  update(options: { data: Record<string, unknown> }): Promise<{ stats: { updated: number } }>
  remove(): Promise<{ stats: { removed: number } }>
}

export interface Collection extends Query {
  doc(id: string): DocumentRef
  add(options: { data: Doc | Doc[] }): Promise<{ _id: string; _ids?: string[] }>
}

export interface Transaction {
  collection(name: string): { doc(id: string): DocumentRef; add(options: { data: Doc }): Promise<{ _id: string }> }
  commit(): Promise<unknown>
  rollback(reason?: unknown): Promise<unknown>
}

export interface Database {
  collection(name: string): Collection
  command: Command
  serverDate(options?: { offset?: number }): unknown
  runTransaction<T>(work: (transaction: Transaction) => Promise<T>, retries?: number): Promise<T>
  startTransaction(): Promise<Transaction>
}

/** Who called the function, read once from the platform's context. */
export interface CallerContext {
  /** Present only when a mini-program user made the call. */
  openid?: string
  appid?: string
  unionid?: string
  /** The platform's call source: wx_client, wx_trigger, scf, or a comma chain. */
  source: string
  env?: string
}

let initialised = false

function ready(): typeof sdk {
  if (!initialised) {
    sdk.init({ env: sdk.DYNAMIC_CURRENT_ENV as unknown as string })
    initialised = true
  }
  return sdk
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

export function callerContext(): CallerContext {
  const context = ready().getWXContext() as Record<string, unknown>
  return {
    openid: text(context.OPENID),
    appid: text(context.APPID),
    unionid: text(context.UNIONID),
    source: text(context.SOURCE) ?? 'unknown',
    env: text(context.ENV),
  }
}

export function database(): Database {
  return ready().database() as unknown as Database
}

/** Calls another cloud function and resolves with what it returned. */
export async function callFunction<T = unknown>(name: string, data: Record<string, unknown>): Promise<T> {
  const reply = (await ready().callFunction({ name, data })) as unknown as { result: T }
  return reply.result
}

/** The SDK's error for a failed database or cloud call carries a numeric errCode. */
export function errCodeOf(error: unknown): number | undefined {
  const code = (error as { errCode?: unknown } | null)?.errCode
  return typeof code === 'number' ? code : undefined
}
