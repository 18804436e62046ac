/** Settings that check themselves: the schema, the environment's overrides, and the timing relations. */
import { describe, expect, it } from 'vitest'
import file from '../settings.json'
import { useProduct } from '../test/support/product'
import { attemptCoverMs, deliveryMs, messageCoverMs } from './timing'
import { loadSettings } from './settings'

const copy = () => JSON.parse(JSON.stringify(file)) as typeof file

describe('loadSettings', () => {
  it('loads settings.json as it is, and an override from the environment', () => {
    const settings = loadSettings(file, { DISPATCH_CONCURRENCY: '40', DISPATCH_FAN_OUT: 'false', TIMING_WECHAT_TIMEOUT_MS: '5000' })
    expect(settings.dispatcher).toMatchObject({ concurrency: 40, fanOut: false, leaseMs: 30_000 })
    expect(settings.timing.wechatTimeoutMs).toBe(5000)
    // The derived figures the README gives.
    expect(messageCoverMs(loadSettings(file).timing)).toBe(7000)
    expect(attemptCoverMs(loadSettings(file).timing)).toBe(6000)
    expect(deliveryMs(loadSettings(file).timing)).toBe(16_200)
  })

  it('refuses a misspelled or unknown key, naming it', () => {
    const misspelled = copy() as Record<string, any>
    misspelled.dispatcher.leaseMS = misspelled.dispatcher.leaseMs
    expect(() => loadSettings(misspelled)).toThrow(/unknown key dispatcher\.leaseMS/)
    const extra = { ...copy(), acceptFrom: 'events' }
    expect(() => loadSettings(extra)).toThrow(/unknown key acceptFrom/)
    const missing = copy() as Record<string, any>
    delete missing.timing.writeMs
    expect(() => loadSettings(missing)).toThrow(/timing\.writeMs must be a whole number/)
  })

  it('refuses a value of the wrong type or out of range, naming it', () => {
    expect(() => loadSettings({ ...copy(), acceptsFrom: 'both' })).toThrow(/acceptsFrom must be "reports" or "events"/)
    expect(() => loadSettings(file, { DISPATCH_CONCURRENCY: 'twenty' })).toThrow(/environment variable DISPATCH_CONCURRENCY must be a whole number/)
    expect(() => loadSettings(file, { DISPATCH_FAN_OUT: 'yes' })).toThrow(/DISPATCH_FAN_OUT must be true or false/)
    expect(() => loadSettings(file, { DISPATCH_BATCH_SIZE: '0' })).toThrow(/from 1 to 1000/)
  })

  it('refuses an environment variable that names no setting', () => {
    expect(() => loadSettings(file, { DISPATCH_LEASEMS: '3000' })).toThrow(/DISPATCH_LEASEMS is not a setting/)
    expect(() => loadSettings(file, { DISPATCH_FANOUT_THRESHOLD: '200' })).toThrow(/DISPATCH_FANOUT_THRESHOLD is not a setting/)
    // Other variables are the platform's and the SDK's business.
    expect(() => loadSettings(file, { WX_OPENID: 'o', TCB_ENV: 'local' })).not.toThrow()
  })

  it('refuses timing numbers that break their relations, naming the numbers', () => {
    // A lease shorter than one message's cover and its renewal.
    expect(() => loadSettings(file, { DISPATCH_LEASE_MS: '7999' })).toThrow(/dispatcher\.leaseMs \(7999\) must cover one message/)
    expect(() => loadSettings(file, { DISPATCH_LEASE_MS: '8000' })).not.toThrow()
    // A budget that leaves no room for the last message inside the function's timeout.
    expect(() => loadSettings(file, { DISPATCH_BUDGET_MS: '51001' })).toThrow(/dispatcher\.budgetMs \(51001\).*timing\.functionTimeoutMs \(60000\): at most 51000/)
    expect(() => loadSettings(file, { TIMING_FUNCTION_TIMEOUT_MS: '20000' })).toThrow(/timing\.functionTimeoutMs/)
    expect(() => loadSettings(file, { TIMING_SDK_TIMEOUT_MS: '2000' })).toThrow(/timing\.wechatTimeoutMs \(3000\) must not exceed timing\.sdkTimeoutMs \(2000\)/)
  })
})

describe('quiet hours and a broadcast audience', () => {
  it('quiet is off as null, and on when the file or the environment gives both ends', () => {
    expect(loadSettings(file).quiet).toBeNull()
    expect(loadSettings(file, { QUIET_FROM: '22:00', QUIET_TO: '08:00' }).quiet).toEqual({ from: '22:00', to: '08:00' })
    expect(loadSettings({ ...copy(), quiet: { from: '21:30', to: '07:15' } }).quiet).toEqual({ from: '21:30', to: '07:15' })
    expect(loadSettings({ ...copy(), quiet: { from: '21:30', to: '07:15' } }, { QUIET_TO: '06:00' }).quiet).toEqual({ from: '21:30', to: '06:00' })
  })

  it('refuses one end alone, a time that is no HH:MM, and an unknown key', () => {
    expect(() => loadSettings(file, { QUIET_FROM: '22:00' })).toThrow(/QUIET_FROM and QUIET_TO go together: QUIET_FROM alone is set/)
    for (const bad of ['24:00', '7:00', '07:60', '0700', '']) {
      expect(() => loadSettings(file, { QUIET_FROM: bad, QUIET_TO: '08:00' }), bad).toThrow(/QUIET_FROM must be a time of day "HH:MM"/)
    }
    expect(() => loadSettings({ ...copy(), quiet: { from: '22:00' } })).toThrow(/quiet\.to must be a time of day/)
    expect(() => loadSettings({ ...copy(), quiet: { from: '22:00', to: '08:00', tz: '+8' } })).toThrow(/unknown key quiet\.tz/)
    expect(() => loadSettings({ ...copy(), quiet: '22:00-08:00' })).toThrow(/quiet must be an object or null/)
  })

  it('audience fields are field names, from the file or comma-separated from the environment', () => {
    expect(loadSettings(file).campaigns.audienceFields).toEqual(['tags'])
    expect(loadSettings(file, { CAMPAIGN_AUDIENCE_FIELDS: 'tags, city' }).campaigns.audienceFields).toEqual(['tags', 'city'])
    expect(() => loadSettings(file, { CAMPAIGN_AUDIENCE_FIELDS: 'tags,_id' })).toThrow(/CAMPAIGN_AUDIENCE_FIELDS must be at most 20 field names/)
    expect(() => loadSettings(file, { CAMPAIGN_AUDIENCE_FIELDS: 'a.b' })).toThrow(/field names/)
  })
})

describe('the version a card opens', () => {
  it('is formal, developer in a test environment, the emulator one; each key overridable', () => {
    expect(loadSettings(file).cards).toEqual({ state: 'formal', testState: 'developer', testEnvironments: [], emulatorIsTest: true })
    const env = { CARDS_STATE: 'trial', CARDS_TEST_STATE: 'formal', CARDS_TEST_ENVIRONMENTS: 'test-4g5h, qa_2', CARDS_EMULATOR_IS_TEST: 'false' }
    expect(loadSettings(file, env).cards).toEqual({ state: 'trial', testState: 'formal', testEnvironments: ['test-4g5h', 'qa_2'], emulatorIsTest: false })
  })

  it('refuses a state that is none of three, an env id the SDK would refuse, and an unknown key, naming each', () => {
    expect(() => loadSettings(file, { CARDS_STATE: 'release' })).toThrow(/environment variable CARDS_STATE must be "developer" or "trial" or "formal", not "release"/)
    expect(() => loadSettings({ ...copy(), cards: { ...copy().cards, testState: 'FORMAL' } })).toThrow(/settings\.json: cards\.testState must be "developer"/)
    expect(() => loadSettings(file, { CARDS_TEST_ENVIRONMENTS: 'prod,Test Env' })).toThrow(/CARDS_TEST_ENVIRONMENTS must be at most 20 env ids/)
    expect(() => loadSettings({ ...copy(), cards: { ...copy().cards, testEnvironments: 'test-1' } })).toThrow(/cards\.testEnvironments must be at most 20 env ids/)
    expect(() => loadSettings(file, { CARDS_EMULATOR_IS_TEST: 'yes' })).toThrow(/CARDS_EMULATOR_IS_TEST must be true or false/)
    expect(() => loadSettings({ ...copy(), cards: { ...copy().cards, default: 'formal' } })).toThrow(/unknown key cards\.default/)
    expect(() => loadSettings(file, { CARDS_DEFAULT: 'formal' })).toThrow(/CARDS_DEFAULT is not a setting/)
  })
})

describe('a function with settings it refuses', () => {
  const { emulator } = useProduct(['--no-timers', '--function-env', 'send:DISPATCH_LEASEMS=3000'])

  it('fails to load, saying which', async () => {
    const reply = await emulator.call('send', { action: 'get', messageId: 'msg_x' })
    expect(reply.status).toBe(500)
    expect(String(reply.body.errMsg)).toMatch(/DISPATCH_LEASEMS is not a setting/)
  })
})
