/**
 * What an instance still has running: the event loop's active resources
 * (`process.getActiveResourcesInfo()`, which lists only what keeps the loop
 * alive, so an idle kept-alive connection, unref'd by its agent, is not
 * work), less what the runtime itself holds open, grouped as a person
 * reads them.
 */
import type { PendingWork } from './messages'

/** Node's resource types, by what they mean to a function's author. */
const KINDS: Record<string, keyof Omit<PendingWork, 'total' | 'other'>> = {
  Timeout: 'timers',
  Immediate: 'timers',
  TCPSocketWrap: 'requests',
  TCPConnectWrap: 'requests',
  TLSWrap: 'requests',
  GetAddrInfoReqWrap: 'requests',
  QueryReqWrap: 'requests',
  PipeConnectWrap: 'requests',
  FSReqCallback: 'files',
  FSReqPromise: 'files',
  FileHandle: 'files',
  FSEventWrap: 'files',
  StatWatcher: 'files',
}

type Counts = Map<string, number>

const countsOf = (types: string[]): Counts => {
  const counts: Counts = new Map()
  for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1)
  return counts
}

/** What keeps the event loop alive now, by type. */
export const activeResources = (): Counts => countsOf(process.getActiveResourcesInfo())

/** The runtime's own resources, taken before the function's bundle loads (its output streams opened first). */
export function resourceBaseline(): Counts {
  void process.stdout
  void process.stderr
  return activeResources()
}

/** What runs now beyond `baseline`: the runtime's own resources, or what was running when an invocation began. */
export function pendingWork(baseline: Counts): PendingWork {
  const work: PendingWork = { total: 0, timers: 0, requests: 0, files: 0, other: [] }
  for (const [type, count] of activeResources()) {
    const extra = count - (baseline.get(type) ?? 0)
    if (extra <= 0) continue
    work.total += extra
    const kind = KINDS[type]
    if (kind) work[kind] += extra
    else work.other.push(...Array<string>(extra).fill(type))
  }
  return work
}

/** "2 timers, 1 request": what a frozen invocation left behind, in words. */
export function describePending(work: PendingWork): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  const parts: string[] = []
  if (work.timers) parts.push(plural(work.timers, 'timer'))
  if (work.requests) parts.push(plural(work.requests, 'request'))
  if (work.files) parts.push(plural(work.files, 'file operation'))
  for (const [type, n] of countsOf(work.other)) parts.push(`${n} ${type}`)
  return parts.join(', ')
}
