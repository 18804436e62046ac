import { TEMPLATES } from '../../generated/registry'
import { scheduleToSelf } from '../../lib/api'

/** The self-service template this page schedules with, and how its keywords are filled. */
const REMINDER = TEMPLATES.find((t) => t.selfService && t.kind === 'one-time')!

/** `YYYY-MM-DD HH:MM` in the user's time, as a `time` keyword expects. */
function clock(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}`
}

Page({
  data: { title: REMINDER.title, what: '', minutes: 1, scheduled: '', error: '' },

  onWhat(event: WechatMiniprogram.Input) {
    this.setData({ what: event.detail.value })
  },

  /** Schedules a reminder to oneself `minutes` from now; it goes out if a send is left for the template. */
  async schedule() {
    const openid = getApp<{ globalData: { openid?: string } }>().globalData.openid
    if (!openid) {
      this.setData({ error: '请先登录' })
      return
    }
    const at = new Date(Date.now() + this.data.minutes * 60_000)
    const data: Record<string, string> = {}
    for (const keyword of REMINDER.keywords) data[keyword.key] = keyword.example
    data[REMINDER.keywords[0]!.key] = this.data.what || REMINDER.keywords[0]!.example
    const timeKey = REMINDER.keywords.find((k) => k.key.startsWith('time'))?.key
    if (timeKey) data[timeKey] = clock(at)
    const reply = await scheduleToSelf(openid, REMINDER.id, data, at.toISOString())
    if (!reply.ok) {
      this.setData({ error: `提醒没有设置成功（${reply.code}）` })
      return
    }
    this.setData({ scheduled: reply.messageId, error: '' })
    wx.showToast({ title: '提醒已设置', icon: 'success' })
  },
})
