/**
 * The command line's settings for functions: a function's timeout, time
 * travel for a trigger's time, and the SOURCE a message push carries.
 */
import { describe, expect, it } from 'vitest'
import { expectTimedOut, refusedStart, useEmulator, withEmulator, type RunningEmulator } from '../../../test/support/emulator'

const emulator = useEmulator()

describe('--function-timeout', () => {
  it('replaces the deploy timeout, and time_limit_in_ms says so', async () => {
    // cloudbaserc.json gives slow 1 second.
    expect((await emulator.result('slow', {})).timeLimitMs).toBe(1000)
    await withEmulator(['--function-timeout', 'slow:0.5'], async (own) => {
      expect((await own.result('slow', { ms: 0 })).timeLimitMs).toBe(500)
      const started = Date.now()
      expectTimedOut(await own.call('slow', { ms: 3_000 }), 0.5)
      expect(Date.now() - started).toBeLessThan(950)
    })
    await withEmulator(['--function-timeout', 'slow:2', '--function-timeout', 'echo:6'], async (own) => {
      expect(await own.result('slow', { ms: 1_300 })).toMatchObject({ timeLimitMs: 2000 })
    })
  })

  it('refuses a function the project lacks, and a timeout out of range', async () => {
    expect(await refusedStart(['--function-timeout', 'nope:5'])).toMatch(/--function-timeout names nope, which is not a function/)
    for (const entry of ['slow:0', 'slow:901', 'slow:-1', 'slow:1e3', 'slow', 'slow:']) {
      expect(await refusedStart(['--function-timeout', entry])).toMatch(/--function-timeout takes <function>:<seconds>/)
    }
  })
})

describe('time travel', () => {
  const WEEK = 7 * 24 * 3600_000
  const semantics = {
    utc: Date.UTC(2020, 0, 1),
    parse: Date.UTC(2020, 0, 1),
    fixed: Date.UTC(2020, 0, 1),
    fromParts: 12,
    isDate: true,
    nodeDateIsDate: true,
  }
  /** What a clock run read lies within [from, to]. */
  const readBetween = (seen: any, from: number, to: number) => {
    for (const read of [seen.now, Date.parse(seen.iso)]) {
      expect(read).toBeGreaterThanOrEqual(from)
      expect(read).toBeLessThanOrEqual(to)
    }
    // Date() as text has whole seconds.
    expect(Date.parse(seen.text)).toBeGreaterThanOrEqual(from - 1000)
    expect(Date.parse(seen.text)).toBeLessThanOrEqual(to)
    expect(seen.date).toEqual(semantics)
  }

  it('with --time-travel, a trigger runs on a clock at its time, shared with the calls it makes', async () => {
    await withEmulator(['--time-travel'], async (own) => {
      const time = Date.now() + WEEK
      const reply = await own.trigger('clock', new Date(time).toISOString())
      expect(reply.status).toBe(200)
      const seen = reply.body.result as any
      const [from, to] = [time, time + 5_000]
      readBetween(seen, from, to)
      expect(seen.event).toMatchObject({ Type: 'timer', TriggerName: 'newYear', Time: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z') })
      readBetween(seen.callee, seen.now, to)

      // A call is never moved, nor a run on an instance that ran a moved one.
      const before = Date.now()
      const plain = await own.result('clock', { chain: true })
      readBetween(plain, before, Date.now())
      readBetween(plain.callee, before, Date.now())

      const past = Date.now() - WEEK
      readBetween((await own.trigger('clock', new Date(past).toISOString())).body.result, past, past + 5_000)
    })
  })

  it('without --time-travel, a trigger\'s time is only its event\'s: the clock is real', async () => {
    const time = new Date(Date.now() + WEEK).toISOString()
    const before = Date.now()
    const seen = (await emulator.trigger('clock', time)).body.result as any
    readBetween(seen, before, Date.now())
    readBetween(seen.callee, before, Date.now())
    expect(seen.event.Time).toBe(time.replace(/\.\d{3}Z$/, 'Z'))
  })
})

describe('message push context', () => {
  const pushedFor = async (own: RunningEmulator, openid: string) => {
    for (let i = 0; i < 80; i++) {
      const found = (await own.request('GET', '/_emulator/db/pushed?limit=1000')).body.data.find((p: any) => p.event.FromUserName === openid)
      if (found) return found
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`nothing was pushed about ${openid}`)
  }
  /** The user answers a popup; WeChat pushes the answer to pushlog. */
  const pushAbout = async (own: RunningEmulator, openid: string) => {
    expect((await own.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { ONE_TIME_A: 'accept' } })).status).toBe(200)
    return pushedFor(own, openid)
  }

  it('names the user the event is about and the app, with SOURCE wx_unknown, and adds no userInfo', async () => {
    const { context, event } = await pushAbout(emulator, 'oPushDefault')
    expect(context).toEqual({ OPENID: 'oPushDefault', APPID: 'wxfixture00000001', ENV: 'probe-env', SOURCE: 'wx_unknown' })
    expect(event.userInfo).toBeUndefined()
    // The receiver wrote what it got before it returned: the push counts as delivered once it has.
    let record: any
    for (let i = 0; i < 80 && record?.outcome !== 'delivered'; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 25))
      record = (await emulator.request('GET', '/_emulator/wechat/events')).body.data.find((e: any) => e.event.FromUserName === 'oPushDefault')
    }
    expect(record).toMatchObject({ receiver: 'pushlog', outcome: 'delivered' })
  })

  it('carries no SOURCE with --push-source=', async () => {
    await withEmulator(['--push-source='], async (own) => {
      const { context } = await pushAbout(own, 'oPushNone')
      expect(context).toEqual({ OPENID: 'oPushNone', APPID: 'wxfixture00000001', ENV: 'probe-env' })
    })
  })

  it('carries the SOURCE that --push-source names', async () => {
    await withEmulator(['--push-source', 'wx_msgpush'], async (own) => {
      const { context } = await pushAbout(own, 'oPushCustom')
      expect(context).toMatchObject({ OPENID: 'oPushCustom', SOURCE: 'wx_msgpush' })
    })
  })

  it('refuses a --push-source that is not a SOURCE', async () => {
    for (const source of ['WX', 'wx-push', 'wx_unknown,']) {
      expect(await refusedStart([`--push-source=${source}`])).toMatch(/--push-source takes/)
    }
  })
})

