/**
 * subscribeMessage.send and template management over WeChat's HTTPS API:
 * the same rules, quota and faults as the cloud call, plus the token check,
 * which spends nothing; and a function instance reaching api.weixin.qq.com
 * (https.request and fetch, no SDK) at the emulator.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FIXTURE_PROJECT, spawnEmulator, type RunningEmulator } from '../../spawn'
import { ORDER, newUser, orderData } from './harness'
import { parseWechat, wechatClient } from './https-harness'

/** A function that calls WeChat as a server would without cloud call: plain HTTPS to api.weixin.qq.com. */
const WXCALL = `const https = require('https')
exports.main = async ({ method, path, body, viaFetch }) => {
  const url = 'https://api.weixin.qq.com' + path
  const payload = body === undefined ? undefined : JSON.stringify(body)
  const headers = payload === undefined ? {} : { 'content-type': 'application/json' }
  if (viaFetch) {
    const response = await fetch(url, { method, headers, body: payload })
    return { status: response.status, text: await response.text() }
  }
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers }, (res) => {
      const chunks = []
      res.on('data', (chunk) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end(payload)
  })
}
`

const project = mkdtempSync(join(tmpdir(), 'https-send-'))
let emulator: RunningEmulator
beforeAll(async () => {
  cpSync(FIXTURE_PROJECT, project, { recursive: true })
  mkdirSync(join(project, 'cloudfunctions/wxcall'))
  writeFileSync(join(project, 'cloudfunctions/wxcall/index.js'), WXCALL)
  writeFileSync(join(project, 'cloudfunctions/wxcall/package.json'), JSON.stringify({ name: 'wxcall', main: 'index.js' }))
  emulator = await spawnEmulator({ project })
})
afterAll(async () => {
  await emulator?.stop()
  rmSync(project, { recursive: true, force: true })
})
beforeEach(async () => {
  await emulator.request('DELETE', '/_emulator/wechat/faults')
})

const wechat = () => wechatClient(emulator.url)
const token = async () => (await wechat().stable()).access_token as string
const subscribe = (openid: string) => emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { [ORDER]: 'accept' } })
const cloudSend = async (data: Record<string, unknown>) => emulator.result('probe', { op: 'openapi', api: 'subscribeMessage.send', data })
const quota = async (openid: string) => (await emulator.request('GET', `/_emulator/wechat/quota?openid=${openid}&templateId=${ORDER}`)).body.available
const messages = async (openid: string) => (await emulator.request('GET', `/_emulator/wechat/messages?touser=${openid}`)).body.data
/** The cloud call's errcode, whether it threw or not. */
const cloudCode = (reply: any): number => (reply.ok ? reply.ok.errCode : reply.error.errCode)

describe('from a function instance', () => {
  const viaFunction = async (request: Record<string, unknown>) => {
    const { status, text } = await emulator.result('wxcall', request)
    expect(status).toBe(200)
    return { text: text as string, reply: parseWechat(text) }
  }

  it('https.request to api.weixin.qq.com reaches the emulator: a token, then a send, delivered', async () => {
    const openid = newUser()
    await subscribe(openid)
    const body = { grant_type: 'client_credential', appid: 'wxfixture00000001', secret: 'local-app-secret' }
    const { reply: issued } = await viaFunction({ method: 'POST', path: '/cgi-bin/stable_token', body })
    expect(issued).toEqual({ access_token: expect.any(String), expires_in: 7200 })
    const send = { touser: openid, template_id: ORDER, data: orderData }
    const { text, reply } = await viaFunction({ method: 'POST', path: `/cgi-bin/message/subscribe/send?access_token=${issued.access_token}`, body: send })
    // The msgid is a bare 19-digit number, as WeChat writes it.
    expect(text).toMatch(/^\{"errcode":0,"errmsg":"ok","msgid":\d{19}\}$/)
    expect(await messages(openid)).toEqual([expect.objectContaining({ touser: openid, template_id: ORDER, msgid: reply.msgid })])
  })

  it("answers only a request whose Host is the emulator's own, as the routing sends it", async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${emulator.url}/cgi-bin/token?grant_type=client_credential`, { headers: { host: 'api.weixin.qq.com' } }, (res) => {
        res.resume()
        resolve(res.statusCode)
      })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(403)
  })

  it('fetch to api.weixin.qq.com takes the same route', async () => {
    const { reply } = await viaFunction({ method: 'GET', path: `/wxaapi/newtmpl/getcategory?access_token=${await token()}`, viaFetch: true })
    expect(reply).toMatchObject({ errcode: 0, data: expect.arrayContaining([{ id: 612, name: '电商平台' }]) })
    expect((await viaFunction({ method: 'GET', path: '/wxaapi/newtmpl/getcategory?access_token=bad', viaFetch: true })).reply.errcode).toBe(40001)
  })
})

describe('subscribeMessage.send over HTTPS', () => {
  it('delivers, and spends the one quota the cloud call would spend', async () => {
    const openid = newUser()
    await subscribe(openid)
    const sent = await wechat().send(await token(), { touser: openid, template_id: ORDER, data: orderData })
    expect(sent).toEqual({ errcode: 0, errmsg: 'ok', msgid: expect.stringMatching(/^\d{19}$/) })
    expect(await quota(openid)).toBe(0)
    expect(cloudCode(await cloudSend({ touser: openid, templateId: ORDER, data: orderData }))).toBe(43101)
    await subscribe(openid)
    expect(cloudCode(await cloudSend({ touser: openid, templateId: ORDER, data: orderData }))).toBe(0)
    expect(await wechat().send(await token(), { touser: openid, template_id: ORDER, data: orderData })).toEqual({ errcode: 43101, errmsg: 'user refuse to accept the msg' })
    expect((await messages(openid)).map((m: { msgid: string }) => m.msgid)).toHaveLength(2)
  })

  it('refuses a missing, unknown or invalidated token before anything, spending nothing', async () => {
    const openid = newUser()
    await subscribe(openid)
    const body = { touser: openid, template_id: ORDER, data: orderData }
    expect(await wechat().send(undefined, body)).toEqual({ errcode: 41001, errmsg: 'access_token missing' })
    expect(await wechat().send('12_not-a-token', body)).toMatchObject({ errcode: 40001 })
    const leaked = await token()
    await emulator.request('POST', '/_emulator/wechat/tokens/expire')
    expect(await wechat().send(leaked, body)).toMatchObject({ errcode: 40001 })
    // Even a send that WeChat would refuse for its data is refused for the token first.
    expect(await wechat().send(leaked, { ...body, template_id: 'NOPE' })).toMatchObject({ errcode: 40001 })
    expect(await quota(openid)).toBe(1)
    expect(await messages(openid)).toEqual([])
    expect(await wechat().send(await token(), body)).toMatchObject({ errcode: 0 })
  })

  it.each([
    ['an unknown template', (openid: string) => ({ touser: openid, template_id: 'NOPE', data: orderData }), 40037],
    ['an openid the app never issued', () => ({ touser: 'oNeverSeen', template_id: ORDER, data: orderData }), 40003],
    ['a thing over 20 characters', (openid: string) => ({ touser: openid, template_id: ORDER, data: { ...orderData, thing1: { value: '一二三四五六七八九十一二三四五六七八九十一' } } }), 47003],
    ['a page the app lacks', (openid: string) => ({ touser: openid, template_id: ORDER, data: orderData, page: 'pages/nowhere/index' }), 41030],
    ['no quota', (openid: string) => ({ touser: openid, template_id: ORDER, data: orderData }), 43101],
  ])('answers what the cloud call answers: %s', async (_name, body, errcode) => {
    const openid = newUser()
    await emulator.request('POST', '/_emulator/wechat/login-code', { openid })
    const https = await wechat().send(await token(), body(openid))
    const { template_id: templateId, ...rest } = body(openid)
    const cloud = await cloudSend({ ...rest, templateId })
    expect(https.errcode).toBe(errcode)
    expect(cloudCode(cloud)).toBe(errcode)
    if (errcode === 47003) expect(https.errmsg).toBe('argument invalid! data.thing1.value invalid')
  })

  it('meets the faults set for WeChat, as the cloud call does', async () => {
    const openid = newUser()
    await subscribe(openid)
    await emulator.request('PUT', '/_emulator/wechat/faults', { errcode: -1 })
    expect(await wechat().send(await token(), { touser: openid, template_id: ORDER, data: orderData })).toEqual({ errcode: -1, errmsg: 'fault injected: errcode -1' })
    expect(cloudCode(await cloudSend({ touser: openid, templateId: ORDER, data: orderData }))).toBe(-1)
    await emulator.request('PUT', '/_emulator/wechat/faults', { hang: true, seed: 1 })
    const answered = await fetch(`${emulator.url}/cgi-bin/message/subscribe/send?access_token=${await token()}`, {
      method: 'POST',
      body: JSON.stringify({ touser: openid, template_id: ORDER, data: orderData }),
      signal: AbortSignal.timeout(300),
    }).then(
      () => true,
      () => false,
    )
    expect(answered).toBe(false)
  })

  it('is counted by transport in the stats, each request whatever its outcome', async () => {
    const openid = newUser()
    await subscribe(openid)
    const good = await token()
    await emulator.request('DELETE', '/_emulator/stats')
    await wechat().send(good, { touser: openid, template_id: ORDER, data: orderData })
    await wechat().send('bad', { touser: openid, template_id: ORDER, data: orderData })
    await cloudSend({ touser: openid, templateId: ORDER, data: orderData })
    expect((await emulator.request('GET', '/_emulator/stats')).body.wechat).toEqual({ tokenFetches: { stable_token: 0, token: 0 }, sends: { https: 2, cloud: 1 }, contentChecks: 0 })
  })

  it('answers a wrong method or body as WeChat does', async () => {
    expect(await wechat().call('GET', '/cgi-bin/message/subscribe/send', { access_token: await token() })).toMatchObject({ errcode: 43002 })
    expect(await wechat().call('POST', '/cgi-bin/token')).toMatchObject({ errcode: 43001 })
    const empty = await fetch(`${emulator.url}/cgi-bin/message/subscribe/send?access_token=${await token()}`, { method: 'POST' })
    expect(await empty.json()).toMatchObject({ errcode: 44002 })
  })
})

describe('template management over HTTPS', () => {
  const call = async (method: 'GET' | 'POST', path: string, query: Record<string, string> = {}, body?: unknown) =>
    wechat().call(method, `/wxaapi/newtmpl/${path}`, { access_token: await token(), ...query }, body)

  it('lists the templates the cloud call lists', async () => {
    const listed = await call('GET', 'gettemplate')
    expect(listed.errcode).toBe(0)
    expect(listed.data).toEqual((await emulator.request('GET', '/_emulator/wechat/templates')).body.data)
    expect(listed.data.find((t: { priTmplId: string }) => t.priTmplId === ORDER)).toMatchObject({ title: '订单提醒', type: 2, content: expect.stringContaining('{{thing1.DATA}}'), example: expect.any(String) })
  })

  it("adds and deletes a template, and browses the public library, with the cloud call's codes", async () => {
    const added = await call('POST', 'addtemplate', {}, { tid: 1168, kidList: [1, 2, 3], sceneDesc: '发货后通知' })
    expect(added).toEqual({ errcode: 0, errmsg: 'ok', priTmplId: expect.stringMatching(/^[\w-]{43}$/) })
    expect((await call('GET', 'gettemplate')).data.map((t: { priTmplId: string }) => t.priTmplId)).toContain(added.priTmplId)
    expect(await call('POST', 'addtemplate', {}, { tid: 1168, kidList: [1] })).toMatchObject({ errcode: 200020 })
    expect(await call('POST', 'deltemplate', {}, { priTmplId: added.priTmplId })).toEqual({ errcode: 0, errmsg: 'ok' })
    expect(await call('POST', 'deltemplate', {}, { priTmplId: added.priTmplId })).toMatchObject({ errcode: 40037 })
    const titles = await call('GET', 'getpubtemplatetitles', { ids: '612,8', start: '0', limit: '2' })
    expect(titles).toMatchObject({ errcode: 0, count: 5 })
    expect(titles.data).toHaveLength(2)
    expect(await call('GET', 'getpubtemplatetitles', { ids: '612', start: '0', limit: '31' })).toMatchObject({ errcode: 200017 })
    expect((await call('GET', 'getpubtemplatekeywords', { tid: '1168' })).data[0]).toEqual({ kid: 1, name: '订单编号', example: 'SO20261127001', rule: 'character_string' })
    expect(await wechat().call('GET', '/wxaapi/newtmpl/getpubtemplatekeywords', { tid: '1168' })).toMatchObject({ errcode: 41001 })
  })
})
