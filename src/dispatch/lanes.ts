/**
 * The dispatcher's work queue: the messages of every claim a run holds, in
 * one lane per recipient so that one user's messages go out one after
 * another (WeChat answers 43108 to a second send in flight to one user),
 * drawn by a fixed set of workers. Claims keep arriving while earlier ones
 * drain; whoever waits for a change (a worker for a lane, the feeder for
 * room) is woken by every change and checks again.
 */
import type { MessageRecord } from '../outbox/outbox'
import type { Claim } from './claim'

export interface Work {
  message: MessageRecord
  claim: Claim
}

export class Lanes {
  /** Recipient → messages not yet taken up; a lane stays here while a worker runs it. */
  private readonly lanes = new Map<string, Work[]>()
  /** Recipients whose lane has messages and no worker. */
  private readonly ready: string[] = []
  private waitingCount = 0
  private runningCount = 0
  private closed = false
  private wakers: Array<() => void> = []

  add(claim: Claim): void {
    for (const message of claim.messages) {
      const lane = this.lanes.get(message.touser)
      if (lane) lane.push({ message, claim })
      else {
        this.lanes.set(message.touser, [{ message, claim }])
        this.ready.push(message.touser)
      }
      this.waitingCount += 1
    }
    this.changed()
  }

  /** Messages claimed and not yet taken up by a worker. */
  get waiting(): number {
    return this.waitingCount
  }

  /** Nothing waits and no worker runs a lane. */
  get idle(): boolean {
    return this.waitingCount === 0 && this.runningCount === 0
  }

  /** A lane for a worker to run, once one is ready; undefined when the queue is closed. */
  async nextLane(): Promise<string | undefined> {
    for (;;) {
      if (this.closed) return undefined
      const recipient = this.ready.shift()
      if (recipient !== undefined) {
        this.runningCount += 1
        return recipient
      }
      await this.change()
    }
  }

  /** The lane's next message; undefined when it has none left, and the worker is then done with it. */
  take(recipient: string): Work | undefined {
    const lane = this.lanes.get(recipient)!
    const work = lane.shift()
    if (work) this.waitingCount -= 1
    else {
      this.lanes.delete(recipient)
      this.runningCount -= 1
    }
    this.changed()
    return work
  }

  /** No lane is handed out any more; waiting workers return. */
  close(): void {
    this.closed = true
    this.changed()
  }

  /** Resolves once `condition` holds, checked after each change. */
  async until(condition: () => boolean): Promise<void> {
    while (!condition()) await this.change()
  }

  private change(): Promise<void> {
    return new Promise((resolve) => this.wakers.push(resolve))
  }

  private changed(): void {
    const wakers = this.wakers
    this.wakers = []
    for (const wake of wakers) wake()
  }
}
