/**
 * What happens to a function after its reply, as on the platform: an async
 * handler's instance is frozen when its promise settles (what it left
 * running stops, resumes with the same instance's next invocation, and is
 * lost when the instance is recycled), and the function's log and the stats
 * say so; a callback handler replies when the event loop is empty, or at
 * `callback` when told not to wait. Also the platform's time zone (UTC
 * whatever the host's, unless the function's TZ says otherwise) and a
 * `cloud.init` naming an env id the emulator does not serve. The host of
 * every emulator here is in UTC+8.
 */
import { utimesSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, spawnEmulator, until, type RunningEmulator } from '../../../test/support/emulator'

const PROJECT = join(ROOT, 'test/fixtures/runtime-project')
/** A host in Beijing, where most users of WeChat's cloud develop. */
const HOST_IN_UTC8 = { TZ: 'Asia/Shanghai' }
/** What the Done-when waits for before it says that frozen work did not run. */
const FROZEN_FOR_MS = 1500

let emulator: RunningEmulator

beforeAll(async () => {
  // One instance per function: the next invocation thaws the very instance that froze.
  emulator = await spawnEmulator({ project: PROJECT, args: ['--no-timers', '--max-instances', '1'], env: HOST_IN_UTC8 })
})
afterAll(() => emulator.stop())

const marks = async (): Promise<string[]> => ((await emulator.request('GET', '/_emulator/db/left_behind?limit=1000')).body?.data ?? []).map((doc: { mark: string }) => doc.mark)
const frozenCounts = async (): Promise<Record<string, number>> => (await emulator.request('GET', '/_emulator/stats')).body.frozenAfterReturn
const logOf = async (name: string, requestId: string): Promise<Array<{ level: string; message: string }>> =>
  (await emulator.request('GET', `/_emulator/logs?function=${name}&requestId=${requestId}`)).body.data
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('after an async handler replies', () => {
  it('work left in a timer is frozen: it has not run 1.5 s later, the log says so, and the stats count it', async () => {
    const reply = await emulator.call('leaver', { mark: 'timer-1', delayMs: 100 })
    expect(reply.body.result).toEqual({ left: 'timer-1' })
    await pause(FROZEN_FOR_MS)
    expect(await marks()).not.toContain('timer-1')
    const lines = await logOf('leaver', String(reply.body.requestID))
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringMatching(/^frozen after return: 1 timer still pending/) })])
    expect((await frozenCounts()).leaver).toBe(1)
  })

  it('thawed by the same instance’s next invocation, the frozen work runs then', async () => {
    await emulator.call('leaver', { mark: 'timer-2', awaitIt: true })
    await until(marks, (all) => all.includes('timer-1') && all.includes('timer-2'), 'the frozen write, once thawed')
  })

  it('work one invocation left is reported with it, not with the next one the instance runs', async () => {
    const before = (await frozenCounts()).leaver
    const leaving = await emulator.call('leaver', { mark: 'timer-late', delayMs: 3000 })
    // The same instance (one at a time) runs the next call while the first one's timer is still pending.
    const clean = await emulator.call('leaver', { mark: 'clean', awaitIt: true })
    expect((await logOf('leaver', String(leaving.body.requestID))).map((line) => line.message)).toEqual([expect.stringMatching(/^frozen after return: 1 timer still pending/)])
    expect(await logOf('leaver', String(clean.body.requestID))).toEqual([])
    expect((await frozenCounts()).leaver).toBe(before + 1)
  })

  it('an invocation that awaits its work leaves nothing, though its connection is kept alive', async () => {
    const before = (await frozenCounts()).leaver
    const reply = await emulator.call('leaver', { mark: 'awaited', awaitIt: true })
    expect(await marks()).toContain('awaited')
    expect(await logOf('leaver', String(reply.body.requestID))).toEqual([])
    expect((await frozenCounts()).leaver).toBe(before)
  })

  it('a request still on its way when the reply goes is named as a request', async () => {
    // The database answers slowly, so the write is surely in flight at the reply.
    expect((await emulator.request('PUT', '/_emulator/database/faults', { latencyMs: 400 })).status).toBe(200)
    try {
      const reply = await emulator.call('leaver', { mark: 'request-1' })
      const [line] = await logOf('leaver', String(reply.body.requestID))
      expect(line?.message).toMatch(/^frozen after return: .*1 request/)
    } finally {
      await emulator.request('DELETE', '/_emulator/database/faults')
    }
  })

  it('work frozen in an instance that is then recycled is lost', async () => {
    const reply = await emulator.call('leaver', { mark: 'lost-1', delayMs: 100 })
    expect(reply.status).toBe(200)
    // A new bundle: the next call retires the frozen instance, as a new code version does on the platform.
    const bundle = join(PROJECT, 'cloudfunctions/leaver/index.js')
    utimesSync(bundle, new Date(), new Date(Date.now() + 1000))
    await emulator.call('leaver', { mark: 'after-recycle', awaitIt: true })
    await pause(FROZEN_FOR_MS)
    const all = await marks()
    expect(all).toContain('after-recycle')
    expect(all).not.toContain('lost-1')
  })
})

describe('a callback handler', () => {
  it('replies once the event loop is empty: the write it left is done by then, and nothing is frozen', async () => {
    const before = (await frozenCounts()).callbacker ?? 0
    const reply = await emulator.call('callbacker', { mark: 'waited' })
    expect(reply.status).toBe(200)
    expect(await marks()).toContain('waited')
    expect((await frozenCounts()).callbacker ?? 0).toBe(before)
  })

  it('replies at callback when callbackWaitsForEmptyEventLoop is false, and what it left is frozen', async () => {
    const reply = await emulator.call('callbacker', { mark: 'early', early: true })
    expect(reply.status).toBe(200)
    await pause(FROZEN_FOR_MS)
    expect(await marks()).not.toContain('early')
    expect((await logOf('callbacker', String(reply.body.requestID)))[0]?.message).toMatch(/^frozen after return: 1 timer/)
  })
})

describe('the time zone', () => {
  it('is UTC in a function whatever the host’s zone', async () => {
    expect(await emulator.result('zone')).toEqual({ offset: 0, tz: 'UTC', resolved: 'UTC', localEightAsUtc: '2026-12-03T08:00:00.000Z', hoursOfEpoch: 0 })
  })

  it('is the function’s own TZ when its environment sets it', async () => {
    const own = await spawnEmulator({ project: PROJECT, args: ['--no-timers', '--function-env', 'zone:TZ=Asia/Shanghai'], env: { TZ: 'UTC' } })
    try {
      expect(await own.result('zone')).toMatchObject({ offset: -480, tz: 'Asia/Shanghai', localEightAsUtc: '2026-12-03T00:00:00.000Z', hoursOfEpoch: 8 })
    } finally {
      await own.stop()
    }
  })

  it('moves when the code sets process.env.TZ, as on the platform', async () => {
    expect(await emulator.result('zone', { setTz: 'Asia/Shanghai' })).toMatchObject({ offset: -480, resolved: 'Asia/Shanghai' })
  })
})

describe('cloud.init with an env id the emulator does not serve', () => {
  it("fails as the platform does, and the function's log names the id and the flag that serves it", async () => {
    const reply = await emulator.call('otherenv')
    expect(reply.body.result).toMatchObject({ ok: false })
    const lines = await logOf('otherenv', String(reply.body.requestID))
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', message: expect.stringContaining('cloud.init asked for env "someone-elses-env-1a2b3c"') }),
    ])
    expect(lines[0]!.message).toContain('--env someone-elses-env-1a2b3c')
    expect(lines[0]!.message).toContain('"runtime-env"')
  })
})
