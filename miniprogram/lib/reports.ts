/**
 * Popup results waiting to reach the ledger. WeChat counts an accept the
 * moment the user taps it; if the report to `subscribe-record` is lost (a
 * dropped network), the ledger would stay below WeChat's count. So each
 * report is kept on the phone under its requestId until the ledger has it,
 * and sent again (the same requestId counts once) until then.
 */
import { recordSubscriptions, type Grant } from './api'

const KEY = 'pendingSubscriptionReports'

interface PendingReport {
  requestId: string
  results: Record<string, string>
}

const pending = (): PendingReport[] => {
  const stored = wx.getStorageSync(KEY) as PendingReport[] | ''
  return Array.isArray(stored) ? stored : []
}

/** Keeps the report, then sends every one still pending; resolves with this one's grants, or undefined if it has not arrived yet. */
export async function report(results: Record<string, string>, requestId: string): Promise<Record<string, Grant> | undefined> {
  wx.setStorageSync(KEY, [...pending().filter((r) => r.requestId !== requestId), { requestId, results }])
  return (await flushReports())[requestId]
}

/** Sends every pending report; a report the ledger took, or refused for good, is forgotten. */
export async function flushReports(): Promise<Record<string, Record<string, Grant>>> {
  const delivered: Record<string, Record<string, Grant>> = {}
  for (const item of pending()) {
    let reply: Awaited<ReturnType<typeof recordSubscriptions>> | undefined
    try {
      reply = await recordSubscriptions(item.results, item.requestId)
    } catch {
      continue // no answer: perhaps recorded, perhaps not; the same requestId again counts once.
    }
    if (reply.ok) delivered[item.requestId] = reply.grants
    // A refusal (a malformed report) will not pass later either.
    wx.setStorageSync(KEY, pending().filter((r) => r.requestId !== item.requestId))
  }
  return delivered
}
