/**
 * Where the emulator's CPU goes, behind `GET /_emulator/stats`: the whole
 * process (every thread, the garbage collector's included), its main thread
 * (the protocol, the database, WeChat's side), and each function's instances.
 * A thread's share is its event loop's active time, which is its CPU time
 * while it has a core to itself. Counted from the last reset, in ms.
 */
import { performance } from 'node:perf_hooks'

export interface CpuSnapshot {
  processMs: number
  emulatorMs: number
  functionsMs: Record<string, number>
}

export class CpuMeter {
  private base: CpuSnapshot

  constructor(private readonly functionsMs: () => Record<string, number>) {
    this.base = this.read()
  }

  reset(): void {
    this.base = this.read()
  }

  snapshot(): CpuSnapshot {
    const now = this.read()
    const functionsMs: Record<string, number> = {}
    for (const [name, ms] of Object.entries(now.functionsMs)) functionsMs[name] = round(ms - (this.base.functionsMs[name] ?? 0))
    return { processMs: round(now.processMs - this.base.processMs), emulatorMs: round(now.emulatorMs - this.base.emulatorMs), functionsMs }
  }

  private read(): CpuSnapshot {
    const { user, system } = process.cpuUsage()
    return { processMs: (user + system) / 1000, emulatorMs: performance.eventLoopUtilization().active, functionsMs: this.functionsMs() }
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10
