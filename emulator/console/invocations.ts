/**
 * An invocation as every panel writes it (who made it, how it ended), and
 * links into the Logs panel through the console's hash router:
 * `#logs/<function>` or `#logs/request:<requestId>`.
 */
import { h, panelHash, type Json } from './dom'

/** An invocation's outcome, a failed timer run named as one. */
export const outcome = (call: Json) =>
  call.ok ? h('span', { class: 'ok' }, '✓ ok') : h('span', { class: 'failed' }, call.caller.source === 'wx_trigger' ? '✗ 定时器失败 timer failed' : '✗ 失败 failed')

/** Who made an invocation: a timer, a user (and the source), or a server. */
export const callerText = (call: Json) => {
  const { source, openid, trigger } = call.caller
  if (trigger) return `定时器 timer ${trigger} (${source})`
  return openid ? `${openid} (${source})` : (source ?? 'server')
}

const REQUEST = 'request:'

/** Where the Logs panel shows one function's invocations, or one request's (function names never hold a colon). */
export const logsHash = (filter: { function?: string; requestId?: string }) => panelHash('logs', filter.requestId ? `${REQUEST}${filter.requestId}` : filter.function)

/** What a `#logs/…` link asks the Logs panel to filter by. */
export const logsFocus = (focus: string | undefined): { function?: string; requestId?: string } =>
  !focus ? {} : focus.startsWith(REQUEST) ? { requestId: focus.slice(REQUEST.length) } : { function: focus }
