/** `login` end to end: the bundle in the emulator, called as a mini-program user through the control API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnEmulator, type RunningEmulator } from './support/emulator'

let emulator: RunningEmulator

beforeAll(async () => {
  emulator = await spawnEmulator()
})
afterAll(() => emulator.stop())

const usersDoc = async (openid: string) =>
  (await emulator.request('GET', '/_emulator/db/users?limit=1000')).body.data.find((u: { _id: string }) => u._id === openid)

describe('login', () => {
  it('replies the caller identity from the context and records the first login', async () => {
    const reply = await emulator.call('login', {}, { openid: 'oLoginA', unionid: 'uLoginA' })
    expect(reply.status).toBe(200)
    expect(reply.body.result).toEqual({ ok: true, openid: 'oLoginA', appid: 'wx8e4f0c1d2a3b5c67', unionid: 'uLoginA' })
    const user = await usersDoc('oLoginA')
    expect(user).toMatchObject({ _id: 'oLoginA', unionid: 'uLoginA', logins: 1 })
    // Server dates, typed as dates (relaxed EJSON), the same instant on the first login.
    expect(user.firstSeenAt).toEqual({ $date: expect.any(String) })
    expect(user.firstSeenAt).toEqual(user.lastLoginAt)
  })

  it('leaves unionid out when the platform gives none, and counts later logins', async () => {
    const first = await emulator.result('login', {}, { openid: 'oLoginB' })
    expect(first).toEqual({ ok: true, openid: 'oLoginB', appid: 'wx8e4f0c1d2a3b5c67' })
    await new Promise((resolve) => setTimeout(resolve, 5))
    await emulator.result('login', {}, { openid: 'oLoginB' })
    const user = await usersDoc('oLoginB')
    expect(user.logins).toBe(2)
    expect(user.unionid).toBeUndefined()
    expect(Date.parse(user.lastLoginAt.$date)).toBeGreaterThan(Date.parse(user.firstSeenAt.$date))
  })

  it('ignores any identity claimed in the data', async () => {
    const reply = await emulator.result('login', { openid: 'oSomeoneElse', userInfo: { openId: 'oSomeoneElse' } }, { openid: 'oLoginC' })
    expect(reply.openid).toBe('oLoginC')
    expect(await usersDoc('oSomeoneElse')).toBeUndefined()
  })

  it('creates one user when first logins race', async () => {
    const replies = await Promise.all(Array.from({ length: 8 }, () => emulator.result('login', {}, { openid: 'oLoginRace' })))
    expect(replies.every((r) => r.ok)).toBe(true)
    expect((await usersDoc('oLoginRace')).logins).toBe(8)
  })

  it('refuses a server-side call, which has no user, and writes nothing', async () => {
    const before = (await emulator.request('GET', '/_emulator/db/users?limit=1000')).body.data.length
    expect(await emulator.result('login', {})).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect((await emulator.request('GET', '/_emulator/db/users?limit=1000')).body.data.length).toBe(before)
  })
})
