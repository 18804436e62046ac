/**
 * npm run bench:emulator — the emulator's own speed, from one run:
 *  - database requests per second that one warm function instance gets
 *    (alternating doc().get() and doc().update(), sequential, then 8 in flight);
 *  - the warm overhead of one control-API call (a function that does nothing);
 *  - the same SDK in a process of its own against the emulator and against a
 *    null server (null-server.ts), in the same run: their ratio says how far
 *    the emulator is from the SDK's own per-request ceiling.
 * Prints a table and, last, one JSON line.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { buildFunctions } from '../scripts/build'
import { FIXTURE_PROJECT, ROOT, spawnEmulator } from '../emulator/spawn'
import { median } from './median'
import { startNullServer } from './null-server'

const REQUESTS = 4000
const execFileAsync = promisify(execFile)
const CALLS = 300

async function main(): Promise<void> {
  await buildFunctions(join(FIXTURE_PROJECT, 'cloudfunctions'))
  const emulator = await spawnEmulator({ project: FIXTURE_PROJECT })
  try {
    const loop = async (concurrency: number) => {
      // One warm-up run, then the measured one, on the same instance.
      await emulator.result('probe', { op: 'loop', collection: 'docs', count: 200, concurrency })
      const { ok } = await emulator.result('probe', { op: 'loop', collection: 'docs', count: REQUESTS, concurrency })
      return (ok.requests / ok.elapsedMs) * 1000
    }
    const sequential = await loop(1)
    const parallel = await loop(8)

    for (let i = 0; i < 20; i++) await emulator.result('slow', {})
    const latencies: number[] = []
    for (let i = 0; i < CALLS; i++) {
      const started = process.hrtime.bigint()
      await emulator.result('slow', {})
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6)
    }
    // The same SDK in a process of its own, against the emulator and against a server that does no work.
    const nullServer = await startNullServer()
    // Not spawnSync: the null server answers from this process's event loop.
    const sdkRate = async (adminUrl: string) => {
      const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/sdk-loop.ts'), adminUrl, String(REQUESTS)])
      return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { requests_per_s: number }).requests_per_s
    }
    const againstEmulator = await sdkRate(`${emulator.url}/admin`)
    const againstNull = await sdkRate(`${nullServer.url}/admin`)
    nullServer.server.close()

    const overhead = median(latencies)
    const p95 = [...latencies].sort((a, b) => a - b)[Math.floor(latencies.length * 0.95)]!

    const rows: Array<[string, string, string]> = [
      ['db requests/s, one warm instance, sequential', sequential.toFixed(0), '>= 2000'],
      ['db requests/s, one warm instance, 8 in flight', parallel.toFixed(0), ''],
      ['control-API call overhead, median (ms)', overhead.toFixed(2), '<= 5'],
      ['control-API call overhead, p95 (ms)', p95.toFixed(2), ''],
      ['db requests/s, one SDK process, against the emulator', againstEmulator.toFixed(0), ''],
      ['db requests/s, the same, against a null server', againstNull.toFixed(0), ''],
      ['emulator / null server', (againstEmulator / againstNull).toFixed(2), '>= 0.7'],
    ]
    const width = Math.max(...rows.map((r) => r[0].length))
    console.log(`${'measure'.padEnd(width)}  ${'value'.padStart(8)}  goal`)
    for (const [name, value, goal] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(8)}  ${goal}`)
    console.log(
      JSON.stringify({
        db_requests_per_s: Math.round(sequential),
        db_requests_per_s_8_in_flight: Math.round(parallel),
        control_call_overhead_median_ms: Number(overhead.toFixed(3)),
        control_call_overhead_p95_ms: Number(p95.toFixed(3)),
        sdk_requests_per_s_emulator: Math.round(againstEmulator),
        sdk_requests_per_s_null_server: Math.round(againstNull),
        null_server_ratio: Number((againstEmulator / againstNull).toFixed(3)),
      }),
    )
  } finally {
    await emulator.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
