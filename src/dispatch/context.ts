/** What a dispatcher run is given, shared by the dispatcher, its runs and their claims. */
import type { Database } from '../cloud'
import type { WechatApi } from '../wechat/contract'
import type { Ledger } from '../ledger/ledger'
import type { Outbox } from '../outbox/outbox'
import type { DispatchSettings, QuietHours } from '../settings'
import type { Timing } from '../timing'
import type { DispatchReport } from './report'
import type { DispatchState } from './state'

/**
 * When an invocation must be done. `deadline`: no message is taken up after
 * it. `until`: no WeChat call starts unless it, and its settling, end before it.
 */
export interface RunWindow {
  deadline: number
  until: number
}

export interface DispatchDeps {
  db: Database
  wechat: WechatApi['sendSubscribeMessage']
  timing: Timing
  settings: DispatchSettings
  /** Quiet hours: only urgent messages are claimed inside them. */
  quiet: QuietHours | null
  clock: () => number
  sleep: (ms: number) => Promise<void>
  /** Runs one shard in a parallel invocation (cloud.callFunction of `send` itself), within the window. */
  fanOut: (shard: number, window: RunWindow) => Promise<DispatchReport>
}

/** The deps with the stores over them, made once per dispatcher. */
export interface DispatchContext extends DispatchDeps {
  ledger: Ledger
  outbox: Outbox
  state: DispatchState
}
