import { describe, expect, it } from 'vitest'
import type { Database } from '../cloud'
import { Refusal } from '../replies'
import { verifySession } from '../session/token'
import { NoAnswer, type WechatReply, type WechatRequest } from '../wechat/https'
import { codeOf, loginWithCode, type CodeLoginConfig } from './code-login'

const SECRET = 'the-app-secret-42'
const CONFIG: CodeLoginConfig = { appid: 'wxapp', secret: SECRET, sessionKey: 'session-key', lifetimeMs: 60_000, timeoutMs: 3000 }

/** Just enough of a database for recordLogin: every update finds the user. */
function fakeDb(writes: unknown[]): Database {
  const doc = () => ({ update: async (options: unknown) => (writes.push(options), { stats: { updated: 1 } }) })
  return { command: { inc: (n: number) => ({ inc: n }) }, serverDate: () => 'now', collection: () => ({ doc }) } as unknown as Database
}

async function attempt(reply: WechatReply | Error, config = CONFIG) {
  const asked: WechatRequest[] = []
  const writes: unknown[] = []
  const exchange = async (request: WechatRequest) => {
    asked.push(request)
    if (reply instanceof Error) throw reply
    return reply
  }
  try {
    return { reply: await loginWithCode(fakeDb(writes), 'the-code', config, exchange), asked, writes }
  } catch (error) {
    if (error instanceof Refusal) return { reply: error.reply, asked, writes }
    throw error
  }
}

describe('a code login', () => {
  it("exchanges the code under the AppID and secret, records the user, and signs a session for the code's openid", async () => {
    const { reply, asked, writes } = await attempt({ openid: 'oCode', session_key: 'sk==', unionid: 'uCode' })
    expect(asked).toEqual([
      { method: 'GET', path: '/sns/jscode2session', query: { appid: 'wxapp', secret: SECRET, js_code: 'the-code', grant_type: 'authorization_code' }, timeoutMs: 3000 },
    ])
    expect(reply).toMatchObject({ ok: true, openid: 'oCode', unionid: 'uCode', session: expect.any(String) })
    expect(JSON.stringify(reply)).not.toMatch(/sk==|session_key/)
    const verdict = verifySession((reply as { session: string }).session, 'session-key', Date.now())
    expect(verdict).toMatchObject({ ok: true, openid: 'oCode' })
    expect(writes).toHaveLength(1)
  })

  it.each([
    [40029, 'INVALID_CODE'],
    [40163, 'INVALID_CODE'],
    [45011, 'RATE_LIMITED'],
    [40226, 'LOGIN_BLOCKED'],
    [40125, 'NOT_CONFIGURED'],
    [-1, 'RETRYABLE'],
  ])('answers WeChat errcode %i as %s, writes nothing and never shows the secret', async (errcode, code) => {
    const { reply, writes } = await attempt({ errcode, errmsg: `refused, secret ${SECRET}` })
    expect(reply).toMatchObject({ ok: false, code, errcode })
    expect(writes).toEqual([])
    expect(JSON.stringify(reply)).not.toContain(SECRET)
  })

  it('says when to retry after 45011', async () => {
    expect((await attempt({ errcode: 45011, errmsg: 'too frequent' })).reply).toMatchObject({ retryAfterMs: 60_000 })
  })

  it('is retryable when WeChat does not answer', async () => {
    const { reply, writes } = await attempt(new NoAnswer('GET /sns/jscode2session?appid=wxapp&secret=…: no answer within 3000 ms'))
    expect(reply).toMatchObject({ ok: false, code: 'RETRYABLE' })
    expect(writes).toEqual([])
  })

  it('is not configured without the AppSecret or the session key, and does not spend the code', async () => {
    for (const config of [{ ...CONFIG, secret: undefined }, { ...CONFIG, sessionKey: undefined }]) {
      const { reply, asked } = await attempt({ openid: 'o' }, config)
      expect(reply).toMatchObject({ ok: false, code: 'NOT_CONFIGURED' })
      expect(asked).toEqual([])
    }
  })

  it('takes a code only as a string', () => {
    expect(codeOf({})).toBeUndefined()
    expect(codeOf({ code: 'abc' })).toBe('abc')
    for (const code of [1, '', 'a b', 'x'.repeat(300), null]) expect(() => codeOf({ code })).toThrow(Refusal)
  })
})
