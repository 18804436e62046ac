import { login } from '../../lib/api'

/** Logs in through the `login` function: the openid comes from the function's context, or from a code login over HTTP. */
Page({
  data: { openid: '', error: '' },
  async onLoad() {
    const reply = await login()
    if (!reply.ok) {
      this.setData({ error: `登录失败（${reply.code}），请稍后再试` })
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
