/** The benchmark's results as a Markdown table and an SVG chart a reader can look at. */

export interface BenchResults {
  quick: boolean
  latency_ms: number
  concurrency: number
  messages: number
  dispatch_msgs_per_s: number
  ideal_msgs_per_s: number
  ratio_vs_ideal: number
  ideal_ratio_200ms: number
  sequential_msgs_per_s: number
  promise_all_msgs_per_s: number
  /** The naive sender (no lease, no ledger) held to `concurrency` sends in flight. */
  bounded_baseline_msgs_per_s: number
  ratio_vs_sequential: number
  ratio_vs_promise_all: number
  ratio_vs_bounded_baseline: number
  db_requests_per_message: number
  docs_examined_per_message: number
  duplicates: number
  cpu_ms_per_message: { instance: number; emulator: number; process: number }
  peak_rss_mb: number
  ticks: Array<{ backlog: number; ms: number; sent: number; db_requests: number; docs_examined: number }>
  cold_start_bundled_ms: number
  cold_start_unbundled_ms: number
  cold_start_ratio: number
  bundle_bytes: number
  /** The same dispatch run with send on each transport, each on an emulator of its own after the same warm-up. */
  transports: { cloud: TransportFigures; https: TransportFigures; https_minus_cloud: { db_requests_per_message: number; docs_examined_per_message: number; ms_per_message: number; instance_cpu_ms_per_message: number } }
}

interface Endpoints {
  stable_token: number
  token: number
}

export interface TransportFigures {
  messages: number
  msgs_per_s: number
  db_requests_per_message: number
  docs_examined_per_message: number
  /** CPU of send's instance per delivered message: where the HTTPS client's work would show. */
  instance_cpu_ms_per_message: number
  /** By endpoint, in the warm-up and in the measured run. */
  token_fetches: { warm_up: Endpoints; measured: Endpoints }
  /** Sends WeChat received in the measured run, by the way they came. */
  sends: { https: number; cloud: number }
}

const check = (ok: boolean) => (ok ? 'met' : 'NOT met')

export function renderMarkdown(r: BenchResults): string {
  const { cloud, https, https_minus_cloud: diff } = r.transports
  const fetches = (t: TransportFigures) => `${t.token_fetches.warm_up.stable_token} + ${t.token_fetches.warm_up.token} → ${t.token_fetches.measured.stable_token} + ${t.token_fetches.measured.token}`
  // Every send of each run went the way it says: none by the other transport, at least one per delivered message.
  const ownWay = cloud.sends.https === 0 && cloud.sends.cloud >= cloud.messages && https.sends.cloud === 0 && https.sends.https >= https.messages
  const ticksFlat = Math.max(...r.ticks.map((t) => t.docs_examined)) <= 1.2 * Math.min(...r.ticks.map((t) => t.docs_examined))
  const rows = [
    ['messages dispatched', `${r.messages}`, ''],
    ['dispatcher, msgs/s', `${r.dispatch_msgs_per_s}`, ''],
    [`ideal (concurrency ${r.concurrency} ÷ ${r.latency_ms} ms), msgs/s`, `${r.ideal_msgs_per_s}`, ''],
    ['ratio to ideal', `${r.ratio_vs_ideal}`, `≥ 0.8: ${check(r.ratio_vs_ideal >= 0.8)}`],
    ['ratio to ideal with WeChat at 200 ms', `${r.ideal_ratio_200ms}`, `≥ 0.9: ${check(r.ideal_ratio_200ms >= 0.9)}`],
    ['baseline one at a time, msgs/s', `${r.sequential_msgs_per_s}`, ''],
    ['baseline unbounded Promise.all, msgs/s', `${r.promise_all_msgs_per_s}`, ''],
    [`baseline bounded to concurrency ${r.concurrency}, msgs/s`, `${r.bounded_baseline_msgs_per_s}`, ''],
    ['ratio to one at a time', `${r.ratio_vs_sequential}`, `≥ 20: ${check(r.ratio_vs_sequential >= 20)}`],
    ['ratio to Promise.all', `${r.ratio_vs_promise_all}`, `≥ 0.8: ${check(r.ratio_vs_promise_all >= 0.8)}`],
    ['ratio to the bounded baseline', `${r.ratio_vs_bounded_baseline}`, `≥ 0.85: ${check(r.ratio_vs_bounded_baseline >= 0.85)}`],
    ['database requests per delivered message', `${r.db_requests_per_message}`, `≤ 2.1: ${check(r.db_requests_per_message <= 2.1)}`],
    ['documents examined per delivered message', `${r.docs_examined_per_message}`, ''],
    ['duplicates', `${r.duplicates}`, `0: ${check(r.duplicates === 0)}`],
    ['CPU ms per message: send\'s instance / emulator main thread / whole process', `${r.cpu_ms_per_message.instance} / ${r.cpu_ms_per_message.emulator} / ${r.cpu_ms_per_message.process}`, ''],
    ['peak emulator memory (RSS, MB)', `${r.peak_rss_mb}`, ''],
    ...r.ticks.map((t) => [`one tick at a backlog of ${t.backlog}: ms / db requests / docs examined`, `${t.ms} / ${t.db_requests} / ${t.docs_examined}`, '']),
    ['tick documents examined independent of the backlog', ticksFlat ? 'yes' : 'no', check(ticksFlat)],
    ['cold start bundled / unbundled, median ms', `${r.cold_start_bundled_ms} / ${r.cold_start_unbundled_ms}`, ''],
    ['cold-start ratio', `${r.cold_start_ratio}`, `≤ 0.6: ${check(r.cold_start_ratio <= 0.6)}`],
    ["send's bundle, bytes", `${r.bundle_bytes}`, ''],
    [`transport cloud / https, ${cloud.messages} / ${https.messages} messages each after a warm-up: msgs/s`, `${cloud.msgs_per_s} / ${https.msgs_per_s}`, ''],
    ['transport cloud / https: database requests per delivered message', `${cloud.db_requests_per_message} / ${https.db_requests_per_message}`, ''],
    ['transport cloud / https: documents examined per delivered message', `${cloud.docs_examined_per_message} / ${https.docs_examined_per_message}`, ''],
    ["transport cloud / https: send's instance CPU ms per delivered message", `${cloud.instance_cpu_ms_per_message} / ${https.instance_cpu_ms_per_message}`, ''],
    ['token fetches, stable_token + token, warm-up → measured: cloud; https', `${fetches(cloud)}; ${fetches(https)}`, ''],
    ['sends WeChat received, https / cloud: cloud run; https run', `${cloud.sends.https} / ${cloud.sends.cloud}; ${https.sends.https} / ${https.sends.cloud}`, `each by its transport: ${check(ownWay)}`],
    ["https − cloud per message: database requests / documents examined / ms / instance CPU ms", `${diff.db_requests_per_message} / ${diff.docs_examined_per_message} / ${diff.ms_per_message} / ${diff.instance_cpu_ms_per_message}`, ''],
  ]
  return ['| measure | value | goal |', '|---|---|---|', ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n')
}

/** How tall `bars` draws `count` items under their title. */
const barsHeight = (count: number) => 14 + count * 26

function bars(x: number, y: number, title: string, items: Array<[string, number]>, unit: string): string {
  const max = Math.max(...items.map(([, v]) => v), 1)
  const width = 420
  const out = [`<text x="${x}" y="${y}" font-weight="bold">${title}</text>`]
  items.forEach(([label, value], i) => {
    const top = y + barsHeight(i)
    const w = Math.max(1, (value / max) * width)
    out.push(`<text x="${x}" y="${top + 14}">${label}</text>`)
    out.push(`<rect x="${x + 230}" y="${top + 2}" width="${w.toFixed(1)}" height="16" fill="#3b7dd8"/>`)
    out.push(`<text x="${x + 236 + w}" y="${top + 14}">${value} ${unit}</text>`)
  })
  return out.join('\n')
}

export function renderChart(r: BenchResults): string {
  const rates: Array<[string, number]> = [
    ['ideal (concurrency ÷ latency)', r.ideal_msgs_per_s],
    ['this dispatcher', r.dispatch_msgs_per_s],
    [`naive, ${r.concurrency} in flight`, r.bounded_baseline_msgs_per_s],
    ['unbounded Promise.all', r.promise_all_msgs_per_s],
    ['one at a time', r.sequential_msgs_per_s],
  ]
  const throughput = bars(20, 30, `Dispatching ${r.messages} messages, ${r.latency_ms} ms WeChat latency`, rates, 'msgs/s')
  const noteTop = 30 + barsHeight(rates.length) + 8
  const note = [
    `<text x="20" y="${noteTop}" fill="#555">The baselines reserve no quota and take no lease: a retried run sends twice.</text>`,
    `<text x="20" y="${noteTop + 16}" fill="#555">This dispatcher: ${r.db_requests_per_message} database requests per message, ${r.duplicates} duplicates; at 200 ms, ${r.ideal_ratio_200ms} of its ideal.</text>`,
  ].join('\n')
  const ticksTop = noteTop + 49
  const ticks = bars(20, ticksTop, 'Documents examined by one tick, by due backlog', r.ticks.map((t) => [`backlog ${t.backlog}`, t.docs_examined]), 'docs')
  const cpuTop = ticksTop + barsHeight(r.ticks.length) + 26
  const cpuItems: Array<[string, number]> = [
    ["send's instance", r.cpu_ms_per_message.instance],
    ["emulator's main thread", r.cpu_ms_per_message.emulator],
    ['whole emulator process', r.cpu_ms_per_message.process],
  ]
  const cpu = bars(20, cpuTop, 'CPU per message (event-loop active time; the process counts every thread)', cpuItems, 'ms')
  const height = cpuTop + barsHeight(cpuItems.length) + 20
  return `<svg xmlns="http://www.w3.org/2000/svg" width="820" height="${height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
${throughput}
${note}
${ticks}
${cpu}
</svg>
`
}
