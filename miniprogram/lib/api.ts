/**
 * The mini-program's calls to the cloud functions. Every function replies
 * `{ ok: true, … }` or `{ ok: false, code, message }` (see the README).
 */
export interface Grant {
  available: number
  kind: 'one-time' | 'long-term'
  status: 'accept' | 'reject' | 'ban' | 'none'
}

export type Reply<T> = ({ ok: true } & T) | { ok: false; code: string; message: string }

export async function call<T>(name: string, data: Record<string, unknown>): Promise<Reply<T>> {
  const { result } = (await wx.cloud.callFunction({ name, data })) as unknown as { result: Reply<T> }
  return result
}

export const login = () => call<{ openid: string; appid: string; unionid?: string }>('login', {})

/** Passes the popup's result straight to the ledger, named so that a retry counts once. */
export const recordSubscriptions = (results: Record<string, string>, requestId: string) =>
  call<{ grants: Record<string, Grant> }>('subscribe-record', { results, requestId })

export const subscriptionStatus = (templateIds?: string[]) =>
  call<{ grants: Record<string, Grant> }>('subscribe-record', { action: 'status', ...(templateIds ? { templateIds } : {}) })

export const scheduleToSelf = (touser: string, templateId: string, data: Record<string, string>, sendAt: string) =>
  call<{ status: string; messageId: string }>('send', { touser, templateId, data, sendAt, page: 'pages/subscriptions/subscriptions' })
