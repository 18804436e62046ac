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
 */
import { identify, type Caller, type CallerKind, type CallerOf } from './caller'
import { callerContext, database } from './cloud'
import { CODES, Refusal, refuse, type Failure } from './replies'
import { notReady } from './schema/readiness'

/** An untrusted call (HTTP access, the crawler, a client without a user) is never answered, so no door can allow it. */
export type Admitted = Exclude<CallerKind, 'untrusted'>

/** What the platform passes beside the event; only what the product reads. */
export interface InvocationContext {
  /** The platform's timeout for this invocation, in ms. */
  time_limit_in_ms?: unknown
}

const WHO: Record<CallerKind, string> = {
  user: 'a mini-program user',
  server: 'a server (no OPENID, from no client)',
  push: "shaped as WeChat's message push (an OPENID, from no client)",
  untrusted: 'untrusted (HTTP access, the crawler, or a client without a user)',
}

/**
 * `main` for a function that answers only the `allow`ed kinds of caller:
 * `export const main = door({ name: 'send', allow: ['user', 'server'] }, (caller, event, context) => …)`.
 */
export function door<K extends Admitted, R>(
  rules: { name: string; allow: readonly K[] },
  handler: (caller: CallerOf<K>, event: unknown, context: InvocationContext) => Promise<R>,
): (event: unknown, context?: InvocationContext) => Promise<R | Failure> {
  const allowed = (caller: Caller): caller is CallerOf<K> => (rules.allow as readonly CallerKind[]).includes(caller.kind)
  return async (event, context) => {
    const caller = identify(callerContext())
    return answer(async () => {
      if (!allowed(caller)) {
        return refuse(CODES.FORBIDDEN, `${rules.name} answers ${rules.allow.map((kind) => WHO[kind]).join(' or ')}; this call (SOURCE ${caller.source}) is ${WHO[caller.kind]}`)
      }
      const why = await notReady(database)
      if (why !== undefined) return refuse(CODES.NOT_READY, why)
      return handler(caller, event, context ?? {})
    })
  }
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
