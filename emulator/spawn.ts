import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * Starts the emulator as its own process and drives it over HTTP only: what
 * tests, benchmarks and tools use, so that they meet the emulator as a user does.
 */
export const ROOT = resolve(__dirname, '..')
export const FIXTURE_PROJECT = join(ROOT, 'test/fixtures/probe-project')

export interface User {
  openid: string
  unionid?: string
}

export interface CallOptions {
  /** The call's SOURCE, in place of wx_client (with a user) or scf (without). */
  source?: string
}

export interface CallReply {
  status: number
  body: Record<string, unknown>
}

/** A running emulator process, driven only through its HTTP routes. */
export interface RunningEmulator {
  url: string
  output: string[]
  call(name: string, data?: unknown, user?: User, options?: CallOptions): Promise<CallReply>
  /** Calls and returns the function's result, failing the test when the call fails. */
  result<T = any>(name: string, data?: unknown, user?: User, options?: CallOptions): Promise<T>
  trigger(name: string, time?: string): Promise<CallReply>
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>
  stop(): Promise<void>
}

export interface SpawnOptions {
  /** Also print what the emulator prints (for a person watching, as `npm start` does). */
  echo?: boolean
  /** 0 (the default) lets the system choose. */
  port?: number
  project?: string
  /** A data folder; without it the emulator keeps everything in memory. */
  data?: string
  args?: string[]
  /** Variables added to the emulator's environment (`TZ` puts its host in another time zone). */
  env?: Record<string, string>
}

export async function spawnEmulator(options: SpawnOptions = {}): Promise<RunningEmulator> {
  const args = [
    // EMULATOR_NODE_ARGS passes Node flags to the emulator process, e.g. --cpu-prof to profile a benchmark.
    ...(process.env.EMULATOR_NODE_ARGS ? process.env.EMULATOR_NODE_ARGS.split(' ') : []),
    join(ROOT, 'build/emulator/cli.js'),
    '--port',
    String(options.port ?? 0),
    '--project',
    options.project ?? ROOT,
    ...(options.data ? ['--data', options.data] : ['--in-memory']),
    ...(options.args ?? ['--no-timers']),
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
  const output: string[] = []
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator did not start:\n${output.join('\n')}`)), 20_000)
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue
        output.push(line)
        if (options.echo) console.log(line)
        const ready = /ready (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
        if (ready) {
          clearTimeout(timer)
          resolveUrl(ready[1]!)
        }
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`emulator exited with ${code}:\n${output.join('\n')}`))
    })
  })
  return emulatorClient(url, child, output)
}

function emulatorClient(url: string, child: ChildProcess, output: string[]): RunningEmulator {
  const request = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : undefined }
  }
  const call = async (name: string, data?: unknown, user?: User, options: CallOptions = {}) =>
    request('POST', `/_emulator/functions/${encodeURIComponent(name)}/call`, { data, user, source: options.source }) as Promise<CallReply>
  return {
    url,
    output,
    call,
    request,
    async result(name, data, user, options) {
      const reply = await call(name, data, user, options)
      if (reply.status !== 200) throw new Error(`${name} failed (${reply.status}): ${JSON.stringify(reply.body)}`)
      return reply.body.result as never
    },
    trigger: (name, time) => request('POST', `/_emulator/functions/${encodeURIComponent(name)}/trigger`, time ? { time } : {}),
    stop: () =>
      new Promise<void>((resolveStop) => {
        if (child.exitCode !== null) return resolveStop()
        child.once('exit', () => resolveStop())
        child.kill('SIGTERM')
      }),
  }
}

/** Calls `probe` until `done` holds of its answer, or fails at the deadline: a wait for a condition, never a fixed sleep. */
export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, deadlineMs = 20_000): Promise<T> {
  const stop = Date.now() + deadlineMs
  for (;;) {
    const value = await probe()
    if (done(value)) return value
    if (Date.now() > stop) throw new Error(`${what}: not within ${deadlineMs} ms; last ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The fixture project copied to a folder of its own, changed by `edit`, served for one test with `args`. */
export async function withProjectCopy(edit: (project: string) => void, args: string[], use: (emulator: RunningEmulator) => Promise<void>): Promise<void> {
  const project = mkdtempSync(join(tmpdir(), 'project-'))
  try {
    cpSync(FIXTURE_PROJECT, project, { recursive: true })
    edit(project)
    const emulator = await spawnEmulator({ project, args: ['--no-timers', ...args] })
    try {
      await use(emulator)
    } finally {
      await emulator.stop()
    }
  } finally {
    rmSync(project, { recursive: true, force: true })
  }
}
