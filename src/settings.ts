/**
 * Delivery settings: settings.json at the project root (inlined by the build),
 * each overridable from the function's environment (the console's or
 * cloudbaserc.json's envVariables), checked against a schema and against the
 * timing relations when loaded and at build. A misspelled key, in the file or
 * in the environment, is an error that names it, never a silent default.
 */
import raw from '../settings.json'
import { timingProblems, type LeaseTiming, type Timing } from './timing'

export interface DispatchSettings extends LeaseTiming {
  /** Sends in flight at once, per dispatcher invocation. */
  concurrency: number
  /** Messages claimed per round. */
  batchSize: number
  /** First wait after a transient failure; doubled each try up to retryMaxMs. */
  retryBaseMs: number
  retryMaxMs: number
  /** Delivery tries before a message that keeps failing transiently is given up as failed. */
  maxTries: number
  /** Whether a tick whose predecessor could not send everything due splits the work over one invocation per shard. */
  fanOut: boolean
}

export interface QueueSettings {
  /** Scheduled messages a mini-program user may have pending at once. */
  maxPendingPerUser: number
  /** Past that many pending, each further message to one recipient is due this much later than the one before. */
  recipientSpacingMs: number
}

/** How the functions reach WeChat: cloud call (the platform vouches, no secret), or HTTPS with the AppSecret and an access token. */
export interface WechatSettings {
  transport: 'cloud' | 'https'
}

export interface SessionSettings {
  /** How long a session a code login signs stays valid. */
  lifetimeMs: number
}

/**
 * Quiet hours, in UTC+8 (WeChat's and the users' day): a scheduled or
 * broadcast message due inside the window waits for its end, unless urgent.
 * `from` may be later than `to`: the window then crosses midnight.
 */
export interface QuietHours {
  from: string
  to: string
}

export interface CampaignSettings {
  /** Users read per page while a broadcast queues its messages. */
  pageSize: number
  /** The fields of `users` documents a broadcast's `audience` may filter on. */
  audienceFields: string[]
}

export const MINIPROGRAM_STATES = ['developer', 'trial', 'formal'] as const
/** Which version of the mini-program a card opens: 开发版, 体验版 or 正式版. */
export type MiniprogramState = (typeof MINIPROGRAM_STATES)[number]

/**
 * The version a card opens when its request names none: a developer testing
 * on the local cloud or on a test environment needs the version that has
 * their new page, not the formal one, which may not have it yet.
 */
export interface CardSettings {
  /** Anywhere else: production. */
  state: MiniprogramState
  /** In a test environment: one listed here, or the local emulator when emulatorIsTest. */
  testState: MiniprogramState
  /** The env ids (getWXContext().ENV) of test environments. */
  testEnvironments: string[]
  /** Whether the local emulator counts as a test environment. */
  emulatorIsTest: boolean
}

export interface Settings {
  acceptsFrom: 'reports' | 'events'
  quiet: QuietHours | null
  wechat: WechatSettings
  session: SessionSettings
  timing: Timing
  dispatcher: DispatchSettings
  queue: QueueSettings
  campaigns: CampaignSettings
  cards: CardSettings
}

type Rule =
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'oneOf'; values: readonly string[] }
  /** A time of day, "HH:MM" from 00:00 to 23:59. */
  | { kind: 'clock' }
  /** Names of the `pattern` (`what` says it in words): a JSON array in the file, comma-separated in the environment. */
  | { kind: 'names'; max: number; pattern: RegExp; what: string }

const integer = (min: number, max: number): Rule => ({ kind: 'integer', min, max })
const MS = integer(1, 3_600_000)
const BOOLEAN: Rule = { kind: 'boolean' }
const CLOCK: Rule = { kind: 'clock' }
const CLOCK_TEXT = /^([01]\d|2[0-3]):[0-5]\d$/
const FIELD_NAMES: Rule = { kind: 'names', max: 20, pattern: /^[A-Za-z][A-Za-z0-9_]{0,63}$/, what: 'field names (a letter, then letters, digits or _)' }
/** An env id as the SDK checks one before it sends to it. */
const ENV_IDS: Rule = { kind: 'names', max: 20, pattern: /^[a-z0-9_-]{1,40}$/, what: 'env ids (1 to 40 lowercase letters, digits, - or _)' }
const STATE: Rule = { kind: 'oneOf', values: MINIPROGRAM_STATES }

/**
 * Every setting, by section, with its rule; a section's settings are
 * overridden by `<PREFIX>_<KEY_IN_SNAKE_CASE>`. An `optional` section may be
 * null in the file (off), and is on when the environment gives all its keys.
 */
const SCHEMA: Record<string, { prefix: string; keys: Record<string, Rule>; optional?: true } | Rule> = {
  acceptsFrom: { kind: 'oneOf', values: ['reports', 'events'] },
  timing: {
    prefix: 'TIMING',
    keys: { functionTimeoutMs: integer(1, 900_000), wechatTimeoutMs: MS, busyRetryMs: MS, sdkTimeoutMs: MS, writeMs: MS, clockSkewMs: integer(0, 60_000) },
  },
  dispatcher: {
    prefix: 'DISPATCH',
    keys: {
      concurrency: integer(1, 1000),
      batchSize: integer(1, 1000),
      leaseMs: MS,
      budgetMs: MS,
      retryBaseMs: MS,
      retryMaxMs: MS,
      maxTries: integer(1, 100),
      fanOut: BOOLEAN,
    },
  },
  queue: { prefix: 'QUEUE', keys: { maxPendingPerUser: integer(1, 10_000), recipientSpacingMs: integer(0, 3_600_000) } },
  campaigns: { prefix: 'CAMPAIGN', keys: { pageSize: integer(1, 1000), audienceFields: FIELD_NAMES } },
  quiet: { prefix: 'QUIET', keys: { from: CLOCK, to: CLOCK }, optional: true },
  wechat: { prefix: 'WECHAT', keys: { transport: { kind: 'oneOf', values: ['cloud', 'https'] } } },
  session: { prefix: 'SESSION', keys: { lifetimeMs: integer(60_000, 30 * 24 * 3_600_000) } },
  cards: { prefix: 'CARDS', keys: { state: STATE, testState: STATE, testEnvironments: ENV_IDS, emulatorIsTest: BOOLEAN } },
}

/** Secrets share a settings prefix but are never settings: read where they are used, never logged, never in settings.json. */
export const SECRET_NAMES = ['WECHAT_APP_SECRET', 'SESSION_SECRET'] as const
export type SecretName = (typeof SECRET_NAMES)[number]
const SECRETS = new Set<string>(SECRET_NAMES)
export const isSecret = (name: string): name is SecretName => SECRETS.has(name)

export class SettingsError extends Error {}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()

function check(where: string, value: unknown, rule: Rule): unknown {
  if (rule.kind === 'boolean') {
    if (typeof value !== 'boolean') throw new SettingsError(`${where} must be true or false, not ${JSON.stringify(value)}`)
  } else if (rule.kind === 'clock') {
    if (typeof value !== 'string' || !CLOCK_TEXT.test(value)) throw new SettingsError(`${where} must be a time of day "HH:MM" (00:00 to 23:59), not ${JSON.stringify(value)}`)
  } else if (rule.kind === 'names') {
    if (!Array.isArray(value) || value.length > rule.max || !value.every((name) => typeof name === 'string' && rule.pattern.test(name))) {
      throw new SettingsError(`${where} must be at most ${rule.max} ${rule.what}, not ${JSON.stringify(value)}`)
    }
  } else if (rule.kind === 'oneOf') {
    if (!rule.values.includes(value as string)) throw new SettingsError(`${where} must be ${rule.values.map((v) => `"${v}"`).join(' or ')}, not ${JSON.stringify(value)}`)
  } else if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min || value > rule.max) {
    throw new SettingsError(`${where} must be a whole number from ${rule.min} to ${rule.max}, not ${JSON.stringify(value)}`)
  }
  return value
}

/** An environment variable's text as the rule's type. */
function fromText(text: string, rule: Rule): unknown {
  if (rule.kind === 'boolean') return text === 'true' ? true : text === 'false' ? false : text
  if (rule.kind === 'integer') return /^-?\d+$/.test(text.trim()) ? Number(text) : text
  if (rule.kind === 'names') return text.trim() === '' ? [] : text.split(',').map((name) => name.trim())
  return text
}

/**
 * The settings from the file's contents and an environment. Throws a
 * SettingsError naming the first key that is unknown, missing or out of
 * range, or the relation between timing numbers that does not hold.
 */
export function loadSettings(file: unknown, env: Record<string, string | undefined> = {}): Settings {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new SettingsError('settings.json must be an object')
  const input = file as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(input)) {
    if (key !== '$comment' && !(key in SCHEMA)) throw new SettingsError(`settings.json: unknown key ${key}`)
  }
  const known = new Set<string>()
  for (const [section, spec] of Object.entries(SCHEMA)) {
    if (!('prefix' in spec)) {
      out[section] = check(`settings.json: ${section}`, input[section], spec)
      continue
    }
    const names = Object.keys(spec.keys).map((key) => `${spec.prefix}_${snake(key)}`)
    for (const name of names) known.add(name)
    let given = input[section]
    if (spec.optional && given === null) {
      const set = names.filter((name) => env[name] !== undefined)
      if (set.length === 0) {
        out[section] = null
        continue
      }
      if (set.length < names.length) throw new SettingsError(`environment variables ${names.join(' and ')} go together: ${set.join(', ')} alone is set`)
      given = {}
    }
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new SettingsError(`settings.json: ${section} must be an object${spec.optional ? ' or null' : ''}`)
    const values: Record<string, unknown> = {}
    for (const key of Object.keys(given)) {
      if (!(key in spec.keys)) throw new SettingsError(`settings.json: unknown key ${section}.${key}`)
    }
    for (const [key, rule] of Object.entries(spec.keys)) {
      const name = `${spec.prefix}_${snake(key)}`
      const text = env[name]
      values[key] =
        text === undefined
          ? check(`settings.json: ${section}.${key}`, (given as Record<string, unknown>)[key], rule)
          : check(`environment variable ${name}`, fromText(text, rule), rule)
    }
    out[section] = values
  }
  const prefixes = Object.values(SCHEMA).flatMap((spec) => ('prefix' in spec ? [`${spec.prefix}_`] : []))
  const stray = Object.keys(env).find((name) => prefixes.some((p) => name.startsWith(p)) && !known.has(name) && !isSecret(name))
  if (stray) throw new SettingsError(`environment variable ${stray} is not a setting (known: ${[...known].join(', ')})`)
  const settings = out as unknown as Settings
  const problems = timingProblems(settings.timing, settings.dispatcher)
  if (problems.length > 0) throw new SettingsError(`inconsistent timing settings:\n- ${problems.join('\n- ')}`)
  return settings
}

export const SETTINGS: Settings = loadSettings(raw, process.env)
