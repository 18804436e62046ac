export * from '../../emulator/spawn'

import { afterAll, beforeAll, expect } from 'vitest'
import { FIXTURE_PROJECT, spawnEmulator, type RunningEmulator, type SpawnOptions } from '../../emulator/spawn'

/** A stand-in for what `get` gives once the test file's beforeAll has run: property reads go through to it. */
export function late<T extends object>(get: () => T): T {
  return new Proxy({} as T, {
    get(_stand, key) {
      const target = get() as Record<string | symbol, unknown>
      const value = target[key]
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** An emulator of the fixture project (or as `options` say) for the test file: started before its tests, stopped after. */
export function useEmulator(options: SpawnOptions = { project: FIXTURE_PROJECT }): RunningEmulator {
  let emulator: RunningEmulator | undefined
  beforeAll(async () => {
    emulator = await spawnEmulator(options)
  })
  afterAll(() => emulator?.stop())
  return late(() => emulator!)
}

/** An emulator of the fixture project of its own, started with these options, for one test. */
export async function withEmulator(args: string[], use: (own: RunningEmulator) => Promise<void>): Promise<void> {
  const own = await spawnEmulator({ project: FIXTURE_PROJECT, args: ['--no-timers', ...args] })
  try {
    await use(own)
  } finally {
    await own.stop()
  }
}

/** The start fails, saying why. */
export async function refusedStart(args: string[]): Promise<string> {
  const error = await spawnEmulator({ project: FIXTURE_PROJECT, args: ['--no-timers', ...args] }).then(
    async (own) => {
      await own.stop()
      throw new Error(`the emulator started with ${args.join(' ')}`)
    },
    (error: Error) => error,
  )
  return error.message
}


/** The call was ended by the function's timeout, as the platform ends it: HTTP 500, -504002, and the timeout named. */
export function expectTimedOut(reply: { status: number; body: Record<string, unknown> }, seconds: number): void {
  expect(reply.status).toBe(500)
  expect(reply.body.errCode).toBe(-504002)
  expect(reply.body.errMsg).toMatch(new RegExp(`timed out after ${seconds} seconds`))
}
