import { HTTP_BASE } from './config'
import { ENV_ID } from './generated/registry'

export interface AppData {
  openid?: string
  /** Where the functions are called over HTTP access; empty for wx.cloud (config.ts). */
  httpBase: string
}

/** Initialises wx.cloud for the project's environment; pages keep the caller's openid here after login. */
App<{ globalData: AppData }>({
  globalData: { httpBase: HTTP_BASE },
  onLaunch() {
    wx.cloud.init({ env: ENV_ID, traceUser: true })
  },
})
