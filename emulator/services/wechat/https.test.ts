/**
 * WeChat's HTTPS server API, its credentials side: login codes exchanged by
 * jscode2session, and the two kinds of access token with their exact rules
 * (same stable token, renewal with overlap, force refresh and its limits,
 * replacement of a plain token), on lifetimes scaled with --token-lifetime.
 */
import { describe, expect, it } from 'vitest'
import { FIXTURE_PROJECT } from '../../spawn'
import { useEmulator, withEmulator } from '../../../test/support/emulator'
import { wechatClient, until } from './https-harness'
import { newUser } from './harness'

// 240 s: an overlap and renewal window of 10 s, 1 s between force refreshes; no renewal falls inside a test.
const emulator = useEmulator({ project: FIXTURE_PROJECT, args: ['--no-timers', '--token-lifetime', '240'] })
const wechat = () => wechatClient(emulator.url)

describe('jscode2session', () => {
  it('exchanges a login code once, for the user it was given to', async () => {
    const openid = newUser()
    const code = await wechat().loginCode(openid, 'uUnion1')
    expect(code).toMatch(/^[\w-]{32}$/)
    const session = await wechat().session(code)
    expect(session).toEqual({ openid, session_key: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/), unionid: 'uUnion1' })
    expect(await wechat().session(code)).toEqual({ errcode: 40029, errmsg: 'invalid code' })
    expect(await wechat().session('nothing-like-a-code')).toEqual({ errcode: 40029, errmsg: 'invalid code' })
    // WeChat learned the user, as a popup teaches it.
    expect((await emulator.request('GET', '/_emulator/wechat/users')).body.data).toContain(openid)
  })

  it('refuses a wrong AppID, AppSecret or grant type, and spends no code doing so', async () => {
    const code = await wechat().loginCode(newUser())
    expect(await wechat().session(code, { appid: 'wx0000000000000000' })).toEqual({ errcode: 40013, errmsg: 'invalid appid' })
    expect(await wechat().session(code, { secret: 'not-the-secret' })).toEqual({ errcode: 40125, errmsg: 'invalid appsecret' })
    expect(await wechat().session(code, { grant_type: 'client_credential' })).toMatchObject({ errcode: 40002 })
    expect(await wechat().session(code, { appid: '' })).toMatchObject({ errcode: 41002 })
    expect(await wechat().session(code, { secret: '' })).toMatchObject({ errcode: 41004 })
    expect(await wechat().session('', {})).toMatchObject({ errcode: 41008 })
    expect(await wechat().session(code)).toMatchObject({ openid: expect.any(String) })
  })

  it('refuses a blocked user with 40226 until the block is lifted', async () => {
    const openid = newUser()
    expect((await emulator.request('PUT', `/_emulator/wechat/users/${openid}/blocked`, { blocked: true })).body).toEqual({ openid, blocked: true })
    const code = await wechat().loginCode(openid)
    expect(await wechat().session(code)).toEqual({ errcode: 40226, errmsg: 'code blocked' })
    await emulator.request('PUT', `/_emulator/wechat/users/${openid}/blocked`, { blocked: false })
    expect(await wechat().session(code)).toMatchObject({ openid })
    expect((await emulator.request('PUT', `/_emulator/wechat/users/${openid}/blocked`, { blocked: 'yes' })).status).toBe(400)
  })

  it('answers 45011 past 100 exchanges a minute for one user', async () => {
    // The quota is per calendar minute: a run that crosses one starts again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const openid = newUser()
      const minute = Math.floor(Date.now() / 60_000)
      const codes = await Promise.all(Array.from({ length: 101 }, () => wechat().loginCode(openid)))
      const replies = []
      for (const code of codes) replies.push(await wechat().session(code))
      if (Math.floor(Date.now() / 60_000) !== minute) continue
      expect(replies.slice(0, 100).every((reply) => reply.openid === openid)).toBe(true)
      expect(replies[100]).toMatchObject({ errcode: 45011 })
      // Another user has a quota of their own.
      expect(await wechat().session(await wechat().loginCode(newUser()))).toMatchObject({ session_key: expect.any(String) })
      return
    }
    throw new Error('three runs each crossed a minute')
  })

  it('takes a login code only for a well-formed openid', async () => {
    expect((await emulator.request('POST', '/_emulator/wechat/login-code', { openid: 'has space' })).status).toBe(400)
    expect((await emulator.request('POST', '/_emulator/wechat/login-code', {})).status).toBe(400)
  })
})

describe('the stable token', () => {
  it('is the same token on every normal call while it is valid, with the seconds left', async () => {
    const first = await wechat().stable()
    expect(first).toEqual({ access_token: expect.stringMatching(/^\d+_[\w-]{100,}$/), expires_in: expect.any(Number) })
    const second = await wechat().stable(false)
    expect(second.access_token).toBe(first.access_token)
    expect(second.expires_in).toBeLessThanOrEqual(240)
    expect(second.expires_in).toBeGreaterThanOrEqual(10)
    expect(await wechat().check(first.access_token)).toMatchObject({ errcode: 0 })
  })

  it('refuses a wrong AppID, AppSecret, grant type or body', async () => {
    expect(await wechat().stable(false, { appid: 'wx0000000000000000' })).toEqual({ errcode: 40013, errmsg: 'invalid appid' })
    expect(await wechat().stable(false, { secret: 'nope' })).toEqual({ errcode: 40125, errmsg: 'invalid appsecret' })
    expect(await wechat().stable(false, { grant_type: 'authorization_code' })).toMatchObject({ errcode: 40002 })
    const notJson = await fetch(`${emulator.url}/cgi-bin/stable_token`, { method: 'POST', body: 'grant_type=client_credential' })
    expect(await notJson.json()).toMatchObject({ errcode: 47001 })
    expect(await wechat().call('GET', '/cgi-bin/stable_token')).toMatchObject({ errcode: 43002 })
  })

  it('is isolated from /cgi-bin/token: fetching either leaves the other valid', async () => {
    const stable = (await wechat().stable()).access_token
    const plain = (await wechat().token()).access_token
    expect(plain).not.toBe(stable)
    await wechat().token()
    await wechat().token()
    expect(await wechat().check(stable)).toMatchObject({ errcode: 0 })
    expect((await wechat().stable()).access_token).toBe(stable)
    expect(await wechat().check(plain)).toMatchObject({ errcode: 0 })
  })

  it('after a force refresh: the old token answers 40001, the new one works, normal calls give the new one', async () => {
    const old = (await wechat().stable()).access_token
    const fresh = await until(() => wechat().stable(true), (reply) => reply.access_token !== old, 'a force refresh')
    expect(fresh.expires_in).toBe(240)
    expect(await wechat().check(old)).toEqual({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' })
    expect(await wechat().check(fresh.access_token)).toMatchObject({ errcode: 0 })
    expect((await wechat().stable()).access_token).toBe(fresh.access_token)
  })

  it('after tokens/expire: every token answers 40001 and the next call issues a new one', async () => {
    const stable = (await wechat().stable()).access_token
    const plain = (await wechat().token()).access_token
    expect((await emulator.request('POST', '/_emulator/wechat/tokens/expire')).body.expired).toBeGreaterThanOrEqual(2)
    expect(await wechat().check(stable)).toMatchObject({ errcode: 40001 })
    expect(await wechat().check(plain)).toMatchObject({ errcode: 40001 })
    const next = await wechat().stable()
    expect(next.access_token).not.toBe(stable)
    expect(next.expires_in).toBe(240)
    expect(await wechat().check(next.access_token)).toMatchObject({ errcode: 0 })
  })
})

describe('token timing (scaled lifetimes)', () => {
  it('a normal call inside the last 1/24 issues the next stable token; the old one works to its own expiry, then 42001', async () => {
    // 6 s: renewed when less than 1 s is left.
    await withEmulator(['--token-lifetime', '6'], async (own) => {
      const client = wechatClient(own.url)
      const asked = Date.now()
      const first = await client.stable()
      expect(first.expires_in).toBe(6)
      const seen: number[] = []
      const next = await until(
        async () => {
          const reply = await client.stable()
          if (reply.access_token === first.access_token) seen.push(reply.expires_in)
          return reply
        },
        (reply) => reply.access_token !== first.access_token,
        'the renewal',
      )
      // Every answer of the old token had at least the overlap left.
      expect(seen.every((left) => left >= 1)).toBe(true)
      expect(next.expires_in).toBe(6)
      // Still valid, if the answer came back before its 6 s could have run out (a slow machine may miss the window).
      const old = await client.check(first.access_token)
      if (Date.now() < asked + 6000) expect(old).toMatchObject({ errcode: 0 })
      expect(await until(() => client.check(first.access_token), (reply) => reply.errcode !== 0, 'the old token expiring')).toEqual({ errcode: 42001, errmsg: 'access_token expired' })
      expect(await client.check(next.access_token)).toMatchObject({ errcode: 0 })
      expect((await client.stable()).access_token).toBe(next.access_token)
    })
  })

  it('/cgi-bin/token issues a new token each call; the one before works for the overlap, then answers 40001', async () => {
    // 24 s: an overlap of 1 s.
    await withEmulator(['--token-lifetime', '24'], async (own) => {
      const client = wechatClient(own.url)
      const first = await client.token()
      expect(first.expires_in).toBe(24)
      const asked = Date.now()
      const second = await client.token()
      expect(second.access_token).not.toBe(first.access_token)
      // Answered before the overlap could have ended: it still works.
      const during = await client.check(first.access_token)
      if (Date.now() < asked + 1000) expect(during).toMatchObject({ errcode: 0 })
      expect(await until(() => client.check(first.access_token), (reply) => reply.errcode !== 0, 'the overlap ending')).toMatchObject({ errcode: 40001 })
      // Not before the overlap had run.
      expect(Date.now() - asked).toBeGreaterThanOrEqual(1000)
      expect(await client.check(second.access_token)).toMatchObject({ errcode: 0 })
    })
  })

  it('a force refresh within 30 s (scaled) of the last does not refresh; 20 a day, then 45009', async () => {
    await withEmulator([], async (own) => {
      // WeChat's own lifetime: 30 s between force refreshes.
      const client = wechatClient(own.url)
      const forced = await client.stable(true)
      expect(await client.stable(true)).toEqual({ access_token: forced.access_token, expires_in: expect.any(Number) })
    })
    await withEmulator(['--token-lifetime', '24'], async (own) => {
      const client = wechatClient(own.url)
      const tokens = new Set<string>()
      await until(
        async () => {
          const reply = await client.stable(true)
          // A force call inside the gap gets the current token and is not counted: no refusal before 20 refreshes.
          if (reply.errcode !== undefined) throw new Error(`refused after ${tokens.size} refreshes: ${JSON.stringify(reply)}`)
          return tokens.add(reply.access_token).size
        },
        (size) => size === 20,
        '20 force refreshes',
      )
      const refused = await until(() => client.stable(true), (reply) => reply.errcode !== undefined, 'the 21st force refresh')
      expect(refused).toEqual({ errcode: 45009, errmsg: 'reach max api daily quota limit' })
      // The last refreshed token still works, and normal calls still give it.
      const latest = await client.stable()
      expect(tokens.has(latest.access_token)).toBe(true)
      expect(await client.check(latest.access_token)).toMatchObject({ errcode: 0 })
    })
  })
})

describe('the counts', () => {
  it('stats count each token fetch by endpoint, since the last reset', async () => {
    await emulator.request('DELETE', '/_emulator/stats')
    await wechat().stable()
    await wechat().stable()
    await wechat().stable(false, { secret: 'wrong' })
    await wechat().token()
    const { wechat: counts } = (await emulator.request('GET', '/_emulator/stats')).body
    expect(counts).toEqual({ tokenFetches: { stable_token: 3, token: 1 }, sends: { https: 0, cloud: 0 }, contentChecks: 0 })
  })
})
