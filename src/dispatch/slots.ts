/**
 * A counting semaphore: at most `size` holders at once, the rest served in
 * the order they asked. The dispatcher holds one slot per WeChat send, so
 * that `concurrency` bounds the sends in flight, not the workers.
 */
export class Slots {
  private free: number
  private readonly queue: Array<() => void> = []

  constructor(size: number) {
    this.free = size
  }

  /** Resolves with the slot's release once one is free; release it once. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free -= 1
    else await new Promise<void>((resolve) => this.queue.push(resolve))
    let released = false
    return () => {
      if (released) return
      released = true
      // Handed straight to the next in line, or back to the pool.
      const next = this.queue.shift()
      if (next) next()
      else this.free += 1
    }
  }
}
