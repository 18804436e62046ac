/**
 * A function's door: who may call it, said in one place. Each
 * `cloudfunctions/<name>/index.ts` declares the kinds of caller it answers;
 * the door reads the caller from the platform's context once, refuses any
 * other kind with FORBIDDEN before the event is read, refuses an admitted
 * call with NOT_READY while the database is not at the schema the function
 * was built for (src/schema/readiness.ts), and turns a refusal from the
 * domain into its reply. FORBIDDEN comes first: it needs no database and
 * would answer the same on a migrated one (a deploy would not help), and a
 * caller no door admits cannot make an instance read the database.
 *
 * A call over CloudBase HTTP access (SOURCE wx_http with an integration
 * request) is answered as HTTP: its JSON body is the event, and it is the
 * user its `Authorization: Bearer <session>` names, or a visitor, who may
 * only log in with a code. A session that does not hold is a 401 before
 * anything else, so it writes nothing and reads nothing.
 */
import { identify, type Caller, type CallerKind, type CallerOf } from './caller'
import { callerContext, database } from './cloud'
import { CODES, Refusal, failure, refuse, type Failure } from './replies'
import { notReady } from './schema/readiness'
import { eventOf, httpResponse, identifyHttp, integrationRequest, type HttpRequest, type HttpResponse } from './session/http'
import { sessionSecret } from './session/token'

/** An untrusted call (HTTP access without its request, the crawler, a client without a user) is never answered, so no door can allow it. */
export type Admitted = Exclude<CallerKind, 'untrusted'>

/** What the platform passes beside the event; only what the product reads. */
export interface InvocationContext {
  /** The platform's timeout for this invocation, in ms. */
  time_limit_in_ms?: unknown
}

const WHO: Record<CallerKind, string> = {
  user: 'a mini-program user (through wx.cloud, or over HTTP with its session)',
  server: 'a server (no OPENID, from no client)',
  push: "shaped as WeChat's message push (an OPENID, from no client)",
  untrusted: 'untrusted (HTTP access, the crawler, or a client without a user)',
  visitor: 'an HTTP-access request without a session',
}

/**
 * `main` for a function that answers only the `allow`ed kinds of caller:
 * `export const main = door({ name: 'send', allow: ['user', 'server'] }, (caller, event, context) => …)`.
 */
export function door<K extends Admitted, R>(
  rules: { name: string; allow: readonly K[] },
  handler: (caller: CallerOf<K>, event: unknown, context: InvocationContext) => Promise<R>,
): (event: unknown, context?: InvocationContext) => Promise<R | Failure | HttpResponse> {
  const allowed = (caller: Caller): caller is CallerOf<K> => (rules.allow as readonly CallerKind[]).includes(caller.kind)
  const admit = (caller: Caller, event: unknown, context: InvocationContext) =>
    answer(async () => {
      if (!allowed(caller)) {
        // A visitor is refused as unauthenticated: what it lacks is a session, which a code login gives.
        return refuse(caller.kind === 'visitor' ? CODES.UNAUTHENTICATED : CODES.FORBIDDEN, `${rules.name} answers ${rules.allow.map((kind) => WHO[kind]).join(' or ')}; this call (SOURCE ${caller.source}) is ${WHO[caller.kind]}`)
      }
      const why = await notReady(database)
      if (why !== undefined) return refuse(CODES.NOT_READY, why)
      return handler(caller, event, context)
    })
  return async (event, context) => {
    const platform = callerContext()
    const request = integrationRequest(platform.source, event)
    if (request) return overHttp(request, platform.source, (caller, body) => admit(caller, body, context ?? {}))
    return admit(identify(platform), event, context ?? {})
  }
}

/** An HTTP-access request: its session checked first, then its body read as the event, the reply sent as JSON. */
async function overHttp(request: HttpRequest, source: string, admit: (caller: Caller, event: unknown) => Promise<unknown>): Promise<HttpResponse> {
  const who = identifyHttp(request, sessionSecret(), Date.now())
  if (who.kind === 'unconfigured') return httpResponse(failure(CODES.NOT_CONFIGURED, 'sessions cannot be checked: SESSION_SECRET is not set in this function\'s environment'))
  if (who.kind === 'refused') return httpResponse(failure(CODES.UNAUTHENTICATED, who.message))
  const body = eventOf(request)
  if (!body.ok) return httpResponse(failure(CODES.INVALID_ARGUMENT, body.message), body.status)
  const caller: Caller = who.kind === 'session' ? { kind: 'user', openid: who.openid, source } : { kind: 'visitor', source }
  return httpResponse(await admit(caller, body.event))
}

/**
 * Runs a handler's work and turns a refusal into its reply. Anything else
 * thrown is a bug, and is left to fail the invocation loudly.
 */
export async function answer<T>(work: () => Promise<T>): Promise<T | Failure> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof Refusal) return error.reply
    throw error
  }
}
