/**
 * The mini-program's calls to the cloud functions, through `wx.cloud.callFunction`,
 * or over HTTP access when the app is configured with a base URL (config.ts,
 * lib/http.ts). Every function replies `{ ok: true, … }` or
 * `{ ok: false, code, message }` (see the README).
 */
import { callOverHttp, logIn } from './http'

export interface Grant {
  available: number
  kind: 'one-time' | 'long-term'
  status: 'accept' | 'reject' | 'ban' | 'none'
}

export type Reply<T> = ({ ok: true } & T) | { ok: false; code: string; message: string }

const httpBase = (): string => getApp<{ globalData: { httpBase?: string } }>().globalData.httpBase ?? ''

export async function call<T>(name: string, data: Record<string, unknown>): Promise<Reply<T>> {
  const base = httpBase()
  if (base) return (await callOverHttp(base, name, data)) as Reply<T>
  const { result } = (await wx.cloud.callFunction({ name, data })) as unknown as { result: Reply<T> }
  return result
}

/** Who the user is: from the platform's context through wx.cloud, or a code login (a new session) over HTTP. */
export const login = async (): Promise<Reply<{ openid: string; appid?: string; unionid?: string }>> => {
  const base = httpBase()
  if (base) return (await logIn(base)) as Reply<{ openid: string; unionid?: string }>
  return call('login', {})
}

/** Passes the popup's result straight to the ledger, named so that a retry counts once. */
export const recordSubscriptions = (results: Record<string, string>, requestId: string) =>
  call<{ grants: Record<string, Grant> }>('subscribe-record', { results, requestId })

export const subscriptionStatus = (templateIds?: string[]) =>
  call<{ grants: Record<string, Grant> }>('subscribe-record', { action: 'status', ...(templateIds ? { templateIds } : {}) })

/** A reminder to oneself at `sendAt`; under a `collapseKey`, it replaces the one still queued under that key (the reply names it). */
export const scheduleToSelf = (touser: string, templateId: string, data: Record<string, string>, sendAt: string, collapseKey?: string) =>
  call<{ status: string; messageId: string; replaced?: string[] }>('send', {
    touser,
    templateId,
    data,
    sendAt,
    page: 'pages/subscriptions/subscriptions',
    ...(collapseKey ? { collapseKey } : {}),
  })

export interface QueuedMessage {
  messageId: string
  status: string
  templateId: string
  dueAt: string | null
  collapseKey: string | null
}

/** The user's own messages, newest first: one page. */
export const listMine = (limit = 20) => call<{ messages: QueuedMessage[]; next: string | null }>('send', { action: 'list', limit })

export const cancelMessage = (messageId: string) => call<{ status: string; messageId: string }>('send', { action: 'cancel', messageId })
