/**
 * A simulated user's phone: the mini-program's app, built from miniprogram/,
 * launched in Node with `App`, `getApp` and a `wx` (its pages and components
 * render through test/support/render.ts with the same `wx`), whose cloud calls go to the emulator's control API as this user (mode
 * `cloud`), or, in mode `http`, with the app configured with the emulator's
 * HTTP access as its base URL, whose `wx.request` goes there and whose
 * `wx.login` gives a code the emulator's WeChat issues to this user; whose
 * subscription popup is answered through the emulator's WeChat with scripted
 * choices, and whose toasts and modals are recorded.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createContext, runInContext, type Context } from 'node:vm'
import type { RunningEmulator } from '../../emulator/spawn'
import { SIM_OUT as OUT } from './miniprogram-out'

type Choice = 'accept' | 'reject' | 'ban'
/** How the app reaches the functions: wx.cloud.callFunction, or wx.request to HTTP access with a session. */
export type Mode = 'cloud' | 'http'
type Callbacks<T> = { success?: (value: T) => void; fail?: (error: { errMsg: string; errCode?: number }) => void; complete?: () => void }

export class MiniProgram {
  readonly toasts: string[] = []
  readonly modals: Array<{ title?: string; content?: string }> = []
  readonly navigations: string[] = []
  /** The answer the user gives to each template in a popup. */
  choose: (templateId: string) => Choice = () => 'accept'
  /**
   * The user closes the popup without answering. WeChat's documentation does
   * not say what the call gives then: clients have been seen to answer every
   * template `reject` (leave this false and choose reject), or to fail with
   * `requestSubscribeMessage:fail cancel` (set this), so the button is tested under both.
   */
  closesPopup = false
  /** Calls to these functions (wx.cloud, or wx.request to their HTTP path) fail as a lost network does (the call may or may not have run), while set. */
  offline = new Set<string>()
  /** wx's local storage, kept across page loads as on a phone. */
  readonly storage = new Map<string, unknown>()
  /** Each wx.request, as `<status> <path>` (`200 /send`), in order. */
  readonly requests: string[] = []
  /** The codes wx.login gave. */
  readonly codes: string[] = []
  /** What the user does in WeChat's settings page when wx.openSetting opens it (nothing, unless a test says). */
  inSettings: () => Promise<void> = async () => undefined
  /** How often wx.openSetting was opened. */
  settingsOpened = 0
  /** The `wx` the app's code sees: here and, for rendered components, as the global `wx`. */
  readonly wxApi: ReturnType<MiniProgram['wx']>
  private readonly context: Context
  private app: any
  private pending = 0
  private inTap = false

  constructor(
    private readonly emulator: RunningEmulator,
    readonly openid: string,
    readonly mode: Mode = 'cloud',
  ) {
    this.wxApi = this.wx()
    this.context = createContext({
      App: (definition: any) => {
        this.app = definition
      },
      getApp: () => this.app,
      wx: this.wxApi,
      console,
      setTimeout,
      Promise,
      Date,
      Math,
      JSON,
    })
  }

  launch(): void {
    runInContext(readFileSync(join(OUT, 'app.js'), 'utf8'), this.context)
    // What miniprogram/config.ts's HTTP_BASE says on a device: here the emulator's HTTP access.
    if (this.mode === 'http') this.app.globalData.httpBase = `${this.emulator.url}/_http`
    this.app.onLaunch?.()
  }

  /** The app as getApp() gives it, once launched. */
  get instance(): any {
    return this.app
  }

  /**
   * Runs `gesture` as a user's tap: what its handler calls at once may open the
   * popup, as on a device. A rendered component gets the tap a microtask
   * later (j-component dispatches so), so the gesture lasts until the tasks
   * already queued have run.
   */
  async tapping(gesture: () => void): Promise<void> {
    this.inTap = true
    try {
      gesture()
      await new Promise((resolve) => setTimeout(resolve, 0))
    } finally {
      this.inTap = false
    }
  }

  /** Waits until every cloud call and popup the pages started has finished. */
  async idle(): Promise<void> {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      quiet = this.pending === 0 ? quiet + 1 : 0
    }
  }

  private async track<T>(work: Promise<T> | T): Promise<T> {
    this.pending += 1
    try {
      return await work
    } finally {
      this.pending -= 1
    }
  }

  /** Runs `work`, counted as pending, and answers through callbacks and a promise, as wx APIs do. */
  private api<T>(options: Callbacks<T>, work: () => Promise<T>): Promise<T> {
    const run = this.track(
      work().then(
        (value) => {
          options.success?.(value)
          options.complete?.()
          return value
        },
        (error) => {
          options.fail?.(error)
          options.complete?.()
          throw error
        },
      ),
    )
    if (options.success || options.fail) run.catch(() => undefined)
    return run
  }

  private wx() {
    const emulator = this.emulator
    return {
      cloud: {
        init: (_options: { env?: string }) => undefined,
        callFunction: (options: { name: string; data?: unknown } & Callbacks<unknown>) =>
          this.api(options, async () => {
            if (this.offline.has(options.name)) throw { errMsg: 'cloud.callFunction:fail request:fail timeout', errCode: -1 }
            const reply = await emulator.call(options.name, options.data ?? {}, { openid: this.openid })
            if (reply.status !== 200) throw { errMsg: reply.body.errMsg, errCode: reply.body.errCode }
            return reply.body
          }),
      },
      login: (options: Callbacks<{ code: string; errMsg: string }> = {}) =>
        this.api(options, async () => {
          const reply = await emulator.request('POST', '/_emulator/wechat/login-code', { openid: this.openid })
          if (reply.status !== 200) throw { errMsg: `login:fail ${JSON.stringify(reply.body)}` }
          this.codes.push(reply.body.code)
          return { code: reply.body.code as string, errMsg: 'login:ok' }
        }),
      request: (options: { url: string; method?: string; data?: unknown; header?: Record<string, string> } & Callbacks<{ statusCode: number; data: unknown; header: Record<string, string> }>) => {
        const path = new URL(options.url).pathname.replace(/^\/_http/, '')
        void this.api(options, async () => {
          if (this.offline.has(path.slice(1))) throw { errMsg: 'request:fail timeout' }
          const response = await fetch(options.url, {
            method: options.method ?? 'GET',
            headers: options.header ?? {},
            body: options.data === undefined ? undefined : JSON.stringify(options.data),
          })
          const text = await response.text()
          this.requests.push(`${response.status} ${path}`)
          let data: unknown = text
          try {
            data = JSON.parse(text)
          } catch {
            // Not JSON: wx.request gives the text.
          }
          return { statusCode: response.status, data, header: { 'content-type': response.headers.get('content-type') ?? '' } }
        })
        return { abort: () => undefined }
      },
      requestSubscribeMessage: (options: { tmplIds: string[] } & Callbacks<Record<string, string>>) => {
        // Since base library 2.8.2 the popup may only come from a tap.
        const fromTap = this.inTap
        return this.api(options, async () => {
          if (!fromTap) throw { errMsg: 'requestSubscribeMessage:fail can only be invoked by user TAP gesture.', errCode: 10005 }
          if (this.closesPopup) throw { errMsg: 'requestSubscribeMessage:fail cancel' }
          const choices = Object.fromEntries(options.tmplIds.map((id) => [id, this.choose(id)]))
          const reply = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid: this.openid, choices })
          if (reply.status !== 200) throw reply.body
          return reply.body
        })
      },
      getSetting: (options: { withSubscriptions?: boolean } & Callbacks<unknown> = {}) =>
        this.api(options, async () => {
          const reply = await emulator.request('GET', `/_emulator/wechat/settings?openid=${this.openid}`)
          return options.withSubscriptions ? reply.body : { errMsg: reply.body.errMsg, authSetting: reply.body.authSetting }
        }),
      getStorageSync: (key: string) => (this.storage.has(key) ? structuredClone(this.storage.get(key)) : ''),
      setStorageSync: (key: string, value: unknown) => {
        this.storage.set(key, structuredClone(value))
      },
      removeStorageSync: (key: string) => {
        this.storage.delete(key)
      },
      showToast: (options: { title: string }) => {
        this.toasts.push(options.title)
      },
      showModal: (options: { title?: string; content?: string } & Callbacks<{ confirm: boolean }>) => {
        this.modals.push({ title: options.title, content: options.content })
        return this.api(options, async () => ({ confirm: true, cancel: false }))
      },
      navigateTo: (options: { url: string }) => {
        this.navigations.push(options.url)
      },
      openSetting: (options: { withSubscriptions?: boolean } & Callbacks<unknown> = {}) =>
        this.api(options, async () => {
          this.settingsOpened += 1
          await this.inSettings()
          const reply = await emulator.request('GET', `/_emulator/wechat/settings?openid=${this.openid}`)
          return options.withSubscriptions ? reply.body : { errMsg: 'openSetting:ok', authSetting: reply.body.authSetting }
        }),
    }
  }
}
