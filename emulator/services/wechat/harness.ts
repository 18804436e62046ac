/**
 * The WeChat tests' driver: an emulator of the fixture project, whose
 * templates and users the tests answer popups for, and whose cloud calls a
 * bundled function (`probe`) makes with the real SDK.
 */
import { beforeEach } from 'vitest'
import { useEmulator } from '../../../test/support/emulator'

export const ORDER = 'ONE_TIME_ORDER'
export const CLASS = 'LONG_TERM_CLASS'
export const orderData = { thing1: { value: '保温杯' }, character_string2: { value: 'SO-1' }, enum3: { value: '已发货' } }
export const classData = { thing1: { value: '初二数学' }, time2: { value: '19:00' } }

let userSeq = 0
export const newUser = () => `oWx${Date.now().toString(36)}${userSeq++}`

export function useWechat() {
  const emulator = useEmulator()
  beforeEach(async () => {
    await emulator.request('DELETE', '/_emulator/wechat/faults')
  })
  return {
    emulator,
    subscribe: (openid: string, choices: Record<string, string>, keep?: boolean) =>
      emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices, ...(keep === undefined ? {} : { keep }) }),
    send: async (data: Record<string, unknown>): Promise<any> => emulator.result('probe', { op: 'openapi', api: 'subscribeMessage.send', data }),
    quota: async (openid: string, templateId: string) => (await emulator.request('GET', `/_emulator/wechat/quota?openid=${openid}&templateId=${templateId}`)).body,
    messages: async (touser: string) => (await emulator.request('GET', `/_emulator/wechat/messages?touser=${touser}`)).body.data,
  }
}
