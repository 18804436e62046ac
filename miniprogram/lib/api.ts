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

export const scheduleToSelf = (touser: string, templateId: string, data: Record<string, string>, sendAt: string) =>
  call<{ status: string; messageId: string }>('send', { touser, templateId, data, sendAt, page: 'pages/subscriptions/subscriptions' })
