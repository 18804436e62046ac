import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signSession, verifySession } from './token'

const KEY = 'test-session-secret'
const NOW = Date.UTC(2026, 11, 1)
const session = signSession({ openid: 'oUser_1-x', expiresAt: NOW + 60_000 }, KEY)

/** Every character a session may hold, and a few it may not. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ é'

describe('a session', () => {
  it('is two base64url parts: the payload (openid, expiry) and its HMAC-SHA256', () => {
    const [payload, signature] = session.split('.')
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'))).toEqual({ sub: 'oUser_1-x', exp: NOW + 60_000 })
    expect(signature).toBe(createHmac('sha256', KEY).update(payload!).digest('base64url'))
    expect(session).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
  })

  it('holds until it expires, and names its user', () => {
    expect(verifySession(session, KEY, NOW)).toEqual({ ok: true, openid: 'oUser_1-x', expiresAt: NOW + 60_000 })
    expect(verifySession(session, KEY, NOW + 59_999).ok).toBe(true)
    expect(verifySession(session, KEY, NOW + 60_000)).toEqual({ ok: false, why: 'expired' })
  })

  it('fails with any one character changed, at every position, to any other', () => {
    let tried = 0
    for (let i = 0; i < session.length; i++) {
      for (const c of ALPHABET) {
        if (c === session[i]) continue
        const altered = session.slice(0, i) + c + session.slice(i + 1)
        expect(verifySession(altered, KEY, NOW).ok, altered).toBe(false)
        tried++
      }
    }
    expect(tried).toBeGreaterThan(session.length * 60)
  })

  it('fails with the last character changed to one base64 decodes to the same bytes', () => {
    // 32 bytes take 43 characters, the last holding 4 bits of padding: base64url decoders ignore them.
    const signature = session.split('.')[1]!
    const last = signature.at(-1)!
    const twin = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('').find(
      (c) => c !== last && Buffer.from(signature.slice(0, -1) + c, 'base64url').equals(Buffer.from(signature, 'base64url')),
    )
    expect(twin).toBeDefined()
    expect(verifySession(session.slice(0, -1) + twin, KEY, NOW)).toEqual({ ok: false, why: 'signature' })
  })

  it('fails with characters added, removed, padded, or parts swapped', () => {
    const [payload, signature] = session.split('.') as [string, string]
    for (const altered of [`${session}=`, `${session}A`, session.slice(0, -1), `A${session}`, `${payload}..${signature}`, `${payload}.${signature}.x`, `${signature}.${payload}`, payload, '', ' ' + session, `${payload}.`]) {
      expect(verifySession(altered, KEY, NOW).ok, altered).toBe(false)
    }
  })

  it('signed with another key, fails', () => {
    expect(verifySession(signSession({ openid: 'oUser_1-x', expiresAt: NOW + 60_000 }, 'another-key'), KEY, NOW)).toEqual({ ok: false, why: 'signature' })
  })

  it('with a payload of another shape, even well signed, fails', () => {
    const forge = (claims: unknown) => {
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url')
      return `${payload}.${createHmac('sha256', KEY).update(payload).digest('base64url')}`
    }
    expect(verifySession(forge({ sub: 'o', exp: NOW + 1000 }), KEY, NOW).ok).toBe(true)
    for (const claims of [{ sub: '', exp: NOW + 1000 }, { sub: 'o', exp: String(NOW + 1000) }, { exp: NOW + 1000 }, { sub: 'o', exp: 1.5e20 }, [], null]) {
      expect(verifySession(forge(claims), KEY, NOW), JSON.stringify(claims)).toEqual({ ok: false, why: 'malformed' })
    }
  })

  it('is refused unsigned or unchecked without a key', () => {
    expect(() => signSession({ openid: 'o', expiresAt: NOW }, '')).toThrow()
    expect(() => verifySession(session, '', NOW)).toThrow()
  })
})
