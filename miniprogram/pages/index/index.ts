import { login } from '../../lib/api'

/** Logs in through the `login` function: the openid comes from the function's context. */
Page({
  data: { openid: '', error: '' },
  async onLoad() {
    const reply = await login()
    if (!reply.ok) {
      this.setData({ error: reply.message })
      return
    }
    getApp<{ globalData: { openid?: string } }>().globalData.openid = reply.openid
    this.setData({ openid: reply.openid })
  },
  openSubscriptions() {
    wx.navigateTo({ url: '/pages/subscriptions/subscriptions' })
  },
  openReminder() {
    wx.navigateTo({ url: '/pages/reminder/reminder' })
  },
})
