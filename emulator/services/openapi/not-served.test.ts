/**
 * A cloud call the function is permitted but the emulator does not serve:
 * what the function sees through wx-server-sdk names the call and says it is
 * not emulated, in the error it catches, in what it logs of it, and in the
 * invocation's record when it lets the error escape.
 */
import { describe, expect, it } from 'vitest'
import { useEmulator } from '../../../test/support/emulator'

const emulator = useEmulator()

describe('an openapi the emulator does not serve', () => {
  it('fails naming the call and saying it is not emulated, in the error and the log', async () => {
    // checker's config.json permits security.imgSecCheck, which the emulator has no handler for.
    const reply = await emulator.call('checker', { api: 'security.imgSecCheck', data: {} })
    expect(reply.status).toBe(200)
    const { error } = (reply.body.result as { error: { errCode: number; errMsg: string } })
    expect(error.errCode).toBe(-501001)
    expect(error.errMsg).toMatch(/^openapi\.security\.imgSecCheck:fail .*openapi\.security\.imgSecCheck is not served by the local emulator: this cloud call is not emulated \(emulated: .*security\.msgSecCheck.*\)/)
    const logs = (await emulator.request('GET', `/_emulator/logs?requestId=${reply.body.requestID}`)).body.data
    expect(logs).toEqual([expect.objectContaining({ function: 'checker', level: 'error', message: expect.stringMatching(/security\.imgSecCheck .*not emulated/) })])
  })

  it('names the call in the failed invocation when the function lets the error escape', async () => {
    const reply = await emulator.call('checker', { api: 'security.imgSecCheck', data: {}, uncaught: true })
    expect(reply.status).toBe(500)
    expect(reply.body.errMsg).toMatch(/openapi\.security\.imgSecCheck is not served by the local emulator: this cloud call is not emulated/)
    const invocations = (await emulator.request('GET', '/_emulator/invocations')).body.data as Array<{ requestId: string; ok: boolean; reply: string }>
    const failed = invocations.find((entry) => entry.requestId === reply.body.requestID)
    expect(failed).toMatchObject({ ok: false, reply: expect.stringMatching(/security\.imgSecCheck is not served .*not emulated/) })
  })
})
