/**
 * A seeded random source for the emulator's fault draws: mulberry32, small,
 * fast, and the same sequence for the same seed on every machine, so a test
 * that sets a seed meets the same faults each run.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Fault settings as a service holds them: set, cleared and shown, with a
 * random source that replays its draws when the settings carry a seed.
 */
export class SeededSettings<T extends { seed?: number }> {
  protected settings = {} as T
  protected random: () => number = Math.random

  set(settings: T): void {
    this.settings = settings
    this.random = settings.seed === undefined ? Math.random : seededRandom(settings.seed)
  }

  clear(): void {
    this.set({} as T)
  }

  current(): T {
    return { ...this.settings }
  }
}
