/**
 * Callers over CloudBase HTTP access (`/_http/<path>`, SOURCE wx_http, no
 * OPENID): a code login gives a session, and a request bearing it is that
 * user, under a mini-program user's rules; without one it may only log in; a
 * session expired, altered anywhere or signed with another key is a 401 that
 * writes nothing. WeChat's oracle judges what was delivered.
 */
import { describe, expect, it } from 'vitest'
import { signSession } from '../src/session/token'
import { APP_SECRET, SESSION_SECRET, httpProductArgs, loginCode, overHttp, sessionFor } from './support/http'
import { APPOINTMENT, EVENT, ORDER, exampleData, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct(httpProductArgs(['--no-timers', '--time-travel', '--max-instances', '20']))

const COLLECTIONS = ['users', 'grants', 'grant_reports', 'messages', 'campaigns']

/** What a refused request must leave as it was: the documents of each collection, counted, and WeChat's deliveries. */
async function state(...openids: string[]) {
  const counts = await Promise.all(COLLECTIONS.map(async (c) => [c, (await emulator.request('GET', `/_emulator/db/${c}/count`)).body.total]))
  const delivered = await Promise.all(openids.map((openid) => product.delivered(openid)))
  return { counts: Object.fromEntries(counts), delivered }
}

/** A popup answered by the user (WeChat's side), whose result the caller then reports. */
async function popup(openid: string, choices: Record<string, 'accept' | 'reject'>) {
  const reply = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices })
  expect(reply.status).toBe(200)
  return reply.body as Record<string, string>
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** The session with the character at `i` changed to another one a session may hold. */
const alter = (session: string, i: number) => session.slice(0, i) + BASE64URL[(BASE64URL.indexOf(session[i]!) + 1) % BASE64URL.length] + session.slice(i + 1)

describe('a user over HTTP access', () => {
  it('logs in with a code, records an accept, and sends to itself now and later, delivered as WeChat says', async () => {
    const openid = newOpenid('oHttp')
    const session = await sessionFor(emulator, openid)

    const results = await popup(openid, { [APPOINTMENT]: 'accept', [EVENT]: 'accept' })
    const recorded = await overHttp(emulator, 'subscribe-record', { results, requestId: 'r1' }, session)
    expect(recorded.status).toBe(200)
    expect(recorded.contentType).toMatch(/^application\/json/)
    expect(recorded.body.grants[APPOINTMENT]).toMatchObject({ available: 1, status: 'accept' })
    expect(await product.oracleQuota(openid, APPOINTMENT)).toMatchObject({ available: 1 })

    const now = await overHttp(emulator, 'send', { touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) }, session)
    expect(now).toMatchObject({ status: 200, body: { ok: true, status: 'sent', messageId: expect.any(String), msgid: expect.any(String) } })

    const sendAt = Date.now() + 60_000
    const later = await overHttp(emulator, 'send', { touser: openid, templateId: EVENT, data: exampleData(EVENT), sendAt: new Date(sendAt).toISOString() }, session)
    expect(later.body).toMatchObject({ ok: true, status: 'scheduled' })
    expect((await product.delivered(openid)).map((m) => m.template_id)).toEqual([APPOINTMENT])

    await product.tick(sendAt + 1000)
    expect((await product.delivered(openid)).map((m) => m.template_id).sort()).toEqual([APPOINTMENT, EVENT].sort())
    const status = await overHttp(emulator, 'subscribe-record', { action: 'status', templateIds: [APPOINTMENT, EVENT] }, session)
    expect(status.body.grants[APPOINTMENT]).toMatchObject({ available: 0, status: 'accept' })
    expect(status.body.grants[EVENT]).toMatchObject({ available: 0, status: 'accept' })
    // Its own message, which it may see.
    const get = await overHttp(emulator, 'send', { action: 'get', messageId: later.body.messageId }, session)
    expect(get.body).toMatchObject({ ok: true, message: { status: 'sent' } })
    // login without a code answers who the session says.
    expect((await overHttp(emulator, 'login', {}, session)).body).toMatchObject({ ok: true, openid })
  })

  it('may not send to another user (FORBIDDEN, HTTP 403), nor a server-only action, and writes nothing', async () => {
    const [me, other] = [newOpenid('oHttp'), newOpenid('oOther')]
    await product.subscribe(other, { [APPOINTMENT]: 'accept' })
    const session = await sessionFor(emulator, me)
    const before = await state(me, other)
    const requests = [
      { touser: other, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) },
      { touser: other, templateId: APPOINTMENT, data: exampleData(APPOINTMENT), sendAt: new Date(Date.now() + 60_000).toISOString() },
      { touser: me, templateId: ORDER, data: exampleData(ORDER) },
      { action: 'broadcast', templateId: APPOINTMENT, data: exampleData(APPOINTMENT) },
      { action: 'pause', clear: true },
    ]
    for (const request of requests) {
      expect(await overHttp(emulator, 'send', request, session), JSON.stringify(request)).toMatchObject({ status: 403, body: { ok: false, code: 'FORBIDDEN' } })
    }
    expect(await state(me, other)).toEqual(before)
  })
})

describe('a request without a valid session', () => {
  it('without one may only log in: subscribe-record and send answer 401 and write nothing', async () => {
    const openid = newOpenid('oAnon')
    const results = await popup(openid, { [APPOINTMENT]: 'accept' })
    const before = await state(openid)
    for (const [path, body] of [
      ['subscribe-record', { results, requestId: 'anon' }],
      ['subscribe-record', { action: 'status' }],
      ['send', { touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) }],
    ] as const) {
      const reply = await overHttp(emulator, path, body)
      expect(reply, path).toMatchObject({ status: 401, body: { ok: false, code: 'UNAUTHENTICATED', message: expect.any(String) } })
      expect(reply.contentType).toMatch(/^application\/json/)
    }
    expect(await state(openid)).toEqual(before)
  })

  it('with one character changed, at every position, answers 401 and writes nothing', async () => {
    const openid = newOpenid('oTamper')
    const session = await sessionFor(emulator, openid)
    const results = await popup(openid, { [APPOINTMENT]: 'accept' })
    const before = await state(openid)
    const dot = session.indexOf('.')
    expect(dot).toBeGreaterThan(0)
    for (let i = 0; i < session.length; i++) {
      if (i === dot) continue // the separator, changed, makes one part: malformed (below).
      const altered = alter(session, i)
      const recorded = await overHttp(emulator, 'subscribe-record', { results, requestId: `t${i}` }, altered)
      expect(recorded, `position ${i}`).toMatchObject({ status: 401, body: { ok: false, code: 'UNAUTHENTICATED' } })
    }
    // The first, the last and a middle character of each part, against send too, and the separator.
    const payloadEnd = dot - 1
    for (const i of [0, payloadEnd >> 1, payloadEnd, dot + 1, (dot + session.length) >> 1, session.length - 1]) {
      const sent = await overHttp(emulator, 'send', { touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) }, alter(session, i))
      expect(sent, `position ${i}`).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } })
    }
    for (const altered of [session.replace('.', '_'), `${session}A`, `${session}=`, session.slice(0, -1), `${session} x`]) {
      expect((await overHttp(emulator, 'subscribe-record', { results, requestId: 'x' }, altered)).status, altered).toBe(401)
    }
    expect((await overHttp(emulator, 'send', {}, undefined, { authorization: `Basic ${session}` })).status).toBe(401)
    expect(await state(openid)).toEqual(before)
    // The session itself still holds, and records the report once.
    expect((await overHttp(emulator, 'subscribe-record', { results, requestId: 'ok' }, session)).body.grants[APPOINTMENT]).toMatchObject({ available: 1 })
  })

  it('expired, answers 401 and writes nothing', async () => {
    const openid = newOpenid('oExpired')
    await sessionFor(emulator, openid)
    const results = await popup(openid, { [APPOINTMENT]: 'accept' })
    // Signed as login signs, with the functions' key: one long past, and one that runs out during the test.
    const past = signSession({ openid, expiresAt: Date.now() - 1000 }, SESSION_SECRET)
    const soon = signSession({ openid, expiresAt: Date.now() + 1500 }, SESSION_SECRET)
    expect((await overHttp(emulator, 'subscribe-record', { action: 'status' }, soon)).body.ok).toBe(true)
    const before = await state(openid)
    expect(await overHttp(emulator, 'subscribe-record', { results, requestId: 'late' }, past)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED', message: expect.stringMatching(/expired/) } })
    await new Promise((resolve) => setTimeout(resolve, 1600))
    expect(await overHttp(emulator, 'subscribe-record', { results, requestId: 'late' }, soon)).toMatchObject({ status: 401, body: { message: expect.stringMatching(/expired/) } })
    expect(await overHttp(emulator, 'send', { touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) }, soon)).toMatchObject({ status: 401 })
    expect(await state(openid)).toEqual(before)
  })

  it('signed with another key, answers 401 and writes nothing', async () => {
    const openid = newOpenid('oForged')
    const results = await popup(openid, { [APPOINTMENT]: 'accept' })
    const before = await state(openid)
    for (const key of ['another-key', SESSION_SECRET.slice(0, -1), APP_SECRET]) {
      const forged = signSession({ openid, expiresAt: Date.now() + 3_600_000 }, key)
      expect(await overHttp(emulator, 'subscribe-record', { results, requestId: key }, forged)).toMatchObject({ status: 401, body: { message: expect.stringMatching(/another key/) } })
      expect((await overHttp(emulator, 'send', { touser: openid, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) }, forged)).status).toBe(401)
    }
    expect(await state(openid)).toEqual(before)
  })
})

describe('what is and is not HTTP access', () => {
  it("a mini-program's callFunction whose data looks like an HTTP request is only data: the context, not a header, says who calls", async () => {
    const [me, other] = [newOpenid('oMini'), newOpenid('oVictim')]
    const session = await sessionFor(emulator, other)
    const event = {
      path: '/send',
      httpMethod: 'POST',
      headers: { authorization: `Bearer ${session}` },
      body: JSON.stringify({ touser: other, templateId: APPOINTMENT, data: exampleData(APPOINTMENT) }),
    }
    const reply = await emulator.result('send', event, { openid: me })
    expect(reply.statusCode).toBeUndefined()
    expect(reply.ok).toBe(false)
    expect(await product.delivered(other)).toEqual([])
  })

  it('wechat-events has no HTTP path, and a wx_http call that is no HTTP request is still refused', async () => {
    expect((await overHttp(emulator, 'wechat-events', {})).status).toBe(404)
    expect(await emulator.result('send', { action: 'templates' }, undefined, { source: 'wx_http' })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
  })

  it('a method other than POST is refused (405)', async () => {
    const session = await sessionFor(emulator, newOpenid('oGet'))
    const response = await fetch(`${emulator.url}/_http/subscribe-record`, { headers: { authorization: `Bearer ${session}` } })
    expect(response.status).toBe(405)
    expect(await response.json()).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' })
  })

  it('no reply, log line or invocation record shows the AppSecret or the session key', async () => {
    await overHttp(emulator, 'login', { code: await loginCode(emulator, newOpenid('oLast')) })
    const logs = await emulator.request('GET', '/_emulator/logs')
    const invocations = await emulator.request('GET', '/_emulator/invocations')
    const said = JSON.stringify([logs.body, invocations.body, emulator.output])
    expect(said).toContain('UNAUTHENTICATED')
    expect(said).not.toContain(APP_SECRET)
    expect(said).not.toContain(SESSION_SECRET)
  })
})
