/**
 * The shared access token and the HTTPS transport over it, against the
 * emulator's database and its WeChat HTTPS API (called at the emulator's
 * address: the routing of api.weixin.qq.com lives in function instances).
 * Each "instance" here is its own transport with its own memory, over the
 * one database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnEmulator, type RunningEmulator } from '../../test/support/emulator'
import { connectSdk } from '../../test/support/sdk'
import { database } from '../cloud'
import { bigIntegersAsText, describeRequest, NoAnswer, type WechatReply, type WechatRequest } from './https'
import { httpsApi } from './https-api'
import { WECHAT_TOKENS, refreshWindowMs } from './token'
import registry from '../../templates.json'

const APPID = 'wx8e4f0c1d2a3b5c67'
const SECRET = 'local-app-secret'
const TIMING = { wechatTimeoutMs: 3000, sdkTimeoutMs: 15000, writeMs: 1000, clockSkewMs: 1000 }

let emulator: RunningEmulator

beforeAll(async () => {
  emulator = await spawnEmulator({ args: ['--no-timers', '--token-lifetime', '48'] })
  connectSdk(emulator)
})
afterAll(() => emulator.stop())

/** WeChat's API at the emulator's address, as callWechat speaks to it. */
function emulatorCall(seen?: WechatRequest[]) {
  return async (request: WechatRequest): Promise<WechatReply> => {
    seen?.push(request)
    const url = new URL(request.path, emulator.url)
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value)
    try {
      const response = await fetch(url, {
        method: request.method,
        headers: request.body === undefined ? {} : { 'content-type': 'application/json' },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
      })
      return JSON.parse(bigIntegersAsText(await response.text()))
    } catch (error) {
      throw new NoAnswer(`${describeRequest(request)}: ${(error as Error).message}`)
    }
  }
}

const instance = (seen?: WechatRequest[], secret = SECRET) => httpsApi({ db: database, credentials: { appid: APPID, secret }, timing: TIMING, call: emulatorCall(seen) })
const fetches = async (): Promise<number> => (await emulator.request('GET', '/_emulator/stats')).body.wechat.tokenFetches.stable_token
const tokenDoc = async () => (await emulator.request('GET', `/_emulator/db/${WECHAT_TOKENS}?limit=10`)).body.data.find((d: { _id: string }) => d._id === APPID)
const clearTokens = () =>
  emulator.request('POST', '/admin', { envName: 'local', action: 'database.removeDocument', collectionName: WECHAT_TOKENS, query: '{}', multi: true })

describe('the shared access token', () => {
  it('is fetched once by many instances starting at once, and shared through its document', async () => {
    await clearTokens()
    const before = await fetches()
    const instances = Array.from({ length: 12 }, () => instance())
    const lists = await Promise.all(instances.flatMap((api) => [api.getTemplateList(), api.getTemplateList()]))
    expect(lists.every((list) => list.length > 0)).toBe(true)
    expect((await fetches()) - before).toBe(1)
    const doc = await tokenDoc()
    expect(doc).toMatchObject({ fetchesToday: 1, leaseUntil: 0, leaseHolder: null })
    expect(doc.expiresAt - doc.fetchedAt).toBeLessThanOrEqual(48_000)
    expect(doc.expiresAt - doc.refreshAt).toBe(refreshWindowMs(doc.expiresAt - doc.fetchedAt))
    // Warm: from memory, no fetch and no read of the document.
    await Promise.all(instances.map((api) => api.getTemplateList()))
    expect((await fetches()) - before).toBe(1)
  })

  it('past its refresh time: one instance fetches under the lease, the others go on with the current one', async () => {
    await clearTokens()
    await instance().getTemplateList()
    const first = await tokenDoc()
    // Ten instances whose clocks are just past the refresh time (WeChat's own clock is not moved).
    const shift = first.refreshAt + 200 - Date.now()
    const late = Array.from({ length: 10 }, () =>
      httpsApi({ db: database, credentials: { appid: APPID, secret: SECRET }, timing: TIMING, call: emulatorCall(), clock: () => Date.now() + shift }),
    )
    const before = await fetches()
    const lists = await Promise.all(late.map((api) => api.getTemplateList()))
    expect(lists.every((list) => list.length > 0)).toBe(true)
    expect((await fetches()) - before).toBe(1)
    const second = await tokenDoc()
    expect(second).toMatchObject({ fetchesToday: 2, leaseUntil: 0 })
    expect(second.fetchedAt).toBeGreaterThan(first.fetchedAt)
  })

  it('after WeChat ends it: one refetch for all, and a refusal of the old token never expires the new one', async () => {
    await clearTokens()
    const [a, b] = [instance(), instance()]
    await a.getTemplateList()
    await b.getTemplateList()
    const first = (await tokenDoc()).token
    expect((await emulator.request('POST', '/_emulator/wechat/tokens/expire')).status).toBe(200)
    const before = await fetches()
    // b meets 40001, expires the token it shares with a, fetches the next, and calls again.
    expect((await b.getTemplateList()).length).toBeGreaterThan(0)
    const second = await tokenDoc()
    expect(second.token).not.toBe(first)
    expect(second.expiresAt).toBeGreaterThan(Date.now())
    // a still holds the first in memory: its 40001 finds the document holding another, which stays.
    expect((await a.getTemplateList()).length).toBeGreaterThan(0)
    expect(await tokenDoc()).toMatchObject({ token: second.token, expiresAt: second.expiresAt })
    expect((await fetches()) - before).toBe(1)
    // The same refusal said again, as a late instance would: the compare finds another token and changes nothing.
    await a.accessToken.expire(first)
    expect(await tokenDoc()).toMatchObject({ token: second.token, expiresAt: second.expiresAt })
  })

  it('sends in snake_case, reads a 19-digit msgid whole, and names no secret anywhere', async () => {
    const seen: WechatRequest[] = []
    const api = instance(seen)
    const openid = `oTok${Date.now().toString(36)}`
    const template = registry.templates[0]!
    const templateId = template.id
    const popup = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { [templateId]: 'accept' } })
    expect(popup.status).toBe(200)
    const data = Object.fromEntries(template.keywords.map((k) => [k.key, { value: k.example }]))
    const outcome = await api.sendSubscribeMessage({ touser: openid, templateId, data, miniprogramState: 'formal', lang: 'zh_CN' }, 3000)
    expect(outcome).toMatchObject({ kind: 'sent', msgid: expect.stringMatching(/^\d{19}$/) })
    const sendRequest = seen.find((r) => r.path === '/cgi-bin/message/subscribe/send')!
    expect(sendRequest.body).toEqual({ touser: openid, template_id: templateId, data, miniprogram_state: 'formal', lang: 'zh_CN' })
    const delivered = (await emulator.request('GET', `/_emulator/wechat/messages?touser=${openid}`)).body.data
    expect(delivered.map((m: { msgid: unknown }) => String(m.msgid))).toEqual([(outcome as { msgid: string }).msgid])
    for (const request of seen) expect(describeRequest(request)).not.toContain(SECRET)
  })

  it('with a wrong secret: no token, the send never asked, and the secret in no message', async () => {
    await clearTokens()
    const wrong = 'not-the-secret-4f2a'
    const outcome = await instance(undefined, wrong).sendSubscribeMessage({ touser: 'oX', templateId: 't', data: {} }, 3000)
    expect(outcome).toMatchObject({ kind: 'not_called', errcode: 40125 })
    expect(JSON.stringify(outcome)).not.toContain(wrong)
    // The failed fetch gave its lease back at once.
    expect(await tokenDoc()).toMatchObject({ token: null, leaseUntil: 0 })
    const none = await instance(undefined, '').sendSubscribeMessage({ touser: 'oX', templateId: 't', data: {} }, 3000)
    expect(none).toMatchObject({ kind: 'not_called', errcode: null, errmsg: expect.stringContaining('WECHAT_APP_SECRET') })
  })

  it('force mode: refused within 30 s of the last, and a new token for everyone', async () => {
    await clearTokens()
    const [a, b] = [instance(), instance()]
    await a.getTemplateList()
    const before = (await tokenDoc()).token
    const forced = await a.accessToken.forceRefresh()
    expect(forced).toMatchObject({ kind: 'refreshed', status: { forcesToday: 1, fetchesToday: 2 } })
    expect((await tokenDoc()).token).not.toBe(before)
    expect(await b.accessToken.forceRefresh()).toMatchObject({ kind: 'too_soon', retryAt: expect.any(Number) })
    // b reads the forced token from the document.
    expect((await b.getTemplateList()).length).toBeGreaterThan(0)
  })

  describe('bounded by the wait it is given', () => {
    const request = { touser: 'oBound', templateId: 't', data: {} }
    /** The emulator's API, except for the paths `over` answers. */
    const withFaults = (over: Record<string, (request: WechatRequest) => Promise<WechatReply>>, seen: WechatRequest[] = []) => {
      const real = emulatorCall()
      const call = (r: WechatRequest) => (seen.push(r), (over[r.path] ?? real)(r))
      return httpsApi({ db: database, credentials: { appid: APPID, secret: SECRET }, timing: TIMING, call })
    }
    const hang = () => new Promise<WechatReply>(() => undefined)

    it('a send that gets no answer, or none in time, is an unknown outcome', async () => {
      await clearTokens()
      const lost = withFaults({ '/cgi-bin/message/subscribe/send': async (r) => Promise.reject(new NoAnswer(`${describeRequest(r)}: socket hang up`)) })
      const outcome = await lost.sendSubscribeMessage(request, 1000)
      expect(outcome).toEqual({ kind: 'unknown', reason: expect.stringContaining('socket hang up') })
      expect(JSON.stringify(outcome)).not.toMatch(/access_token=[^…]/)
      const started = Date.now()
      expect(await withFaults({ '/cgi-bin/message/subscribe/send': hang }).sendSubscribeMessage(request, 1000)).toMatchObject({ kind: 'unknown' })
      expect(Date.now() - started).toBeLessThan(1500)
    })

    it('a token that cannot be had in time: the send never asked, within the wait, and the lease given back', async () => {
      await clearTokens()
      const seen: WechatRequest[] = []
      const started = Date.now()
      const outcome = await withFaults({ '/cgi-bin/stable_token': hang }, seen).sendSubscribeMessage(request, 1200)
      expect(outcome).toMatchObject({ kind: 'not_called', errcode: null })
      expect(Date.now() - started).toBeLessThan(1200)
      expect(seen.some((r) => r.path === '/cgi-bin/message/subscribe/send')).toBe(false)
      // The fetch ends at its own deadline, then frees the lease: waited for, with a deadline.
      for (const stop = Date.now() + 5000; (await tokenDoc()).leaseUntil !== 0 && Date.now() < stop; ) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(await tokenDoc()).toMatchObject({ token: null, leaseUntil: 0, leaseHolder: null })
    })

    it('a token refused again after a new one: tried once more only, then the refusal', async () => {
      await clearTokens()
      const before = await fetches()
      const seen: WechatRequest[] = []
      const refusing = withFaults({ '/cgi-bin/message/subscribe/send': async () => ({ errcode: 40001, errmsg: 'invalid credential' }) }, seen)
      expect(await refusing.sendSubscribeMessage(request, 3000)).toEqual({ kind: 'refused', errcode: 40001, errmsg: 'invalid credential' })
      expect(seen.filter((r) => r.path === '/cgi-bin/message/subscribe/send')).toHaveLength(2)
      // The first fetch, and one after the refusal (normal mode: WeChat gives the same token while it lives).
      expect((await fetches()) - before).toBe(2)
    })
  })
})
