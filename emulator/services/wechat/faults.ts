import { SeededSettings } from '../../random'
import { SYSTEM_BUSY } from './errors'

/**
 * Faults injected into subscribeMessage.send, for reliability tests:
 * an error answered at some rate, latency with jitter, a hang that never
 * answers, and a daily limit past which sends answer 45009. A seed makes
 * every draw repeatable.
 */
export interface FaultSettings {
  errcode?: number
  rate?: number
  /**
   * The share of injected errors answered after the message was delivered
   * (its quota spent): WeChat does not say that an error such as -1 means
   * nothing went out, so a sender must be tested against both.
   */
  deliverFirst?: number
  latencyMs?: number
  /** Latency for these recipients instead: WeChat slow for some, as a real push path can be. */
  latencyByUser?: Record<string, number>
  jitterMs?: number
  hang?: boolean
  dailyLimit?: number
  seed?: number
}

export type FaultDecision =
  | { kind: 'pass'; delayMs: number }
  | { kind: 'error'; errcode: number; delayMs: number; deliverFirst: boolean }
  | { kind: 'hang'; deliver: boolean; delayMs: number }

export function parseFaults(body: unknown): FaultSettings {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('faults must be an object')
  const input = body as Record<string, unknown>
  const known = new Set(['errcode', 'rate', 'deliverFirst', 'latencyMs', 'latencyByUser', 'jitterMs', 'hang', 'dailyLimit', 'seed'])
  for (const key of Object.keys(input)) if (!known.has(key)) throw new Error(`unknown fault setting ${key}`)
  const number = (key: string, min: number, max: number, integer = false) => {
    const value = input[key]
    if (value === undefined) return undefined
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new Error(`${key} must be a number from ${min} to ${max}${integer ? ' (whole)' : ''}`)
    }
    return value
  }
  if (input.hang !== undefined && typeof input.hang !== 'boolean') throw new Error('hang must be a boolean')
  const byUser = input.latencyByUser
  if (byUser !== undefined) {
    const valid =
      byUser !== null &&
      typeof byUser === 'object' &&
      !Array.isArray(byUser) &&
      Object.values(byUser).every((ms) => typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 && ms <= 600_000)
    if (!valid) throw new Error('latencyByUser must map openids to numbers from 0 to 600000')
  }
  return {
    errcode: number('errcode', -2147483648, 2147483647, true),
    rate: number('rate', 0, 1),
    deliverFirst: number('deliverFirst', 0, 1),
    latencyMs: number('latencyMs', 0, 600_000),
    latencyByUser: byUser as Record<string, number> | undefined,
    jitterMs: number('jitterMs', 0, 600_000),
    hang: input.hang as boolean | undefined,
    dailyLimit: number('dailyLimit', 0, 1e9, true),
    seed: number('seed', 0, 2 ** 32 - 1, true),
  }
}

export class Faults extends SeededSettings<FaultSettings> {
  get dailyLimit(): number | undefined {
    return this.settings.dailyLimit
  }

  /** Draws this send's fate. An errcode without a rate always fires; a rate without an errcode answers -1. */
  decide(touser: string): FaultDecision {
    const { errcode, rate, deliverFirst = 0, latencyMs = 0, latencyByUser, jitterMs = 0, hang } = this.settings
    const delayMs = (latencyByUser?.[touser] ?? latencyMs) + (jitterMs > 0 ? this.random() * jitterMs : 0)
    if (hang) return { kind: 'hang', deliver: this.random() < 0.5, delayMs }
    if (errcode !== undefined || rate !== undefined) {
      const fires = this.random() < (rate ?? 1)
      if (fires) return { kind: 'error', errcode: errcode ?? SYSTEM_BUSY, delayMs, deliverFirst: deliverFirst > 0 && this.random() < deliverFirst }
    }
    return { kind: 'pass', delayMs }
  }
}
