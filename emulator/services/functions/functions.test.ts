/**
 * The functions runtime: contexts as the platform sets them, instance
 * isolation and reuse, timeouts, logs, timers and calls between functions
 * (the command line's settings for them: options.test.ts).
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXTURE_PROJECT, expectTimedOut, spawnEmulator, type RunningEmulator } from '../../../test/support/emulator'

let emulator: RunningEmulator

beforeAll(async () => {
  emulator = await spawnEmulator({ project: FIXTURE_PROJECT })
})
afterAll(() => emulator.stop())

describe('getWXContext', () => {
  it('a client call carries the user, the app and SOURCE wx_client, and the event gains userInfo', async () => {
    const reply = await emulator.call('echo', { hello: 1 }, { openid: 'oAlice', unionid: 'uAlice' })
    expect(reply.status).toBe(200)
    expect(reply.body.errMsg).toBe('cloud.callFunction:ok')
    expect(reply.body.requestID).toEqual(expect.any(String))
    const { context, event } = reply.body.result as any
    expect(context).toMatchObject({ OPENID: 'oAlice', UNIONID: 'uAlice', APPID: 'wxfixture00000001', SOURCE: 'wx_client', ENV: 'probe-env' })
    expect(event).toEqual({ hello: 1, userInfo: { appId: 'wxfixture00000001', openId: 'oAlice' } })
  })

  it('a server call has no OPENID and no userInfo', async () => {
    const { context, event } = await emulator.result('echo', { hello: 2 })
    expect(context.OPENID).toBeUndefined()
    expect(context.SOURCE).toBe('scf')
    expect(event).toEqual({ hello: 2 })
  })

  it('a timer run has SOURCE wx_trigger and the platform event', async () => {
    const reply = await emulator.trigger('echo', '2026-03-04T05:06:00.000Z')
    expect(reply.status).toBe(200)
    const { context, event } = reply.body.result as any
    expect(context.OPENID).toBeUndefined()
    expect(context.SOURCE).toBe('wx_trigger')
    expect(event).toEqual({ Type: 'timer', TriggerName: 'everyMinute', Time: '2026-03-04T05:06:00Z', Message: '' })
  })

  it('a function without a timer cannot be triggered', async () => {
    expect((await emulator.trigger('slow')).status).toBe(400)
  })

  it('concurrent calls as different users never see each other', async () => {
    const users = Array.from({ length: 24 }, (_, i) => `oUser${i}`)
    const replies = await Promise.all(users.map((openid) => emulator.result('echo', { openid }, { openid })))
    replies.forEach((reply, i) => {
      expect(reply.context.OPENID).toBe(users[i])
      expect(reply.event.openid).toBe(users[i])
    })
    // And a server call right after a user's call on a warm instance inherits nobody.
    expect((await emulator.result('echo', {})).context.OPENID).toBeUndefined()
  })
})

describe('a call with a source', () => {
  it('keeps the user but adds no userInfo for a source that is not a client', async () => {
    const { context, event } = await emulator.result('echo', { a: 1 }, { openid: 'oCarol' }, { source: 'wx_http' })
    expect(context).toMatchObject({ OPENID: 'oCarol', APPID: 'wxfixture00000001', SOURCE: 'wx_http' })
    expect(event).toEqual({ a: 1 })
  })

  it.each(['wx_client', 'wx_devtools', 'wx_localdebug', 'wx_http,wx_client'])('adds userInfo for a client source: %s', async (source) => {
    const { context, event } = await emulator.result('echo', { a: 2 }, { openid: 'oCarol' }, { source })
    expect(context).toMatchObject({ OPENID: 'oCarol', SOURCE: source })
    expect(event).toEqual({ a: 2, userInfo: { appId: 'wxfixture00000001', openId: 'oCarol' } })
  })

  it('replaces scf for a call without a user', async () => {
    const { context, event } = await emulator.result('echo', { a: 3 }, undefined, { source: 'wx_http' })
    expect(context.OPENID).toBeUndefined()
    expect(context.SOURCE).toBe('wx_http')
    expect(event).toEqual({ a: 3 })
  })

  it('is chained by a call the function makes', async () => {
    const reply = await emulator.result('probe', { op: 'callFunction', name: 'echo', data: {} }, { openid: 'oCarol' }, { source: 'wx_http' })
    expect(reply.ok.result.context).toMatchObject({ OPENID: 'oCarol', SOURCE: 'wx_http,scf' })
  })

  it.each([[''], ['WX_CLIENT'], ['wx-client'], ['wx_client,'], [',scf'], ['wx client'], [5], [['wx_client']], [null]])(
    'is refused when it is not a SOURCE: %j',
    async (source) => {
      const reply = await emulator.request('POST', '/_emulator/functions/echo/call', { data: {}, user: { openid: 'oCarol' }, source })
      expect(reply.status).toBe(400)
      expect(reply.body.error).toMatch(/"source" must be a SOURCE/)
    },
  )
})

describe('instances', () => {
  it('reuses a warm instance and starts another when all are busy', async () => {
    const first = await emulator.result('slow', { ms: 0 })
    const second = await emulator.result('slow', { ms: 0 })
    expect(second.invocations).toBe(first.invocations + 1)
    const parallel = await Promise.all([1, 2, 3].map(() => emulator.result('slow', { ms: 200 })))
    const counts = parallel.map((r) => r.invocations).sort()
    expect(counts.filter((c) => c === 1).length).toBeGreaterThanOrEqual(2)
  })

  it('ends an invocation that overruns the function timeout', async () => {
    const started = Date.now()
    expectTimedOut(await emulator.call('slow', { ms: 5_000 }), 1)
    expect(Date.now() - started).toBeLessThan(3_000)
    expect((await emulator.call('slow', { ms: 0 })).status).toBe(200)
  })

  it('reports a function that throws as a failed call with the reason', async () => {
    const reply = await emulator.call('probe', { op: 'throw', message: 'bad thing' })
    expect(reply.status).toBe(500)
    expect(reply.body.errCode).toBe(-504002)
    expect(reply.body.errMsg).toMatch(/bad thing/)
  })

  it('answers 404 for a function that does not exist', async () => {
    const reply = await emulator.call('nope', {})
    expect(reply.status).toBe(404)
    expect(reply.body.errCode).toBe(-501000)
  })

  it('captures console output per invocation with its request id', async () => {
    const [first, second] = await Promise.all([
      emulator.call('probe', { op: 'log', text: 'one' }),
      emulator.call('probe', { op: 'log', text: 'two' }),
    ])
    for (const [reply, text] of [[first!, 'one'], [second!, 'two']] as const) {
      const requestId = reply.body.requestID as string
      const logs = (await emulator.request('GET', `/_emulator/logs?requestId=${requestId}`)).body.data
      expect(logs).toEqual([
        expect.objectContaining({ function: 'probe', requestId, level: 'log', message: `probe says ${text}` }),
        expect.objectContaining({ function: 'probe', requestId, level: 'warn', message: `and warns { text: '${text}' }` }),
      ])
    }
  })

  it('rejects a malformed user', async () => {
    const reply = await emulator.request('POST', '/_emulator/functions/echo/call', { data: {}, user: { openid: 5 } })
    expect(reply.status).toBe(400)
  })
})

describe('callFunction between functions', () => {
  it('passes the data and keeps the calling user, with SOURCE chained', async () => {
    const reply = await emulator.result('probe', { op: 'callFunction', name: 'echo', data: { x: 1 } }, { openid: 'oBob' })
    const { context, event } = reply.ok.result
    expect(event).toEqual({ x: 1 })
    expect(context.OPENID).toBe('oBob')
    expect(context.SOURCE).toBe('wx_client,scf')
  })

  it('surfaces the callee failure to the caller', async () => {
    const reply = await emulator.result('probe', { op: 'callFunction', name: 'echo', data: { fail: true } })
    // The SDK rethrows the callee's reason as its own error.
    expect(reply.error.errCode).toEqual(expect.any(Number))
    expect(reply.error.errMsg).toMatch(/callFunction:fail .*echo was asked to fail/)
  })
})

describe('wx.openApi plumbing', () => {
  it('answers -604101 when the function lacks the permission', async () => {
    // echo's config.json lists no openapi permission; probe lists subscribeMessage.send only.
    const reply = await emulator.result('probe', { op: 'openapi', api: 'subscribeMessage.getTemplateList', data: {} })
    expect(reply.error.errCode).toBe(-604101)
    const fromTimer = await emulator.result('probe', { op: 'callFunction', name: 'echo', data: {} })
    expect(fromTimer.ok.result.context.OPENID).toBeUndefined()
  })

  it('answers a clear error for a permitted API that the emulator does not serve', async () => {
    const reply = await emulator.result('probe', { op: 'openapi', api: 'customerServiceMessage.send', data: { touser: 'o1', msgtype: 'text' } })
    expect(reply.error.errMsg).toMatch(/openapi.customerServiceMessage.send is not served by the local emulator/)
  })
})

describe('a rebuilt bundle', () => {
  it('is picked up by the next call', async () => {
    const project = mkdtempSync(join(tmpdir(), 'emu-reload-'))
    try {
      cpSync(FIXTURE_PROJECT, project, { recursive: true })
      const own = await spawnEmulator({ project })
      try {
        const bundle = join(project, 'cloudfunctions/slow/index.js')
        expect((await own.result('slow', {})).invocations).toBe(1)
        writeFileSync(bundle, 'exports.main = async () => ({ rebuilt: true })')
        expect(await own.result('slow', {})).toEqual({ rebuilt: true })
        copyFileSync(join(FIXTURE_PROJECT, 'cloudfunctions/slow/index.js'), bundle)
        expect((await own.result('slow', {})).invocations).toBe(1)
        expect(readFileSync(bundle, 'utf8')).toContain('invocations')
      } finally {
        await own.stop()
      }
    } finally {
      rmSync(project, { recursive: true, force: true })
    }
  })
})
