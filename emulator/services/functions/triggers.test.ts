/**
 * Timer triggers judged one by one, as the platform judges each upload: a
 * project whose functions declare triggers it takes and triggers it refuses
 * still loads; a refused one is listed with the rule it breaks, warned about
 * at start, and never fires, while the others fire as ever, whether
 * config.json or cloudbaserc.json declares them.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, until, useEmulator } from '../../../test/support/emulator'
import { cronProblem, triggerProblem } from './cron-rules'
import { nextFireTime } from './timers'

const PROJECT = join(ROOT, 'test/fixtures/triggers-project')
// Timers on: the scheduler is what must skip a refused trigger.
const emulator = useEmulator({ project: PROJECT, args: [] })

interface Run {
  function: string
  caller: { source: string | null; trigger: string | null }
  ok: boolean
}
const runs = async () => (await emulator.request('GET', '/_emulator/invocations')).body.data as Run[]
const firings = (all: Run[], fn: string) => all.filter((run) => run.function === fn && run.caller.source === 'wx_trigger')

describe('a project with triggers the platform refuses', () => {
  it('loads, and lists each function with its timer: a refused one with the rule it breaks', async () => {
    const asked = Date.now()
    const listed = (await emulator.request('GET', '/_emulator/functions')).body.data as Array<{ name: string; timer: any }>
    const next = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(Object.fromEntries(listed.map((fn) => [fn.name, fn.timer]))).toEqual({
      every: { name: 'everySecond', cron: '* * * * * * *', next },
      sixfield: { name: 'sixFields', cron: '* * * * * *', error: 'a cron has 7 fields (second minute hour day month weekday year); this one has 6' },
      badhour: { name: 'lateNight', cron: '0 0 24 * * * *', error: 'hour 24 is out of 0-23' },
      badname: { name: '9lives', cron: '* * * * * * *', error: expect.stringMatching(/^a trigger name starts with a letter/) },
      // Declared in cloudbaserc.json only.
      fromrc: { name: 'rcEverySecond', cron: '* * * * * * *', next },
      // Declared in both: config.json wins.
      both: { name: 'newYear', cron: '0 0 0 1 1 * *', next },
    })
    // The next fire on the platform's clock (UTC+8): within a second for every second, the coming 1 January 00:00 for newYear.
    const timerOf = (name: string) => listed.find((fn) => fn.name === name)!.timer
    const everyNext = Date.parse(timerOf('every').next)
    expect(everyNext).toBeGreaterThan(asked - 1000)
    expect(everyNext).toBeLessThanOrEqual(Date.now() + 1000)
    const year = new Date(asked + 8 * 3_600_000).getUTCFullYear() + 1
    expect(timerOf('both').next).toBe(new Date(`${year}-01-01T00:00:00+08:00`).toISOString())
  })

  it('warns at start, naming the function, the trigger, its expression and the rule', () => {
    const warnings = emulator.output.filter((line) => line.startsWith('warning: function'))
    expect(warnings).toEqual(
      expect.arrayContaining([
        'warning: function sixfield: timer trigger sixFields "* * * * * *" is refused: a cron has 7 fields (second minute hour day month weekday year); this one has 6. The function runs; this trigger never fires.',
        expect.stringMatching(/^warning: function badhour: timer trigger lateNight "0 0 24 \* \* \* \*" is refused: hour 24 is out of 0-23\./),
        expect.stringMatching(/^warning: function badname: timer trigger 9lives "\* \* \* \* \* \* \*" is refused: a trigger name starts with a letter/),
        expect.stringMatching(/^warning: function both: the triggers of .*cloudbaserc\.json are ignored: its .*config\.json declares triggers too/),
      ]),
    )
    expect(warnings).toHaveLength(4)
  })

  it('fires the timers it took, from config.json and cloudbaserc.json, and never a refused one', async () => {
    // Three runs of an every-second timer: a refused every-second timer, were it scheduled, would have run by then too.
    const all = await until(runs, (seen) => firings(seen, 'every').length >= 3 && firings(seen, 'fromrc').length >= 1, 'the valid timers to fire')
    expect(firings(all, 'every').every((run) => run.ok && run.caller.trigger === 'everySecond')).toBe(true)
    expect(firings(all, 'fromrc')[0]).toMatchObject({ ok: true, caller: { trigger: 'rcEverySecond' } })
    for (const refused of ['sixfield', 'badhour', 'badname', 'both']) expect(firings(all, refused), refused).toEqual([])
  })

  it('refuses to run a refused trigger on demand, naming the rule; runs a valid one', async () => {
    const refused = await emulator.trigger('sixfield')
    expect(refused.status).toBe(409)
    expect(refused.body.error).toMatch(/sixFields "\* \* \* \* \* \*" was refused, so it never fires: a cron has 7 fields/)
    expect((await emulator.trigger('badname')).body.error).toMatch(/9lives .*a trigger name starts with a letter/)
    const ran = await emulator.trigger('fromrc', '2026-03-01T00:00:00Z')
    expect(ran.status).toBe(200)
    expect(ran.body.result).toEqual({ event: { Type: 'timer', TriggerName: 'rcEverySecond', Time: '2026-03-01T00:00:00Z', Message: '' } })
  })
})

describe('the timer rules (cron-rules.ts)', () => {
  it("take the documentation's examples, and croner computes their times", () => {
    const documented = ['*/5 * * * * * *', '0 0 2 1 * * *', '0 15 10 * * MON-FRI *', '0 0 10,14,16 * * * *', '0 */30 9-17 * * * *', '0 0 12 * * WED *', '0 1/10 * * * * *']
    const more = ['0 0 0 * jan-mar/2 sun,sat 2030-2099/3', '59 59 23 31 12 6 2099', '0 0 0 1 1 0 1970', '*/60 * * * * * *', '0 0 0 * * */7 *', '0 0 0 1 FEB/2 * *', '0 0 0 * * MON/2 *']
    for (const cron of [...documented, ...more]) {
      expect(cronProblem(cron), cron).toBeUndefined()
      expect(() => nextFireTime(cron, new Date('2026-01-01T00:00:00Z')), cron).not.toThrow()
    }
  })

  it('name the rule an expression breaks', () => {
    const refused: Array<[cron: string, rule: string]> = [
      ['* * * * *', 'a cron has 7 fields (second minute hour day month weekday year); this one has 5'],
      ['60 * * * * * *', 'second 60 is out of 0-59'],
      ['0 0 0 0 * * *', 'day 0 is out of 1-31'],
      ['0 0 0 * 13 * *', 'month 13 is out of 1-12 or JAN-DEC'],
      ['0 0 0 * JANUARY * *', 'month "JANUARY" is not 1-12 or JAN-DEC (values combine only with , - * /)'],
      ['0 0 0 * * 7 *', 'weekday 7 is out of 0-6 or SUN-SAT'],
      ['0 0 0 ? * MON *', 'day "?" is not 1-31 (values combine only with , - * /)'],
      ['0 0 0 * * * 2100', 'year 2100 is out of 1970-2099'],
      ['0 0 5-1 * * * *', 'hour range 5-1 runs backwards'],
      ['*/0 * * * * * *', 'second step "0" is not a whole number from 1 to 60'],
      ['0 1,,2 * * * * *', 'minute has an empty item between commas'],
      ['0 1/2/3 * * * * *', 'minute "1/2/3" has more than one "/"'],
    ]
    for (const [cron, rule] of refused) expect(cronProblem(cron), cron).toBe(rule)
  })

  it('take a timer of a well-formed name only', () => {
    const timer = (name: unknown, type: unknown = 'timer') => triggerProblem({ name, type, config: '0 0 1 * * * *' })
    expect(timer('myTrigger_2-a')).toBeUndefined()
    expect(timer('a'.repeat(60))).toBeUndefined()
    expect(timer('a'.repeat(61))?.part).toBe('name')
    expect(timer('_first')?.part).toBe('name')
    expect(timer('has space')?.part).toBe('name')
    expect(timer('web', 'apigw')).toEqual({ part: 'type', rule: 'type "apigw" is not served: a trigger\'s type is "timer"' })
    expect(triggerProblem({ name: 'n', type: 'timer', config: 5 })?.part).toBe('config')
  })

  it('fire a documented start/step from its start, every step (croner takes it as a range)', () => {
    const next = (from: string) => nextFireTime('0 1/10 * * * * *', new Date(from))?.toISOString()
    expect(next('2026-01-01T00:00:30Z')).toBe('2026-01-01T00:01:00.000Z')
    expect(next('2026-01-01T00:01:30Z')).toBe('2026-01-01T00:11:00.000Z')
    expect(next('2026-01-01T00:51:30Z')).toBe('2026-01-01T01:01:00.000Z')
  })
})
