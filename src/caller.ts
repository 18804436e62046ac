/**
 * Who made a call, decided once from the platform's context and passed down.
 * OPENID alone does not tell: a message push carries the OPENID of the user
 * it is about too (WeChat's own example replies to `getWXContext().OPENID`).
 * A client is told by its SOURCE, anywhere in the chain (`wx_client,scf` is
 * still the user's call); HTTP access is open to anyone with the URL, and the
 * crawler runs the pages with no user, so neither is ever a server (an
 * HTTP-access request is a user only by the session it presents, which the
 * door checks: `src/session/`). Which
 * kinds a function answers is its door's to say (`src/door.ts`).
 */
import type { CallerContext } from './cloud'

const CLIENT_SOURCES = new Set(['wx_client', 'wx_devtools', 'wx_localdebug'])
const UNTRUSTED_SOURCES = new Set(['wx_http', 'wx_crawler'])

export type Caller =
  /** A mini-program user, on its own behalf. */
  | { kind: 'user'; openid: string; appid?: string; unionid?: string; source: string }
  /**
   * Shaped as WeChat's message push: an OPENID, from no client. WeChat pushes
   * only to the function configured for it, so only there is it trusted, and
   * only about the user whose OPENID it carries.
   */
  | { kind: 'push'; openid: string; source: string }
  /** Another function, a timer, or a server through the admin SDK. */
  | { kind: 'server'; source: string }
  /** A call no one vouches for (HTTP access, the crawler, a client call without a user). */
  | { kind: 'untrusted'; source: string }
  /**
   * An HTTP-access request without a session (src/door.ts): no one yet. It
   * may only exchange a login code for a session; with a valid session the
   * same request is that user.
   */
  | { kind: 'visitor'; source: string }

export type CallerKind = Caller['kind']

/** A caller of the given kinds, as a door that admits only those hands it on. */
export type CallerOf<K extends CallerKind> = Extract<Caller, { kind: K }>

export function identify(context: CallerContext): Caller {
  const { openid, appid, unionid, source } = context
  const chain = source.split(',').map((part) => part.trim())
  if (chain.some((part) => CLIENT_SOURCES.has(part))) {
    return openid ? { kind: 'user', openid, appid, unionid, source } : { kind: 'untrusted', source }
  }
  if (chain.some((part) => UNTRUSTED_SOURCES.has(part))) return { kind: 'untrusted', source }
  return openid ? { kind: 'push', openid, source } : { kind: 'server', source }
}

/**
 * The user a call speaks for: a client's own OPENID, or the one a push is
 * about. Asked only where the door admits no other kind, so a call without
 * one here is a bug.
 */
export function openidOf(caller: Caller): string {
  if (caller.kind === 'user' || caller.kind === 'push') return caller.openid
  throw new Error(`a ${caller.kind} call carries no user; its function's door should not have let it in`)
}
