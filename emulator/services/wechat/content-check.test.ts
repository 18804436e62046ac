/**
 * security.msgSecCheck, WeChat's text check: 1.0 and 2.0 through a bundled
 * function's real wx-server-sdk (`checker`), and through WeChat's HTTPS API
 * with an access token; the same verdicts either way, from the words the
 * fixture's emulator.config.json declares (假发票 → 20006, "buy followers" →
 * 10001) and WeChat's own 1.0 test texts. Then the setting itself: none, and
 * labels WeChat never gives.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadProject } from '../../project'
import { FIXTURE_PROJECT, spawnEmulator, useEmulator, withProjectCopy, type User } from '../../../test/support/emulator'
import { newUser } from './harness'
import { wechatClient } from './https-harness'
import { V1_SAMPLES } from './security'

const emulator = useEmulator()

/** The checker function's outcome: `ok` (the SDK's reply) or `error` (what it threw: errCode, errMsg). */
const check = (data: Record<string, unknown>, user?: User): Promise<any> => emulator.result('checker', { data }, user)
/** A user who has opened the mini-program (called a function), so WeChat knows the openid. */
const visitor = async (): Promise<User> => {
  const user = { openid: newUser() }
  await emulator.call('echo', {}, user)
  return user
}

const OK = 'openapi.security.msgSecCheck:ok'
const RISKY_V1 = { errCode: 87014, errMsg: 'openapi.security.msgSecCheck:fail risky content' }
const TRACE_ID = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/
const modelPass = { strategy: 'content_model', errcode: 0, suggest: 'pass', label: 100, prob: 90 }

describe('msgSecCheck by cloud call, through wx-server-sdk 4.0.2', () => {
  it('passes clean text in 1.0 and 2.0, each counted in the stats', async () => {
    const user = await visitor()
    const counted = async (): Promise<number> => (await emulator.request('GET', '/_emulator/stats')).body.wechat.contentChecks
    const before = await counted()
    expect((await check({ content: '今天天气很好，一起去公园吧' }, user)).ok).toEqual({ errCode: 0, errMsg: OK })
    const v2 = (await check({ version: 2, openid: user.openid, scene: 2, content: '今天天气很好，一起去公园吧' }, user)).ok
    expect(v2).toEqual({
      errCode: 0,
      errMsg: OK,
      result: { suggest: 'pass', label: 100 },
      detail: [modelPass, { strategy: 'keyword', errcode: 0 }],
      traceId: expect.stringMatching(TRACE_ID),
    })
    expect(await counted()).toBe(before + 2)
  })

  it('holds a declared word risky: 87014 in 1.0, suggest risky with its label in 2.0', async () => {
    const user = await visitor()
    expect((await check({ content: '代开假发票，价格优惠' }, user)).error).toEqual(RISKY_V1)
    const v2 = (await check({ version: 2, openid: user.openid, scene: 2, content: '代开假发票，价格优惠' }, user)).ok
    expect(v2.errCode).toBe(0)
    expect(v2.result).toEqual({ suggest: 'risky', label: 20006 })
    expect(v2.detail).toEqual([modelPass, { strategy: 'keyword', errcode: 0, suggest: 'risky', label: 20006, prob: 90, keyword: '假发票' }])
  })

  it('looks for the words in the title and nickname too, ignoring case, and in the signature of a profile only', async () => {
    const user = await visitor()
    const base = { version: 2, openid: user.openid, content: '你好' }
    expect((await check({ ...base, scene: 3, title: 'BUY FOLLOWERS cheap' }, user)).ok.result).toEqual({ suggest: 'risky', label: 10001 })
    expect((await check({ ...base, scene: 3, nickname: '假发票小王' }, user)).ok.result).toEqual({ suggest: 'risky', label: 20006 })
    expect((await check({ ...base, scene: 2, signature: 'buy followers' }, user)).ok.result).toEqual({ suggest: 'pass', label: 100 })
    expect((await check({ ...base, scene: 1, signature: 'buy followers' }, user)).ok.result).toEqual({ suggest: 'risky', label: 10001 })
  })

  it("answers 87014 for WeChat's 1.0 test texts, which 2.0 judges as any text", async () => {
    const user = await visitor()
    for (const sample of V1_SAMPLES) {
      expect((await check({ content: sample }, user)).error).toEqual(RISKY_V1)
      expect((await check({ version: 2, openid: user.openid, scene: 1, content: sample }, user)).ok.result).toEqual({ suggest: 'pass', label: 100 })
    }
  })

  it.each([
    ['scene 9', { scene: 9 }, 40129],
    ['no scene', { scene: undefined }, 44002],
    ['empty content', { content: '' }, 44002],
    ['no content', { content: undefined }, 44002],
    ['content that is not text', { content: 42 }, 47001],
    ['a title that is not text', { title: ['x'] }, 47001],
    ['version 3', { version: 3 }, 47001],
  ])('refuses %s in 2.0', async (_name, change, errCode) => {
    const user = await visitor()
    const reply = await check({ version: 2, openid: user.openid, scene: 2, content: '你好', ...change }, user)
    expect(reply.error.errCode).toBe(errCode)
    expect(reply.error.errMsg).toMatch(/^openapi\.security\.msgSecCheck:fail \w/)
  })

  it('refuses with 40003 an openid WeChat does not know for this app, and 44002 empty text in 1.0', async () => {
    const unknown = await check({ version: 2, openid: newUser(), scene: 2, content: '你好' })
    expect(unknown.error).toEqual({ errCode: 40003, errMsg: expect.stringMatching(/^openapi\.security\.msgSecCheck:fail invalid openid/) })
    expect((await check({ content: '' })).error.errCode).toBe(44002)
  })

  it('answers -604101 to a function whose config.json does not permit it, and the same call to one that does', async () => {
    // probe's permissions name subscribeMessage.send and customerServiceMessage.send only; checker's name security.msgSecCheck.
    const refused = await emulator.result('probe', { op: 'openapi', api: 'security.msgSecCheck', data: { content: '你好' } })
    expect(refused.error.errCode).toBe(-604101)
    expect((await check({ content: '你好' })).ok).toEqual({ errCode: 0, errMsg: OK })
  })
})

describe('msgSecCheck over HTTPS (POST /wxa/msg_sec_check)', () => {
  const wechat = () => wechatClient(emulator.url)
  const token = async () => (await wechat().stable()).access_token as string
  const secCheck = (accessToken: string | undefined, body?: unknown) =>
    wechat().call('POST', '/wxa/msg_sec_check', accessToken === undefined ? {} : { access_token: accessToken }, body)

  it('gives the cloud call’s verdicts in WeChat’s snake_case', async () => {
    const accessToken = await token()
    const { openid } = await visitor()
    expect(await secCheck(accessToken, { content: '你好' })).toEqual({ errcode: 0, errmsg: 'ok' })
    expect(await secCheck(accessToken, { content: 'we buy followers' })).toEqual({ errcode: 87014, errmsg: 'risky content' })
    expect(await secCheck(accessToken, { content: V1_SAMPLES[0] })).toEqual({ errcode: 87014, errmsg: 'risky content' })
    expect(await secCheck(accessToken, { version: 2, openid, scene: 4, content: '假发票' })).toEqual({
      errcode: 0,
      errmsg: 'ok',
      detail: [modelPass, { strategy: 'keyword', errcode: 0, suggest: 'risky', label: 20006, prob: 90, keyword: '假发票' }],
      trace_id: expect.stringMatching(TRACE_ID),
      result: { suggest: 'risky', label: 20006 },
    })
    expect(await secCheck(accessToken, { version: 2, openid, scene: 9, content: '你好' })).toMatchObject({ errcode: 40129 })
    expect(await secCheck(accessToken, { version: 2, openid, scene: 1, content: '' })).toMatchObject({ errcode: 44002 })
    expect(await secCheck(accessToken, { version: 2, openid: newUser(), scene: 1, content: '你好' })).toMatchObject({ errcode: 40003 })
  })

  it('checks the access token first: 41001 without one, 40001 for one WeChat never gave', async () => {
    expect(await secCheck(undefined, { content: '假发票' })).toEqual({ errcode: 41001, errmsg: 'access_token missing' })
    expect(await secCheck('not-a-token', { content: '假发票' })).toMatchObject({ errcode: 40001 })
  })

  it('answers 44002 to an empty body and 47001 to one that is not JSON', async () => {
    const accessToken = await token()
    expect(await secCheck(accessToken)).toMatchObject({ errcode: 44002 })
    const response = await fetch(`${emulator.url}/wxa/msg_sec_check?access_token=${accessToken}`, { method: 'POST', body: '{content:' })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ errcode: 47001 })
  })
})

describe('emulator.config.json security.words', () => {
  it("without it, nothing is risky but WeChat's 1.0 test texts", async () => {
    await withProjectCopy(
      (project) => writeFileSync(join(project, 'emulator.config.json'), JSON.stringify({ messagePushReceiver: 'pushlog' })),
      [],
      async (own) => {
        const user = { openid: newUser() }
        await own.call('echo', {}, user)
        expect((await own.result('checker', { data: { content: '代开假发票' } }, user)).ok).toEqual({ errCode: 0, errMsg: OK })
        expect((await own.result('checker', { data: { content: V1_SAMPLES[1] } }, user)).error).toEqual(RISKY_V1)
        const v2 = await own.result('checker', { data: { version: 2, openid: user.openid, scene: 2, content: '代开假发票' } }, user)
        expect(v2.ok.result).toEqual({ suggest: 'pass', label: 100 })
      },
    )
  })

  const securityOf = (security: unknown) => {
    const project = mkdtempSync(join(tmpdir(), 'security-config-'))
    cpSync(FIXTURE_PROJECT, project, { recursive: true })
    writeFileSync(join(project, 'emulator.config.json'), JSON.stringify({ security }))
    try {
      return loadProject(project).security
    } finally {
      rmSync(project, { recursive: true, force: true })
    }
  }

  it('is read in the order declared, and refuses what WeChat would never answer', () => {
    expect(securityOf({ words: { 假发票: 20006, spam: 10001 } })).toEqual({ words: [{ word: '假发票', label: 20006 }, { word: 'spam', label: 10001 }] })
    expect(securityOf({})).toEqual({ words: [] })
    expect(() => securityOf({ words: { spam: 100 } })).toThrow(/security\.words\["spam"\] is 100: a label must be one of msgSecCheck's risk labels \(10001, 20001/)
    expect(() => securityOf({ words: { spam: '10001' } })).toThrow(/security\.words\["spam"\] is "10001"/)
    expect(() => securityOf({ words: ['spam'] })).toThrow(/security\.words must be an object/)
    expect(() => securityOf({ word: { spam: 10001 } })).toThrow(/security\.word is not a setting/)
    expect(() => securityOf({ words: { ' ': 10001 } })).toThrow(/security\.words has an empty word/)
  })

  it('stops the start with a label WeChat does not have, naming it', async () => {
    const project = mkdtempSync(join(tmpdir(), 'security-start-'))
    try {
      cpSync(FIXTURE_PROJECT, project, { recursive: true })
      writeFileSync(join(project, 'emulator.config.json'), JSON.stringify({ security: { words: { spam: 12345 } } }))
      await expect(spawnEmulator({ project })).rejects.toThrow(/emulator\.config\.json: security\.words\["spam"\] is 12345: a label must be one of/)
    } finally {
      rmSync(project, { recursive: true, force: true })
    }
  })
})
