import { login } from '../../lib/api'
import { sentenceOf } from '../../lib/words'

/**
 * Logs in through the `login` function: the openid comes from the function's
 * context, or from a code login over HTTP. A page built with Component(), as
 * the others, so that its WXML renders in tests; page lifecycles sit in methods.
 */
Component({
  data: { openid: '', error: '' },
  methods: {
    async onLoad() {
      const reply = await login()
      if (!reply.ok) {
        this.setData({ error: `登录没有成功：${sentenceOf(reply)}` })
        return
      }
      getApp<{ globalData: { openid?: string } }>().globalData.openid = reply.openid
      this.setData({ openid: reply.openid, error: '' })
    },
    openSubscriptions() {
      wx.navigateTo({ url: '/pages/subscriptions/subscriptions' })
    },
    openReminder() {
      wx.navigateTo({ url: '/pages/reminder/reminder' })
    },
  },
})
