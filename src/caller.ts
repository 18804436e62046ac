/**
 * Who made a call, decided once from the platform's context and passed down.
 * OPENID alone does not tell: a message push carries the OPENID of the user
 * it is about too (WeChat's own example replies to `getWXContext().OPENID`).
 * A client is told by its SOURCE, anywhere in the chain (`wx_client,scf` is
 * still the user's call); HTTP access is open to anyone with the URL, and the
 * crawler runs the pages with no user, so neither is ever a server.
 */
import type { CallerContext } from './cloud'
import { CODES, refuse } from './replies'

const CLIENT_SOURCES = new Set(['wx_client', 'wx_devtools', 'wx_localdebug'])
const UNTRUSTED_SOURCES = new Set(['wx_http', 'wx_crawler'])

export type Caller =
  /** A mini-program user, on its own behalf. */
  | { kind: 'user'; openid: string; appid?: string; unionid?: string; source: string }
  /** WeChat's message push: server-side, about the user whose OPENID it carries. */
  | { kind: 'push'; openid: string; source: string }
  /** Another function, a timer, or a server through the admin SDK. */
  | { kind: 'server'; source: string }
  /** A call no one vouches for (HTTP access, the crawler, a client call without a user). */
  | { kind: 'untrusted'; source: string }

export function identify(context: CallerContext): Caller {
  const { openid, appid, unionid, source } = context
  const chain = source.split(',').map((part) => part.trim())
  if (chain.some((part) => CLIENT_SOURCES.has(part))) {
    return openid ? { kind: 'user', openid, appid, unionid, source } : { kind: 'untrusted', source }
  }
  if (chain.some((part) => UNTRUSTED_SOURCES.has(part))) return { kind: 'untrusted', source }
  return openid ? { kind: 'push', openid, source } : { kind: 'server', source }
}

/** Server-side code: a function, a timer, the admin SDK, or WeChat's push. */
export const isServer = (caller: Caller) => caller.kind === 'server' || caller.kind === 'push'

export function requireServer(caller: Caller, what: string): void {
  if (!isServer(caller)) refuse(CODES.FORBIDDEN, `${what} is for server-side callers only`)
}

/** The mini-program user making the call; anyone else is refused. */
export function requireUser(caller: Caller, what: string): string {
  if (caller.kind !== 'user') return refuse(CODES.FORBIDDEN, `${what} belongs to a mini-program user; this call is not a client's`)
  return caller.openid
}
