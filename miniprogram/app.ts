import { ENV_ID } from './generated/registry'

export interface AppData {
  openid?: string
}

/** Initialises wx.cloud for the project's environment; pages keep the caller's openid here after login. */
App<{ globalData: AppData }>({
  globalData: {},
  onLaunch() {
    wx.cloud.init({ env: ENV_ID, traceUser: true })
  },
})
