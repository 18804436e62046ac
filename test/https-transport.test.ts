/**
 * The product over WeChat's HTTPS API instead of cloud call: every function
 * given WECHAT_TRANSPORT=https and the emulator's AppSecret, the emulator
 * serving api.weixin.qq.com to their instances, and its oracle judging each
 * send. One access token for the whole environment: fetched once however
 * many instances start, fetched once again when WeChat ends it (mid-run
 * too), and the secret said nowhere.
 */
import { describe, expect, it } from 'vitest'
import { runAdmin } from '../scripts/admin'
import { spawnEmulator, until } from './support/emulator'
import { APPOINTMENT, EVENT, ORDER, Product, exampleData, newOpenid, useProduct } from './support/product'

const SECRET = 'https-e2e-secret-5b0c9e'
const FUNCTIONS = ['login', 'subscribe-record', 'send', 'wechat-events']
const httpsEnv = (secret: string) => FUNCTIONS.flatMap((fn) => ['--function-env', `${fn}:WECHAT_TRANSPORT=https`, '--function-env', `${fn}:WECHAT_APP_SECRET=${secret}`])

const { emulator, product } = useProduct(['--no-timers', '--max-instances', '20', '--app-secret', SECRET, ...httpsEnv(SECRET)])

/** Every reply the functions gave in this file, searched for the secret at the end. */
const replies: unknown[] = []
const send = async (request: Record<string, unknown>) => {
  const reply = await product.send(request)
  replies.push(reply)
  return reply
}

const wechatStats = async (): Promise<{ tokenFetches: { stable_token: number; token: number }; sends: { https: number; cloud: number } }> =>
  (await emulator.request('GET', '/_emulator/stats')).body.wechat

/** Users who each accepted the one-time templates in one popup, recorded through subscribe-record. */
async function grantedUsers(count: number, on: Product = product): Promise<string[]> {
  const users = Array.from({ length: count }, () => newOpenid('oH'))
  const choices = { [ORDER]: 'accept', [APPOINTMENT]: 'accept', [EVENT]: 'accept' } as const
  for (let i = 0; i < users.length; i += 10) await Promise.all(users.slice(i, i + 10).map((openid) => on.subscribe(openid, choices)))
  return users
}

/** 200 users, each with one send of ORDER, APPOINTMENT and EVENT: the tests take their own from it. */
let pool: string[] = []
let everyone: string[] = []
const take = (count: number) => pool.splice(0, count)

const statuses = async (messageIds: string[]) => {
  const wanted = new Set(messageIds)
  const counts: Record<string, number> = {}
  for (const message of await product.collection('messages')) if (wanted.has(message._id)) counts[message.status] = (counts[message.status] ?? 0) + 1
  return counts
}

describe('the HTTPS transport', () => {
  it('20 instances cold-starting at once fetch one token, and 200 concurrent sends all go out over HTTPS', async () => {
    everyone = await grantedUsers(200)
    pool = [...everyone]
    const users = [...everyone]
    expect((await wechatStats()).tokenFetches.stable_token).toBe(0)
    const sent = await Promise.all(users.map((touser) => send({ touser, templateId: ORDER, data: exampleData(ORDER) })))
    expect(sent.filter((reply) => reply.ok && reply.status === 'sent')).toHaveLength(200)
    expect(await product.delivered()).toHaveLength(200)
    const stats = await wechatStats()
    expect(stats.sends).toEqual({ https: 200, cloud: 0 })
    expect(stats.tokenFetches).toEqual({ stable_token: 1, token: 0 })
    // The ledger and WeChat agree, as under cloud call.
    expect(await product.ledger(users[0]!, ORDER)).toEqual(await product.oracleQuota(users[0]!, ORDER))
  }, 90_000)

  it('accepts recorded from the popup, then 30 concurrent sends: 30 messages, no new token', async () => {
    const users = take(30)
    expect(await product.grant(users[0]!, EVENT)).toMatchObject({ available: 1, status: 'accept' })
    const before = await wechatStats()
    const sent = await Promise.all(users.map((touser) => send({ touser, templateId: EVENT, data: exampleData(EVENT) })))
    expect(sent.filter((reply) => reply.ok && reply.status === 'sent')).toHaveLength(30)
    for (const touser of users) expect(await product.delivered(touser)).toHaveLength(2)
    expect(await product.ledger(users[0]!, EVENT)).toEqual(await product.oracleQuota(users[0]!, EVENT))
    const after = await wechatStats()
    expect(after.sends.cloud).toBe(0)
    expect(after.tokenFetches.stable_token).toBe(before.tokenFetches.stable_token)
  })

  it('after WeChat ends the token: the next 10 sends all deliver, with exactly one more fetch', async () => {
    const users = take(10)
    const before = await wechatStats()
    expect((await emulator.request('POST', '/_emulator/wechat/tokens/expire')).status).toBe(200)
    const sent = await Promise.all(users.map((touser) => send({ touser, templateId: EVENT, data: exampleData(EVENT) })))
    expect(sent.map((reply) => reply.status)).toEqual(Array(10).fill('sent'))
    for (const touser of users) expect(await product.delivered(touser)).toHaveLength(2)
    expect((await wechatStats()).tokenFetches.stable_token).toBe(before.tokenFetches.stable_token + 1)
  })

  it('a token ended mid-dispatch costs one refetch, and no message ends failed', async () => {
    const sendAt = new Date(Date.now() + 3600_000).toISOString()
    const queued = await Promise.all(everyone.map((touser) => send({ touser, templateId: APPOINTMENT, data: exampleData(APPOINTMENT), sendAt })))
    const ids = queued.map((reply) => reply.messageId as string)
    expect(queued.every((reply) => reply.status === 'scheduled')).toBe(true)
    // Due now, rather than waiting an hour (the emulator's clock is the real one here).
    const due = await emulator.request('POST', '/admin', {
      envName: 'local',
      action: 'database.modifyDocument',
      collectionName: 'messages',
      query: JSON.stringify({ _id: { $in: ids } }),
      data: JSON.stringify({ $set: { dueAt: { $date: new Date(Date.now() - 1000).toISOString() } } }),
      multi: true,
      merge: true,
    })
    expect(due.body.data?.updated).toBe(200)
    const before = await wechatStats()
    const tick = product.tick(Date.now())
    // End the token once the run has sent some, before it is done.
    const sentBefore = await until(() => statuses(ids), (counts) => (counts.sent ?? 0) >= 10, 'the run under way', 30_000)
    expect((await emulator.request('POST', '/_emulator/wechat/tokens/expire')).status).toBe(200)
    const report = await tick
    expect(sentBefore.sent).toBeLessThan(200)
    expect(report).toMatchObject({ claimed: 200, sent: 200, failed: 0, unknown: 0 })
    expect(await statuses(ids)).toEqual({ sent: 200 })
    expect((await wechatStats()).tokenFetches.stable_token).toBe(before.tokenFetches.stable_token + 1)
  }, 60_000)

  it('npm run admin -- token status and token refresh --force, the secret staying in the function', async () => {
    const lines: string[] = []
    const admin = (...args: string[]) =>
      runAdmin(['--emulator', emulator.url, ...args], { out: (line) => lines.push(line), progress: () => undefined, root: '.', sleep: async () => undefined }, {})
    expect(await admin('token', 'status')).toBe(0)
    expect(lines.join('\n')).toMatch(/transport https\ntoken +[0-9a-f]{8} \(a digest\), fetched .*\nexpires .*\ntoday +\d+ fetches/)
    lines.length = 0
    expect(await admin('token', 'refresh')).toBe(2)
    expect(lines[0]).toMatch(/needs --force/)
    lines.length = 0
    const before = await wechatStats()
    expect(await admin('token', 'refresh', '--force')).toBe(0)
    expect(lines[0]).toBe('token refreshed in force mode: the previous token no longer works')
    expect(lines.join('\n')).toMatch(/forced 1 of 20/)
    lines.length = 0
    // WeChat refreshes at most once in 30 s: refused here, saying from when.
    expect(await admin('token', 'refresh', '--force')).toBe(1)
    expect(lines[0]).toMatch(/^refused \(RETRYABLE\): .*30 s.*; possible again from \d{4}-/)
    expect((await wechatStats()).tokenFetches.stable_token).toBe(before.tokenFetches.stable_token + 1)
    // The forced token serves every instance at once: sends go out with no further fetch.
    const [touser] = take(1)
    expect(await send({ touser, templateId: EVENT, data: exampleData(EVENT) })).toMatchObject({ ok: true, status: 'sent' })
    expect((await wechatStats()).tokenFetches.stable_token).toBe(before.tokenFetches.stable_token + 1)
    replies.push(lines)
  })

  it('says the secret nowhere: no reply, log line, record or output', async () => {
    const logs = await emulator.request('GET', '/_emulator/logs')
    expect(logs.status).toBe(200)
    const tokens = await product.collection('wechat_tokens')
    expect(tokens).toHaveLength(1)
    const said = JSON.stringify([replies, logs.body, tokens, emulator.output])
    expect(said).not.toContain(SECRET)
  })

  it('with a wrong secret: nothing is sent, the grant is given back, and the secret is in no reply or log', async () => {
    const wrong = 'wrong-secret-91d3aa'
    const own = await spawnEmulator({ args: ['--no-timers', '--app-secret', SECRET, ...httpsEnv(wrong)] })
    try {
      const other = new Product(own)
      const [touser] = await grantedUsers(1, other)
      const reply = await other.send({ touser, templateId: ORDER, data: exampleData(ORDER) })
      expect(reply).toMatchObject({ ok: false, code: 'RETRYABLE', errcode: 40125, messageId: expect.any(String) })
      expect(await other.grant(touser!, ORDER)).toMatchObject({ available: 1, uncertain: 0 })
      expect(await other.delivered(touser)).toEqual([])
      const logs = await own.request('GET', '/_emulator/logs')
      const said = JSON.stringify([reply, logs.body, await other.collection('messages'), await other.collection('wechat_tokens'), own.output])
      expect(said).not.toContain(wrong)
    } finally {
      await own.stop()
    }
  })
})
