/**
 * Where the emulator's CPU goes, behind `GET /_emulator/stats`: all of it
 * (its own process, the garbage collector's threads included, and the
 * function instances' processes as of their last replies), its main event
 * loop (the protocol, the database, WeChat's side), and each function's
 * instances. An event loop's share is its active time, which is its CPU
 * time while it has a core to itself. Counted from the last reset, in ms.
 */
import { performance } from 'node:perf_hooks'

export interface CpuSnapshot {
  processMs: number
  emulatorMs: number
  functionsMs: Record<string, number>
}

export class CpuMeter {
  private base: CpuSnapshot

  constructor(
    private readonly functionsMs: () => Record<string, number>,
    /** The instances' processes' CPU time. */
    private readonly instancesCpuMs: () => number,
  ) {
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
    return { processMs: (user + system) / 1000 + this.instancesCpuMs(), emulatorMs: performance.eventLoopUtilization().active, functionsMs: this.functionsMs() }
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10
