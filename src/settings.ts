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

export interface Settings {
  acceptsFrom: 'reports' | 'events'
  wechat: WechatSettings
  session: SessionSettings
  timing: Timing
  dispatcher: DispatchSettings
  queue: QueueSettings
  campaigns: { pageSize: number }
}

type Rule = { kind: 'integer'; min: number; max: number } | { kind: 'boolean' } | { kind: 'oneOf'; values: readonly string[] }

const integer = (min: number, max: number): Rule => ({ kind: 'integer', min, max })
const MS = integer(1, 3_600_000)
const BOOLEAN: Rule = { kind: 'boolean' }

/** Every setting, by section, with its rule; a section's settings are overridden by `<PREFIX>_<KEY_IN_SNAKE_CASE>`. */
const SCHEMA: Record<string, { prefix: string; keys: Record<string, Rule> } | Rule> = {
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
  campaigns: { prefix: 'CAMPAIGN', keys: { pageSize: integer(1, 1000) } },
  wechat: { prefix: 'WECHAT', keys: { transport: { kind: 'oneOf', values: ['cloud', 'https'] } } },
  session: { prefix: 'SESSION', keys: { lifetimeMs: integer(60_000, 30 * 24 * 3_600_000) } },
}

/** Secrets share a settings prefix but are never settings: read where they are used, never logged, never in settings.json. */
export const SECRET_NAMES = ['WECHAT_APP_SECRET', 'SESSION_SECRET'] as const
const SECRETS = new Set<string>(SECRET_NAMES)

export class SettingsError extends Error {}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()

function check(where: string, value: unknown, rule: Rule): unknown {
  if (rule.kind === 'boolean') {
    if (typeof value !== 'boolean') throw new SettingsError(`${where} must be true or false, not ${JSON.stringify(value)}`)
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
    const given = input[section]
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new SettingsError(`settings.json: ${section} must be an object`)
    const values: Record<string, unknown> = {}
    for (const key of Object.keys(given)) {
      if (!(key in spec.keys)) throw new SettingsError(`settings.json: unknown key ${section}.${key}`)
    }
    for (const [key, rule] of Object.entries(spec.keys)) {
      const name = `${spec.prefix}_${snake(key)}`
      known.add(name)
      const text = env[name]
      values[key] =
        text === undefined
          ? check(`settings.json: ${section}.${key}`, (given as Record<string, unknown>)[key], rule)
          : check(`environment variable ${name}`, fromText(text, rule), rule)
    }
    out[section] = values
  }
  const prefixes = Object.values(SCHEMA).flatMap((spec) => ('prefix' in spec ? [`${spec.prefix}_`] : []))
  const stray = Object.keys(env).find((name) => prefixes.some((p) => name.startsWith(p)) && !known.has(name) && !SECRETS.has(name))
  if (stray) throw new SettingsError(`environment variable ${stray} is not a setting (known: ${[...known].join(', ')})`)
  const settings = out as unknown as Settings
  const problems = timingProblems(settings.timing, settings.dispatcher)
  if (problems.length > 0) throw new SettingsError(`inconsistent timing settings:\n- ${problems.join('\n- ')}`)
  return settings
}

export const SETTINGS: Settings = loadSettings(raw, process.env)
