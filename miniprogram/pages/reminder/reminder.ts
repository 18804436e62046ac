import { TEMPLATES } from '../../generated/registry'
import { cancelMessage, listMine, scheduleToSelf, type QueuedMessage } from '../../lib/api'
import { sentenceOf } from '../../lib/words'

/** The self-service template this page schedules with, and how its keywords are filled. */
const REMINDER = TEMPLATES.find((t) => t.selfService && t.kind === 'one-time')!
/** What a user sees for a queued message's status. */
const STATUS_TEXT: Record<string, string> = { scheduled: '待发送', waiting: '等待订阅', sending: '发送中' }
const PENDING = Object.keys(STATUS_TEXT)

/** `YYYY-MM-DD HH:MM` in the user's time, as a `time` keyword expects. */
function clock(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}`
}

/** One reminder per appointment: scheduling again for the same one replaces the reminder still waiting. */
const collapseKeyOf = (appointment: string) => `appointment-${appointment}`

/** A page built with Component(), as WeChat allows, so that its WXML renders in tests as a component's does; page lifecycles sit in methods. */
Component({
  data: {
    title: REMINDER.title,
    /** For the subscribe button: the one template this page schedules with. */
    reminderIds: [REMINDER.id],
    what: '',
    appointment: '1',
    minutes: 1,
    scheduled: '',
    replaced: 0,
    error: '',
    queue: [] as Array<{ id: string; when: string; status: string }>,
  },

  methods: {
    onShow() {
      return this.refresh()
    },

    onWhat(event: WechatMiniprogram.Input) {
      this.setData({ what: event.detail.value })
    },

    onAppointment(event: WechatMiniprogram.Input) {
      this.setData({ appointment: event.detail.value.replace(/[^0-9A-Za-z]/g, '').slice(0, 32) })
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
      const reply = await scheduleToSelf(openid, REMINDER.id, data, at.toISOString(), collapseKeyOf(this.data.appointment || '1'))
      if (!reply.ok) {
        this.setData({ error: sentenceOf(reply) })
        return
      }
      const replaced = reply.replaced?.length ?? 0
      this.setData({ scheduled: reply.messageId, replaced, error: '' })
      wx.showToast({ title: replaced ? '提醒已更新' : '提醒已设置', icon: 'success' })
      await this.refresh()
    },

    /** A tap on 取消 beside a queued reminder. */
    async cancel(event: WechatMiniprogram.BaseEvent) {
      const id = String(event.currentTarget.dataset.id)
      const reply = await cancelMessage(id)
      if (!reply.ok) this.setData({ error: sentenceOf(reply) })
      else wx.showToast({ title: '已取消', icon: 'success' })
      await this.refresh()
    },

    /** What is still to go out, from the user's own list. */
    async refresh() {
      const reply = await listMine(50)
      if (!reply.ok) return
      const queue = reply.messages
        .filter((m: QueuedMessage) => PENDING.includes(m.status))
        .map((m: QueuedMessage) => ({ id: m.messageId, when: m.dueAt ? clock(new Date(m.dueAt)) : '', status: STATUS_TEXT[m.status]! }))
      this.setData({ queue })
    },
  },
})
