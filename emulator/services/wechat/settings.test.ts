/**
 * The settings page wx.openSetting opens lists only the templates a user
 * kept ("总是保持以上选择"): a change to any other id, a name an object
 * inherits (constructor, toString) too, is HTTP 400 and writes nothing.
 */
import { describe, expect, it } from 'vitest'
import { ORDER, newUser, useWechat } from './harness'

const { emulator, subscribe } = useWechat()

const settingsOf = async (openid: string) => (await emulator.request('GET', `/_emulator/wechat/settings?openid=${openid}`)).body

describe('changing a kept choice', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('refuses %s, which no user kept, and writes nothing', async (id) => {
    const openid = newUser()
    await subscribe(openid, { [ORDER]: 'accept' }, true)
    const before = await settingsOf(openid)
    const reply = await emulator.request('PUT', '/_emulator/wechat/settings', { openid, itemSettings: { [id]: 'reject' } })
    expect(reply.status).toBe(400)
    expect(reply.body.error).toMatch(/is not kept/)
    expect(await settingsOf(openid)).toEqual(before)
  })

  it('refuses itemSettings that is not a map, and writes nothing', async () => {
    const openid = newUser()
    await subscribe(openid, { [ORDER]: 'accept' }, true)
    const before = await settingsOf(openid)
    for (const itemSettings of [null, [], 'accept', 1]) {
      const reply = await emulator.request('PUT', '/_emulator/wechat/settings', { openid, mainSwitch: false, itemSettings })
      expect(reply.status).toBe(400)
      expect(reply.body.error).toMatch(/"itemSettings" must map template ids/)
    }
    expect(await settingsOf(openid)).toEqual(before)
  })
})
