/**
 * The popup's refusals, as wx.requestSubscribeMessage gives them: 20001 for
 * an empty, blank or unknown template id, 10001 for no template at all, each
 * HTTP 400 `{ errCode, errMsg }` (the fail object the mini-program gets) and
 * each writing nothing: no user met, no quota, no funnel count, no event.
 */
import { describe, expect, it } from 'vitest'
import { MiniProgram } from '../../../test/support/miniprogram'
import { ORDER, newUser, useWechat } from './harness'

const { emulator, subscribe } = useWechat()

/** Everything a popup writes: the app's users, the quotas, today's funnel, the events pushed. */
const written = async () => ({
  users: (await emulator.request('GET', '/_emulator/wechat/users')).body.data,
  grants: (await emulator.request('GET', '/_emulator/wechat/grants')).body.data,
  funnel: (await emulator.request('GET', '/_emulator/wechat/funnel?days=1')).body.data,
  events: (await emulator.request('GET', '/_emulator/wechat/events')).body.data,
})

/** WeChat's words, naming the id refused in quotes, so that an empty or blank one shows. */
const unknown = (id: string) => `requestSubscribeMessage:fail No template data return, verify the template id exist: ${JSON.stringify(id)}`
const EMPTY = "requestSubscribeMessage:fail TmplIds can't be empty"

describe('a popup naming no template WeChat knows', () => {
  it.each([
    ['an empty id', { '': 'accept' }, { errCode: 20001, errMsg: unknown('') }],
    ['a blank id', { '   ': 'accept' }, { errCode: 20001, errMsg: unknown('   ') }],
    ['an unknown id', { NOPE: 'accept' }, { errCode: 20001, errMsg: unknown('NOPE') }],
    ['an empty id after a known one', { [ORDER]: 'accept', '': 'accept' }, { errCode: 20001, errMsg: unknown('') }],
    ['no template at all', {}, { errCode: 10001, errMsg: EMPTY }],
  ])('answers %s with HTTP 400 and the fail object, and writes nothing', async (_name, choices, fail) => {
    const before = await written()
    expect(await subscribe(newUser(), choices as Record<string, string>)).toEqual({ status: 400, body: fail })
    expect(await written()).toEqual(before)
  })

  it('answers 10001 when choices is left out or null, as a call without tmplIds', async () => {
    for (const body of [{ openid: newUser() }, { openid: newUser(), choices: null }]) {
      const reply = await emulator.request('POST', '/_emulator/wechat/subscribe', body)
      expect(reply).toEqual({ status: 400, body: { errCode: 10001, errMsg: EMPTY } })
    }
  })
})

describe("the mini-program's view", () => {
  /** The fail object wx.requestSubscribeMessage hands the page for these tmplIds, asked from a tap. */
  async function failOf(tmplIds: string[]): Promise<unknown> {
    const phone = new MiniProgram(emulator, newUser())
    let failed: unknown
    await phone.tapping(() => {
      void phone.wxApi.requestSubscribeMessage({ tmplIds, fail: (error) => (failed = error) })
    })
    await phone.idle()
    return failed
  }

  it('gets errCode 20001 for an empty, a blank or an unknown id', async () => {
    for (const id of ['', '   ', 'NOPE']) expect(await failOf([id])).toEqual({ errCode: 20001, errMsg: unknown(id) })
  })

  it('gets errCode 10001 for no id at all', async () => {
    expect(await failOf([])).toEqual({ errCode: 10001, errMsg: EMPTY })
  })
})
