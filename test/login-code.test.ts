/**
 * `login` with a code from wx.login: WeChat's jscode2session (the emulator's,
 * reached at api.weixin.qq.com from the function) says whose code it is, the
 * user is recorded, and the reply carries a signed session. Over HTTP access
 * and through the mini-program's callFunction alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnEmulator, type RunningEmulator } from '../emulator/spawn'
import { verifySession } from '../src/session/token'
import { APP_SECRET, SESSION_SECRET, httpProductArgs, loginCode, overHttp } from './support/http'
import { newOpenid, useProduct } from './support/product'

const { emulator } = useProduct(httpProductArgs())

const userDoc = async (openid: string) =>
  (await emulator.request('GET', '/_emulator/db/users?limit=1000')).body.data.find((u: { _id: string }) => u._id === openid)
const count = async (collection: string) => (await emulator.request('GET', `/_emulator/db/${collection}/count`)).body.total as number

/** Everything the run has said: function logs, invocation records, the emulator's own output. */
async function everythingSaid(target: RunningEmulator): Promise<string> {
  const logs = await target.request('GET', '/_emulator/logs')
  const invocations = await target.request('GET', '/_emulator/invocations')
  return JSON.stringify([logs.body, invocations.body, target.output])
}

describe('login with a code', () => {
  it('over HTTP: whose code it is, recorded, with a session signed for that user and no session key', async () => {
    const openid = newOpenid('oCode')
    const reply = await overHttp(emulator, 'login', { code: await loginCode(emulator, openid, `u${openid}`) })
    expect(reply.status).toBe(200)
    expect(reply.contentType).toMatch(/^application\/json/)
    expect(reply.body).toEqual({ ok: true, openid, unionid: `u${openid}`, session: expect.any(String), expiresAt: expect.any(String) })
    const verdict = verifySession(reply.body.session, SESSION_SECRET, Date.now())
    expect(verdict).toMatchObject({ ok: true, openid })
    // The default lifetime, 7 days, and the reply says the same instant.
    if (verdict.ok) expect(verdict.expiresAt).toBe(Date.parse(reply.body.expiresAt))
    expect(Date.parse(reply.body.expiresAt) - Date.now()).toBeGreaterThan(7 * 24 * 3_600_000 - 60_000)
    expect(JSON.stringify(reply.body)).not.toMatch(/session_key/)
    expect(await userDoc(openid)).toMatchObject({ _id: openid, unionid: `u${openid}`, appid: 'wx8e4f0c1d2a3b5c67', logins: 1 })
  })

  it('from the mini-program through callFunction too, counted as a second login', async () => {
    const openid = newOpenid('oCode')
    await overHttp(emulator, 'login', { code: await loginCode(emulator, openid) })
    const reply = await emulator.result('login', { code: await loginCode(emulator, openid) }, { openid })
    expect(reply).toMatchObject({ ok: true, openid, session: expect.any(String) })
    expect(reply.unionid).toBeUndefined()
    expect(await userDoc(openid)).toMatchObject({ logins: 2 })
  })

  it('refuses the same code twice with INVALID_CODE, and the second writes nothing', async () => {
    const openid = newOpenid('oCode')
    const code = await loginCode(emulator, openid)
    expect((await overHttp(emulator, 'login', { code })).body.ok).toBe(true)
    const again = await overHttp(emulator, 'login', { code })
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ ok: false, code: 'INVALID_CODE', errcode: 40029 })
    expect(again.body.session).toBeUndefined()
    expect(await userDoc(openid)).toMatchObject({ logins: 1 })
    // Also through callFunction, and for a code WeChat never gave.
    expect(await emulator.result('login', { code }, { openid })).toMatchObject({ ok: false, code: 'INVALID_CODE' })
    expect((await overHttp(emulator, 'login', { code: 'NotACodeWeChatGave0123456789abcd' })).body).toMatchObject({ ok: false, code: 'INVALID_CODE' })
  })

  it('refuses a user WeChat blocks with LOGIN_BLOCKED, writing nothing', async () => {
    const openid = newOpenid('oBlocked')
    const code = await loginCode(emulator, openid)
    expect((await emulator.request('PUT', `/_emulator/wechat/users/${openid}/blocked`, { blocked: true })).status).toBe(200)
    const users = await count('users')
    expect((await overHttp(emulator, 'login', { code })).body).toMatchObject({ ok: false, code: 'LOGIN_BLOCKED', errcode: 40226 })
    expect(await count('users')).toBe(users)
    await emulator.request('PUT', `/_emulator/wechat/users/${openid}/blocked`, { blocked: false })
  })

  it("answers WeChat's 45011 with RATE_LIMITED and when to try again (HTTP 429)", async () => {
    // WeChat counts 100 exchanges a user per calendar minute: start well inside one.
    const intoMinute = Date.now() % 60_000
    if (intoMinute > 35_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute))
    const openid = newOpenid('oBusy')
    const codes = await Promise.all(Array.from({ length: 101 }, () => loginCode(emulator, openid)))
    const replies: Array<{ status: number; body: any }> = []
    for (let i = 0; i < codes.length; i += 10) replies.push(...(await Promise.all(codes.slice(i, i + 10).map((code) => overHttp(emulator, 'login', { code })))))
    expect(replies.filter((r) => r.body.ok)).toHaveLength(100)
    const limited = replies.filter((r) => !r.body.ok)
    expect(limited).toEqual([{ status: 429, contentType: expect.any(String), body: { ok: false, code: 'RATE_LIMITED', errcode: 45011, retryAfterMs: 60_000, message: expect.any(String) } }])
    expect(await userDoc(openid)).toMatchObject({ logins: 100 })
  }, 60_000 + 30_000)

  it('refuses a code that is not a string (400), and a visitor without a code (401)', async () => {
    expect(await overHttp(emulator, 'login', { code: 42 })).toMatchObject({ status: 400, body: { ok: false, code: 'INVALID_ARGUMENT' } })
    expect(await overHttp(emulator, 'login', {})).toMatchObject({ status: 401, body: { ok: false, code: 'UNAUTHENTICATED' } })
    expect(await overHttp(emulator, 'login', 'not json')).toMatchObject({ status: 400, body: { ok: false, code: 'INVALID_ARGUMENT' } })
  })

  it('never shows the AppSecret or the session key: in no reply, log line or invocation record', async () => {
    const said = await everythingSaid(emulator)
    expect(said).toContain('INVALID_CODE')
    expect(said).not.toContain(APP_SECRET)
    expect(said).not.toContain(SESSION_SECRET)
  })
})

describe('login with a code, otherwise configured', () => {
  let bare: RunningEmulator
  let wrongSecret: RunningEmulator
  let shortLived: RunningEmulator
  beforeAll(async () => {
    // No secrets in any function's environment; the right names, but WeChat knows another AppSecret; sessions of a minute.
    ;[bare, wrongSecret, shortLived] = await Promise.all([
      spawnEmulator({ args: ['--no-timers'] }),
      spawnEmulator({ args: httpProductArgs(['--no-timers', '--app-secret', 'the-secret-wechat-knows']) }),
      spawnEmulator({ args: httpProductArgs(['--no-timers', '--function-env', 'login:SESSION_LIFETIME_MS=60000']) }),
    ])
  })
  afterAll(async () => {
    await Promise.all([bare?.stop(), wrongSecret?.stop(), shortLived?.stop()])
  })

  it("signs sessions for the lifetime the function's settings say (SESSION_LIFETIME_MS)", async () => {
    const started = Date.now()
    const reply = await overHttp(shortLived, 'login', { code: await loginCode(shortLived, 'oShort') })
    const verdict = verifySession(reply.body.session, SESSION_SECRET, started)
    expect(verdict.ok && verdict.expiresAt - started).toBeGreaterThanOrEqual(60_000)
    expect(verdict.ok && verdict.expiresAt - Date.now()).toBeLessThanOrEqual(60_000)
  })

  it('is NOT_CONFIGURED without WECHAT_APP_SECRET or SESSION_SECRET, before calling WeChat', async () => {
    const code = await loginCode(bare, 'oBare')
    const reply = await overHttp(bare, 'login', { code })
    expect(reply).toMatchObject({ status: 500, body: { ok: false, code: 'NOT_CONFIGURED', message: expect.stringMatching(/WECHAT_APP_SECRET and SESSION_SECRET/) } })
    expect(await bare.result('login', { code }, { openid: 'oBare' })).toMatchObject({ ok: false, code: 'NOT_CONFIGURED' })
    // A session cannot be checked without its key either.
    expect(await overHttp(bare, 'send', {}, 'eyJzdWIiOiJvIiwiZXhwIjoxfQ.AAAA')).toMatchObject({ status: 500, body: { code: 'NOT_CONFIGURED' } })
    expect((await bare.request('GET', '/_emulator/db/users/count')).body.total).toBe(0)
  })

  it('is NOT_CONFIGURED when WeChat refuses the AppSecret (40125), which no reply or log shows', async () => {
    const reply = await overHttp(wrongSecret, 'login', { code: await loginCode(wrongSecret, 'oWrong') })
    expect(reply.body).toMatchObject({ ok: false, code: 'NOT_CONFIGURED', errcode: 40125 })
    const said = JSON.stringify(reply) + (await everythingSaid(wrongSecret))
    expect(said).not.toContain(APP_SECRET)
    expect(said).not.toContain(SESSION_SECRET)
  })
})
