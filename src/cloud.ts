/**
 * The one typed door to wx-server-sdk. The SDK's own typings are loose
 * (`DYNAMIC_CURRENT_ENV` is a symbol that `init` does not accept under strict
 * mode; reads and writes return unions with `void` and `string`; `openapi`
 * is `Record<string, any>`), so the casts live here, once, and the rest of
 * the code sees the shapes the SDK really resolves with.
 */
import * as sdk from 'wx-server-sdk'
import { SETTINGS } from './settings'

export type Doc = Record<string, unknown> & { _id?: string }
type Command = ReturnType<typeof sdk.database>['command']

export interface DocumentRef {
  /** Resolves `{ data: null }` for a missing document (the database is opened with throwOnNotFound: false). */
  get(): Promise<{ data: Doc | null }>
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

export interface DatabaseError {
  errCode: number
  errMsg: string
}

/** A write refused by a unique index (the `_id` or a declared one). */
export function isDuplicateKey(error: unknown): boolean {
  const { errCode, errMsg } = (error ?? {}) as Partial<DatabaseError>
  return errCode === -502001 && /duplicate key|E11000/i.test(String(errMsg))
}

/**
 * A transaction that lost to a concurrent write to one of its documents. Where the SDK
 * drops the code, the service's message still names it:
 * `[ResourceUnavailable.TransactionConflict] Transaction is conflict, …`.
 */
export function isTransactionConflict(error: unknown): boolean {
  const { code, errMsg, message } = (error ?? {}) as { code?: unknown; errMsg?: unknown; message?: unknown }
  return code === 'DATABASE_TRANSACTION_CONFLICT' || /TransactionConflict|transaction is conflict/i.test(String(errMsg ?? message ?? ''))
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
    // The SDK's default wait for every request, named in the settings so that the timing relations can count on it.
    sdk.init({ env: sdk.DYNAMIC_CURRENT_ENV as unknown as string, timeout: SETTINGS.timing.sdkTimeoutMs } as never)
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

/**
 * Updates the first document a query matches and gives it back as it is
 * after the update (`doc` null when none matched): one request, where an
 * update and a read would be two. wx-server-sdk 4.0.2 does not expose the
 * database's `updateAndReturn` on its query wrapper; the @cloudbase/database
 * query it wraps (`_query`) has it, and answers a failure as `{ code }`.
 */
export async function updateAndReturn(query: Query, data: Record<string, unknown>): Promise<{ updated: number; doc: Doc | null }> {
  const inner = (query as unknown as { _query?: { updateAndReturn?: (data: Record<string, unknown>) => Promise<Record<string, unknown>> } })._query
  if (typeof inner?.updateAndReturn !== 'function') throw new Error('this wx-server-sdk has no updateAndReturn underneath its query')
  const reply = await inner.updateAndReturn(data)
  if (reply.code) throw Object.assign(new Error(`updateAndReturn: ${String(reply.message)}`), { errCode: reply.code, errMsg: String(reply.message) })
  return { updated: Number(reply.updated ?? 0), doc: (reply.doc as Doc | undefined) ?? null }
}

/** Where the function runs, read at each call: the platform (and the emulator) set both per invocation. */
export interface Platform {
  /** getWXContext().ENV: the id of the environment the function runs in. */
  envId?: string
  /** The offline emulator: it sets CLOUDBASE_EMULATOR=true on every invocation, a variable the platform never sets. */
  emulated: boolean
}

export function platform(): Platform {
  return { envId: callerContext().env, emulated: process.env.CLOUDBASE_EMULATOR === 'true' }
}

let db: Database | undefined

/** The database, opened so that a missing document reads as `null` rather than an error. */
export function database(): Database {
  db ??= ready().database({ throwOnNotFound: false } as never) as unknown as Database
  return db
}

/** What `subscribeMessage.send` is given, in the SDK's camelCase (it sends snake_case). */
export interface SubscribeMessageRequest {
  touser: string
  templateId: string
  data: Record<string, { value: string }>
  page?: string
  miniprogramState?: 'developer' | 'trial' | 'formal'
  lang?: 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW'
}

export type WechatOutcome =
  | { kind: 'sent'; msgid: string }
  | { kind: 'refused'; errcode: number; errmsg: string }
  /** No answer in time, or a failure that says nothing of what WeChat did. */
  | { kind: 'unknown'; reason: string }

/**
 * wx-server-sdk parses WeChat's 19-digit msgid as a BigNumber, then copies
 * the reply into plain objects, which leaves `{ s, e, c }` (sign, exponent,
 * base-1e14 digit groups). This gives back the decimal digits.
 */
export function msgidText(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value)
  const { s, e, c } = (value ?? {}) as { s?: number; e?: number; c?: unknown }
  if (!Array.isArray(c) || typeof e !== 'number') return String(value)
  const digits = String(c[0]) + c.slice(1).map((group) => String(group).padStart(14, '0')).join('')
  return (s === -1 ? '-' : '') + (digits.length > e + 1 ? digits.slice(0, e + 1) : digits.padEnd(e + 1, '0'))
}

/** Sends one subscription message as a cloud call, and says what WeChat did, within `timeoutMs`. */
export async function sendSubscribeMessage(request: SubscribeMessageRequest, timeoutMs: number): Promise<WechatOutcome> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<WechatOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'unknown', reason: `no answer from WeChat within ${timeoutMs} ms` }), timeoutMs)
  })
  const call = (ready().openapi.subscribeMessage.send(request) as Promise<{ msgid?: unknown }>).then(
    (reply): WechatOutcome => ({ kind: 'sent', msgid: msgidText(reply.msgid) }),
    (error: unknown): WechatOutcome => {
      const code = errCodeOf(error)
      const message = String((error as { errMsg?: unknown })?.errMsg ?? error)
      // Only a code from WeChat (or the cloud call) says what happened; anything else might have sent.
      return code === undefined ? { kind: 'unknown', reason: message } : { kind: 'refused', errcode: code, errmsg: message }
    },
  )
  try {
    return await Promise.race([call, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Calls another cloud function and resolves with what it returned. `timeoutMs`
 * replaces the SDK's default wait, for a callee that may run longer than that.
 */
export async function callFunction<T = unknown>(name: string, data: Record<string, unknown>, timeoutMs?: number): Promise<T> {
  const reply = (await ready().callFunction({ name, data, ...(timeoutMs ? { timeout: timeoutMs } : {}) } as never)) as unknown as { result: T }
  return reply.result
}

/** One private template as getTemplateList gives it. */
export interface AccountTemplate {
  priTmplId: string
  title: string
  content: string
  example?: string
  /** 2: one-time, 3: long-term. */
  type: number
  keywordEnumValueList?: Array<{ keywordCode: string; enumValueList: string[] }>
}

/** The account's private templates (subscribeMessage.getTemplateList, a cloud call). */
export async function getTemplateList(): Promise<AccountTemplate[]> {
  const reply = (await ready().openapi.subscribeMessage.getTemplateList({})) as { data?: AccountTemplate[] }
  return reply.data ?? []
}

/** The SDK's error for a failed database or cloud call carries a numeric errCode. */
export function errCodeOf(error: unknown): number | undefined {
  const code = (error as { errCode?: unknown } | null)?.errCode
  return typeof code === 'number' ? code : undefined
}

/**
 * A failure of a database request, as the SDK reports one: the service's
 * refusal (a numeric errCode, or a `code` from the service), or no answer
 * (a timeout, a reset connection). Anything else thrown is a bug.
 */
export function isDatabaseFailure(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false
  const { errCode, code, errMsg } = error as { errCode?: unknown; code?: unknown; errMsg?: unknown }
  return typeof errCode === 'number' || typeof code === 'string' || typeof errMsg === 'string'
}
