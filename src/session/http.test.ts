import { describe, expect, it } from 'vitest'
import { eventOf, httpResponse, identifyHttp, integrationRequest } from './http'
import { signSession } from './token'

const KEY = 'test-session-secret'
const NOW = Date.UTC(2026, 11, 1)
const request = (headers: Record<string, unknown> = {}, body: unknown = '{}', extra: Record<string, unknown> = {}) =>
  integrationRequest('wx_http', { path: '/send', httpMethod: 'POST', headers, queryStringParameters: {}, body, isBase64Encoded: false, ...extra })!

describe('an integration request', () => {
  it('is one only with SOURCE wx_http and an HTTP method and path', () => {
    const event = { path: '/send', httpMethod: 'post', headers: {}, body: '{}' }
    expect(integrationRequest('wx_http', event)).toMatchObject({ httpMethod: 'POST', path: '/send' })
    expect(integrationRequest('wx_client', event)).toBeUndefined()
    expect(integrationRequest('scf', event)).toBeUndefined()
    expect(integrationRequest('wx_http', { touser: 'o' })).toBeUndefined()
    expect(integrationRequest('wx_http', null)).toBeUndefined()
  })

  it('carries its event as a POSTed JSON object, plain or base64', () => {
    expect(eventOf(request({}, '{"a":1}'))).toEqual({ ok: true, event: { a: 1 } })
    expect(eventOf(request({}, Buffer.from('{"a":2}').toString('base64'), { isBase64Encoded: true }))).toEqual({ ok: true, event: { a: 2 } })
    expect(eventOf(request({}, ''))).toEqual({ ok: true, event: {} })
    expect(eventOf(request({}, 'not json'))).toMatchObject({ ok: false, status: 400 })
    expect(eventOf(request({}, '[1]'))).toMatchObject({ ok: false, status: 400 })
    expect(eventOf(request({}, '{}', { httpMethod: 'GET' }))).toMatchObject({ ok: false, status: 405 })
  })
})

describe('who an HTTP request is', () => {
  const session = signSession({ openid: 'oA', expiresAt: NOW + 1000 }, KEY)

  it('the user its Bearer session names, whatever the header case', () => {
    expect(identifyHttp(request({ authorization: `Bearer ${session}` }), KEY, NOW)).toEqual({ kind: 'session', openid: 'oA' })
    expect(identifyHttp(request({ Authorization: `bearer ${session}` }), KEY, NOW)).toEqual({ kind: 'session', openid: 'oA' })
  })

  it('no one without a header', () => {
    expect(identifyHttp(request(), KEY, NOW)).toEqual({ kind: 'anonymous' })
    expect(identifyHttp(request({ authorization: '' }), KEY, NOW)).toEqual({ kind: 'anonymous' })
  })

  it('refused with a session that does not hold, or a header that is no Bearer session', () => {
    for (const authorization of [`Bearer ${session}x`, `Basic ${session}`, session, 'Bearer', [`Bearer ${session}`], `Bearer ${session} ${session}`]) {
      expect(identifyHttp(request({ authorization }), KEY, NOW).kind, String(authorization)).toBe('refused')
    }
    expect(identifyHttp(request({ authorization: `Bearer ${session}` }), KEY, NOW + 1000)).toMatchObject({ kind: 'refused', message: expect.stringMatching(/expired/) })
    expect(identifyHttp(request({ authorization: `Bearer ${session}` }), 'other', NOW)).toMatchObject({ kind: 'refused', message: expect.stringMatching(/another key/) })
  })

  it('unconfigured when a session comes and there is no key', () => {
    expect(identifyHttp(request({ authorization: `Bearer ${session}` }), undefined, NOW)).toEqual({ kind: 'unconfigured' })
  })
})

describe('an HTTP reply', () => {
  it('is JSON, 200 for an answer, the status of a refusal that has one', () => {
    expect(httpResponse({ ok: true, a: 1 })).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true,"a":1}' })
    expect(httpResponse({ ok: false, code: 'UNAUTHENTICATED', message: 'm' }).statusCode).toBe(401)
    expect(httpResponse({ ok: false, code: 'FORBIDDEN', message: 'm' }).statusCode).toBe(403)
    expect(httpResponse({ ok: false, code: 'NO_QUOTA', message: 'm' }).statusCode).toBe(200)
    expect(httpResponse({ ok: false, code: 'INVALID_ARGUMENT', message: 'm' }, 405).statusCode).toBe(405)
  })
})
