/**
 * What one tick leaves for the next, in the `dispatch_state` collection: a
 * pause until WeChat's daily count starts again (after 45009), and whether
 * the last single run could not send everything due (so the next tick fans
 * out). Read with one request per tick, whatever the backlog.
 */
import type { Database } from '../cloud'

export const DISPATCH_STATE = 'dispatch_state'
const PAUSE = 'daily-limit'
const FAN_OUT = 'fan-out'

export interface DispatchStateView {
  /** No message is sent before this (epoch ms), or 0. */
  pausedUntil: number
  fanOut: boolean
}

export class DispatchState {
  constructor(private readonly db: Database) {}

  async read(): Promise<DispatchStateView> {
    const _ = this.db.command
    const { data } = await this.db
      .collection(DISPATCH_STATE)
      .where({ _id: _.in([PAUSE, FAN_OUT]) })
      .get()
    const pause = data.find((d) => d._id === PAUSE)
    const fanOut = data.find((d) => d._id === FAN_OUT)
    return { pausedUntil: pause?.until instanceof Date ? pause.until.getTime() : 0, fanOut: fanOut?.on === true }
  }

  async pause(until: number): Promise<void> {
    await this.db.collection(DISPATCH_STATE).doc(PAUSE).set({ data: { until: new Date(until), at: this.db.serverDate() } })
  }

  async setFanOut(on: boolean): Promise<void> {
    await this.db.collection(DISPATCH_STATE).doc(FAN_OUT).set({ data: { on, at: this.db.serverDate() } })
  }
}
