/**
 * npm run bench [-- --quick]: the dispatcher against the emulator with 50 ms of
 * WeChat latency, and the public demo's way of doing the same (one at a time,
 * all at once, and held to the dispatcher's concurrency), in one run.
 * Prints a table and, last, one JSON line; a full run also writes
 * docs/bench.json, docs/bench.md and docs/bench.svg.
 *
 * Measured, after a warm-up run of the same kind: messages per second (and against the ideal, concurrency ÷ latency,
 * and the baselines; against the bounded one, the cost of the lease and the
 * ledger at equal concurrency), database requests and documents examined per
 * delivered message (the emulator's counters), duplicates (the WeChat oracle), the
 * emulator's peak memory; one tick's cost at growing backlogs; cold start,
 * bundled against unbundled; and what the HTTPS transport adds per message
 * over cloud call (the same dispatch run once with each, on emulators of
 * their own).
 *
 * To see where the dispatcher is latency- or CPU-bound: --latency <ms> sets
 * WeChat's latency, BENCH_CONCURRENCY the sends in flight per invocation,
 * BENCH_FANOUT=1 lets a tick fan out after a run that fell behind (one invocation does the work otherwise).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import settings from '../settings.json'
import { FUNCTION_BUILD, buildEmulator, buildFunctions } from '../scripts/build'
import { ROOT, spawnEmulator } from '../emulator/spawn'
import type { BaselineEvent } from './baseline'
import { DATA, Harness, PROJECT, TEMPLATE, assembleProject } from './harness'
import { median } from './median'
import { renderChart, renderMarkdown } from './report'

const QUICK = process.argv.includes('--quick')
const SIZES = QUICK
  ? { warmUp: 500, dispatch: 1000, slow: 500, sequential: 40, promiseAll: 400, ticks: [500, 2000, 5000] as const, coldRuns: 5 }
  : { warmUp: 1000, dispatch: 10_000, slow: 2000, sequential: 200, promiseAll: 2000, ticks: [1000, 10_000, 100_000] as const, coldRuns: 10 }
const latencyFlag = process.argv.indexOf('--latency')
/** WeChat's latency as the emulator fakes it (--latency <ms> to try another). */
const LATENCY_MS = latencyFlag > 0 ? Number(process.argv[latencyFlag + 1]) : 50
/** A WeChat that answers slowly, as it does under load: the pipeline must keep every send in flight. */
const SLOW_LATENCY_MS = 200
/** The HTTPS transport's AppSecret: the emulator's, and the one send's instance presents to stable_token. */
const BENCH_APP_SECRET = 'bench-app-secret'

/** The emulator as the benchmark runs it, `extra` after. */
function emulatorArgs(extra: string[] = []): string[] {
  return [
    '--no-timers',
    '--quiet',
    // One invocation does the work (fan-out is for backlogs one invocation cannot send in its budget).
    '--function-env',
    `send:DISPATCH_FAN_OUT=${process.env.BENCH_FANOUT === '1'}`,
    ...(process.env.BENCH_CONCURRENCY ? ['--function-env', `send:DISPATCH_CONCURRENCY=${process.env.BENCH_CONCURRENCY}`] : []),
    ...extra,
  ]
}

async function measureDispatch(h: Harness, latencyMs: number, count: number, prefix: string) {
  const users = await h.grantedUsers(prefix, count)
  const past = new Date(Date.now() - 60_000)
  await h.dueMessages(users, past, prefix)
  await h.emulator.request('PUT', '/_emulator/wechat/faults', { latencyMs })
  await h.emulator.request('DELETE', '/_emulator/stats')
  let peak = 0
  const sampler = setInterval(async () => {
    peak = Math.max(peak, (await h.stats()).rss)
  }, 200)
  const started = performance.now()
  let sent = 0
  for (let i = 0; i < 10 && sent < count; i++) sent += (await h.tick(Date.now())).sent
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  const stats = await h.stats()
  const delivered = (await h.delivered()).filter((m) => m.touser.startsWith(prefix))
  const perUser = new Map<string, number>()
  for (const m of delivered) perUser.set(m.touser, (perUser.get(m.touser) ?? 0) + 1)
  return {
    sent: delivered.length,
    seconds,
    rate: delivered.length / seconds,
    dbPerMessage: stats.db / delivered.length,
    examinedPerMessage: stats.examined / delivered.length,
    duplicates: [...perUser.values()].reduce((n, c) => n + c - 1, 0),
    // What WeChat received, by transport: proof of the way the run went.
    wechat: stats.wechat,
    peakRssMb: Math.max(peak, stats.rss) / 2 ** 20,
    cpuMsPerMessage: {
      instance: (stats.cpu.functionsMs.send ?? 0) / delivered.length,
      emulator: stats.cpu.emulatorMs / delivered.length,
      process: stats.cpu.processMs / delivered.length,
    },
  }
}

/**
 * The dispatch measurement with send's instance on `transport`, on a fresh
 * emulator each, so that both transports start from the same state: the same
 * warm-up, then the same messages at the same latency.
 */
async function measureTransport(transport: 'cloud' | 'https') {
  const secret = transport === 'https' ? ['--app-secret', BENCH_APP_SECRET, '--function-env', `send:WECHAT_APP_SECRET=${BENCH_APP_SECRET}`] : []
  const emulator = await spawnEmulator({ project: PROJECT, args: emulatorArgs(['--function-env', `send:WECHAT_TRANSPORT=${transport}`, ...secret]) })
  try {
    const h = new Harness(emulator)
    // Its counters are kept: under HTTPS the warm-up is where the instance fetches the token it then holds in memory.
    const warmUp = await measureDispatch(h, LATENCY_MS, SIZES.warmUp, 'oU')
    const run = await measureDispatch(h, LATENCY_MS, SIZES.dispatch, 'oD')
    return { ...run, warmUpWechat: warmUp.wechat }
  } finally {
    await emulator.stop()
  }
}

async function measureBaseline(h: Harness, event: BaselineEvent, count: number, prefix: string) {
  const users = await h.grantedUsers(prefix, count)
  await h.insert(
    'baseline_messages',
    users.map((touser, i) => ({ _id: `${prefix}${i}`, touser, templateId: TEMPLATE.id, data: DATA, done: false })),
  )
  const started = performance.now()
  const result = await h.emulator.result('bench-baseline', event)
  const seconds = (performance.now() - started) / 1000
  return { sent: result.sent as number, seconds, rate: result.sent / seconds }
}

async function measureTick(h: Harness, backlog: number, granted: string[], round: number) {
  await h.admin({ action: 'database.removeDocument', collectionName: 'messages', query: '{}', multi: true })
  // The last round's daily limit paused the dispatcher until tomorrow: a new round starts unpaused.
  await h.admin({ action: 'database.removeDocument', collectionName: 'dispatch_state', query: '{}', multi: true })
  const early = new Date(Date.now() - 3_600_000)
  const later = new Date(Date.now() - 60_000)
  await h.dueMessages(granted, early, `t${round}a`)
  // The rest of the backlog is for the same users, so that the daily limit, not missing grants, ends the tick.
  const others = Array.from({ length: backlog - granted.length }, (_, i) => granted[i % granted.length]!)
  await h.dueMessages(others, later, `t${round}b`)
  // One batch goes out, then WeChat's daily limit ends the tick: the cost of one tick's work.
  const delivered = (await h.delivered()).length
  await h.emulator.request('PUT', '/_emulator/wechat/faults', { latencyMs: LATENCY_MS, dailyLimit: delivered + granted.length })
  await h.emulator.request('DELETE', '/_emulator/stats')
  const started = performance.now()
  const report = await h.tick(Date.now())
  const ms = performance.now() - started
  const stats = await h.stats()
  return { backlog, ms, sent: report.sent as number, dbRequests: stats.db, examined: stats.examined }
}

async function measureColdStart(emulatorUrl: string) {
  const unbundled = join(ROOT, 'build/bench/unbundled/login.js')
  await build({ ...FUNCTION_BUILD, entryPoints: [join(ROOT, 'cloudfunctions/login/index.ts')], outfile: unbundled, packages: 'external' })
  const env = {
    ...process.env,
    TCB_CONTEXT_CNFG: JSON.stringify({ URL: `${emulatorUrl}/admin` }),
    TCB_ENV: 'local',
    SCF_NAMESPACE: 'local',
    TENCENTCLOUD_SECRETID: 'bench',
    TENCENTCLOUD_SECRETKEY: 'bench',
    TENCENTCLOUD: 'true',
    WX_CONTEXT_KEYS: 'WX_OPENID,WX_APPID',
    // A mini-program's call, as login expects.
    TCB_SOURCE: 'wx_client',
    WX_OPENID: 'oColdStart',
    WX_APPID: 'wx8e4f0c1d2a3b5c67',
  }
  const once = (file: string) => {
    const started = performance.now()
    const run = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)}).main({}).then((r) => { if (!r.ok) process.exit(3) })`], { env })
    if (run.status !== 0) throw new Error(`cold start of ${file} failed: ${run.stderr}`)
    return performance.now() - started
  }
  const bundled: number[] = []
  const plain: number[] = []
  for (let i = 0; i < SIZES.coldRuns; i++) {
    bundled.push(once(join(PROJECT, 'cloudfunctions/login/index.js')))
    plain.push(once(unbundled))
  }
  // Each pair runs back to back: the median of their ratios is not moved by the machine's load drifting over the runs.
  return { bundledMs: median(bundled), unbundledMs: median(plain), ratio: median(bundled.map((ms, i) => ms / plain[i]!)) }
}

async function main(): Promise<void> {
  await Promise.all([buildEmulator(), buildFunctions()])
  await assembleProject()
  const emulator = await spawnEmulator({ project: PROJECT, args: emulatorArgs() })
  const h = new Harness(emulator)
  await h.createCollection('baseline_messages')
  /** The sends in flight per invocation, as send's instance is configured above. */
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? settings.dispatcher.concurrency)
  try {
    // Not measured: a timer-driven dispatcher runs warm after its first ticks (cold start is measured on its own).
    await measureDispatch(h, LATENCY_MS, SIZES.warmUp, 'oU')
    const dispatch = await measureDispatch(h, LATENCY_MS, SIZES.dispatch, 'oD')
    const slow = await measureDispatch(h, SLOW_LATENCY_MS, SIZES.slow, 'oW')
    await h.emulator.request('PUT', '/_emulator/wechat/faults', { latencyMs: LATENCY_MS })
    // The baseline's instance warmed up the same way.
    await measureBaseline(h, { mode: 'all' }, SIZES.warmUp, 'oB')
    // First of the baselines, as close as they get to the dispatcher's run, and as many messages.
    const bounded = await measureBaseline(h, { mode: 'bounded', concurrency }, SIZES.dispatch, 'oN')
    const sequential = await measureBaseline(h, { mode: 'sequential' }, SIZES.sequential, 'oS')
    const promiseAll = await measureBaseline(h, { mode: 'all' }, SIZES.promiseAll, 'oA')
    const granted = await h.grantedUsers('oG', settings.dispatcher.batchSize, 2 * SIZES.ticks.length)
    const ticks = []
    for (const [round, backlog] of SIZES.ticks.entries()) ticks.push(await measureTick(h, backlog, granted, round))
    await h.emulator.request('DELETE', '/_emulator/wechat/faults')
    const cold = await measureColdStart(emulator.url)
    // Back to back, so that the machine's load drifts least between the two.
    const cloud = await measureTransport('cloud')
    const https = await measureTransport('https')

    /** `concurrency` sends in flight the whole run, each taking WeChat's latency. */
    const idealRate = (latencyMs: number) => concurrency / (latencyMs / 1000)
    const ideal = idealRate(LATENCY_MS)
    const results = {
      quick: QUICK,
      latency_ms: LATENCY_MS,
      concurrency,
      messages: dispatch.sent,
      dispatch_msgs_per_s: round(dispatch.rate),
      ideal_msgs_per_s: ideal,
      ratio_vs_ideal: round(dispatch.rate / ideal, 3),
      ideal_ratio_200ms: round(slow.rate / idealRate(SLOW_LATENCY_MS), 3),
      sequential_msgs_per_s: round(sequential.rate),
      promise_all_msgs_per_s: round(promiseAll.rate),
      bounded_baseline_msgs_per_s: round(bounded.rate),
      ratio_vs_sequential: round(dispatch.rate / sequential.rate),
      ratio_vs_promise_all: round(dispatch.rate / promiseAll.rate, 2),
      ratio_vs_bounded_baseline: round(dispatch.rate / bounded.rate, 3),
      db_requests_per_message: round(dispatch.dbPerMessage, 3),
      docs_examined_per_message: round(dispatch.examinedPerMessage, 3),
      duplicates: dispatch.duplicates + slow.duplicates + cloud.duplicates + https.duplicates,
      // Where a message's CPU goes: send's instance, the emulator's main thread, and the whole process (both, the GC's threads too).
      cpu_ms_per_message: {
        instance: round(dispatch.cpuMsPerMessage.instance, 2),
        emulator: round(dispatch.cpuMsPerMessage.emulator, 2),
        process: round(dispatch.cpuMsPerMessage.process, 2),
      },
      peak_rss_mb: round(dispatch.peakRssMb),
      ticks: ticks.map((t) => ({ backlog: t.backlog, ms: round(t.ms), sent: t.sent, db_requests: t.dbRequests, docs_examined: t.examined })),
      tick_docs_examined_small: ticks[0]!.examined,
      tick_docs_examined_large: ticks.at(-1)!.examined,
      cold_start_bundled_ms: round(cold.bundledMs),
      cold_start_unbundled_ms: round(cold.unbundledMs),
      cold_start_ratio: round(cold.ratio, 3),
      // The largest function's bundle, as deployed.
      bundle_bytes: statSync(join(PROJECT, 'cloudfunctions/send/index.js')).size,
      transports: {
        cloud: transportFigures(cloud),
        https: transportFigures(https),
        https_minus_cloud: {
          db_requests_per_message: round(https.dbPerMessage - cloud.dbPerMessage, 3),
          docs_examined_per_message: round(https.examinedPerMessage - cloud.examinedPerMessage, 3),
          ms_per_message: round(1000 / https.rate - 1000 / cloud.rate, 3),
          instance_cpu_ms_per_message: round(https.cpuMsPerMessage.instance - cloud.cpuMsPerMessage.instance, 2),
        },
      },
    }
    const table = renderMarkdown(results)
    console.log(table)
    if (!QUICK) {
      const docs = join(ROOT, 'docs')
      if (!existsSync(docs)) mkdirSync(docs)
      writeFileSync(join(docs, 'bench.json'), `${JSON.stringify(results, null, 2)}\n`)
      writeFileSync(join(docs, 'bench.md'), `${table}\n`)
      writeFileSync(join(docs, 'bench.svg'), renderChart(results))
    }
    console.log(JSON.stringify(results))
  } finally {
    await emulator.stop()
  }
}

function transportFigures(t: Awaited<ReturnType<typeof measureTransport>>) {
  return {
    messages: t.sent,
    msgs_per_s: round(t.rate),
    db_requests_per_message: round(t.dbPerMessage, 3),
    docs_examined_per_message: round(t.examinedPerMessage, 3),
    instance_cpu_ms_per_message: round(t.cpuMsPerMessage.instance, 2),
    token_fetches: { warm_up: t.warmUpWechat.tokenFetches, measured: t.wechat.tokenFetches },
    sends: t.wechat.sends,
  }
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
