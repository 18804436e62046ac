/**
 * A session: what a code login gives a caller over HTTP access, so that its
 * later calls are its own. `<payload>.<signature>`: the payload is
 * base64url(JSON `{ "sub": openid, "exp": ms since the epoch }`), the
 * signature base64url(HMAC-SHA256(key, payload text)), the key being
 * SESSION_SECRET. Nothing is stored: the signature is the proof.
 *
 * Checking recomputes the signature over the payload exactly as presented
 * and compares the two signature TEXTS in constant time. It never decodes the
 * presented signature to compare bytes: base64 decoders accept altered
 * encodings (a changed last character, missing padding) that decode to the
 * same bytes, so any changed character anywhere must fail, and it does. The
 * payload is read only once its signature has passed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

export interface Session {
  openid: string
  /** When it stops being valid, in ms since the epoch. */
  expiresAt: number
}

export type Verdict =
  | ({ ok: true } & Session)
  /** `malformed`: not two base64url parts; `signature`: altered or signed with another key; `expired`: past its time. */
  | { ok: false; why: 'malformed' | 'signature' | 'expired' }

/** Longer than any session this signs; a longer header is refused before any work. */
const MAX_LENGTH = 1024
const BASE64URL = /^[A-Za-z0-9_-]+$/

const mac = (payload: string, key: string) => createHmac('sha256', key).update(payload, 'utf8').digest('base64url')

export function signSession(session: Session, key: string): string {
  if (!key) throw new Error('a session needs a signing key')
  const payload = Buffer.from(JSON.stringify({ sub: session.openid, exp: session.expiresAt }), 'utf8').toString('base64url')
  return `${payload}.${mac(payload, key)}`
}

export function verifySession(token: string, key: string, now: number): Verdict {
  if (!key) throw new Error('a session needs a signing key')
  if (typeof token !== 'string' || token.length > MAX_LENGTH) return { ok: false, why: 'malformed' }
  const parts = token.split('.')
  if (parts.length !== 2 || !BASE64URL.test(parts[0]!) || !BASE64URL.test(parts[1]!)) return { ok: false, why: 'malformed' }
  const [payload, signature] = parts as [string, string]
  const expected = Buffer.from(mac(payload, key), 'utf8')
  const presented = Buffer.from(signature, 'utf8')
  // timingSafeEqual needs equal lengths; the length of a signature is no secret.
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, why: 'signature' }
  let claims: unknown
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return { ok: false, why: 'malformed' }
  }
  const { sub, exp } = (claims ?? {}) as { sub?: unknown; exp?: unknown }
  // Only this module signs with the key, so a signed payload of another shape is a bug elsewhere; refuse it all the same.
  if (typeof sub !== 'string' || sub === '' || typeof exp !== 'number' || !Number.isSafeInteger(exp)) return { ok: false, why: 'malformed' }
  if (exp <= now) return { ok: false, why: 'expired' }
  return { ok: true, openid: sub, expiresAt: exp }
}

/** The signing key, from the function's environment; never a setting, never logged. Undefined when unset or empty. */
export function sessionSecret(): string | undefined {
  return process.env.SESSION_SECRET || undefined
}
