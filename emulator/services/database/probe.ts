/**
 * The database fidelity tests' driver: the fixture project's `probe`
 * function runs wx-server-sdk call chains against the emulator, through the
 * control API. Each test file that uses it starts its own emulator.
 */
import { expect } from 'vitest'
import { useEmulator } from '../../../test/support/emulator'

export const cmd = (name: string, ...args: unknown[]) => ({ $cmd: name, args })
export const date = (iso: string) => ({ $date: iso })
export const ids = (reply: { data: Array<{ _id: string }> }) => reply.data.map((d) => d._id)

export function useProbe() {
  const emulator = useEmulator()
  let n = 0

  /** Runs a method chain on a collection inside the probe function; resolves with `{ ok }` or `{ error }`. */
  const run = async (collection: string, ...calls: unknown[][]): Promise<any> => emulator.result('probe', { op: 'chain', collection, calls })
  const ok = async (collection: string, ...calls: unknown[][]): Promise<any> => {
    const reply = await run(collection, ...calls)
    if (!('ok' in reply)) throw new Error(`expected success, got ${JSON.stringify(reply)}`)
    return reply.ok
  }
  /** A fresh collection per test, created through the SDK (collections must exist, as on the service). */
  const fresh = async (docs: Array<Record<string, unknown>> = []): Promise<string> => {
    const name = `c${Date.now().toString(36)}${n++}`
    expect(await emulator.result('probe', { op: 'createCollection', name })).toHaveProperty('ok')
    if (docs.length) await ok(name, ['add', { data: docs }])
    return name
  }
  return { run, ok, fresh, emulator }
}
