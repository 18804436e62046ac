import { TEMPLATES, type RegistryTemplate } from '../../generated/registry'
import { subscriptionStatus, type Grant } from '../../lib/api'
import { flushReports, report } from '../../lib/reports'

/** WeChat shows at most 5 templates in one popup, all of one kind. */
const PER_POPUP = 5
/** wx.requestSubscribeMessage's error when the user turned subscription messages off. */
const MAIN_SWITCH_OFF = 20004

interface Row {
  id: string
  title: string
  kind: RegistryTemplate['kind']
  available: number
  status: Grant['status']
  /** The user ticked "always keep this choice" for it. */
  kept: string
}

function rowsOf(grants: Record<string, Grant>, kept: Record<string, string>): Row[] {
  return TEMPLATES.map((t) => ({
    id: t.id,
    title: t.title,
    kind: t.kind,
    available: grants[t.id]?.available ?? 0,
    status: grants[t.id]?.status ?? 'none',
    kept: kept[t.id] ?? '',
  }))
}

/** Why a template did not give a send, in words the user can act on. */
export function explain(results: Record<string, string>): string {
  const lines: string[] = []
  for (const t of TEMPLATES) {
    if (results[t.id] === 'reject') lines.push(`你拒绝了「${t.title}」，需要时可以再点一次订阅。`)
    if (results[t.id] === 'ban') lines.push(`「${t.title}」已被封禁，暂时无法订阅。`)
  }
  return lines.join('\n')
}

Page({
  data: { rows: [] as Row[], mainSwitch: true, notice: '' },

  onShow() {
    void this.refresh()
  },

  async refresh() {
    // A report an earlier tap could not deliver goes first, so the counts shown include it.
    await flushReports()
    const [status, setting] = await Promise.all([
      subscriptionStatus(),
      wx.getSetting({ withSubscriptions: true }) as Promise<WechatMiniprogram.GetSettingSuccessCallbackResult>,
    ])
    const subscriptions = setting.subscriptionsSetting ?? { mainSwitch: true }
    const kept = ((subscriptions as { itemSettings?: Record<string, string> }).itemSettings ?? {}) as Record<string, string>
    this.setData({
      rows: rowsOf(status.ok ? status.grants : {}, kept),
      mainSwitch: subscriptions.mainSwitch !== false,
    })
  },

  /** Called from a tap, as WeChat requires: asks for the templates of one kind. */
  subscribe(event: WechatMiniprogram.TouchEvent) {
    const kind = event.currentTarget.dataset.kind as RegistryTemplate['kind']
    const tmplIds = TEMPLATES.filter((t) => t.kind === kind)
      .slice(0, PER_POPUP)
      .map((t) => t.id)
    const requestId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
    wx.requestSubscribeMessage({
      tmplIds,
      success: async (results) => {
        const recorded = await report(results as unknown as Record<string, string>, requestId)
        if (!recorded) {
          wx.showToast({ title: '网络不佳，订阅结果稍后自动同步', icon: 'none' })
          return
        }
        const why = explain(results as unknown as Record<string, string>)
        if (why) wx.showModal({ title: '订阅结果', content: why, showCancel: false })
        else wx.showToast({ title: '订阅成功', icon: 'success' })
        await this.refresh()
      },
      fail: (error) => {
        if (error.errCode === MAIN_SWITCH_OFF) {
          wx.showModal({
            title: '订阅消息已关闭',
            content: '你关闭了订阅消息的总开关。请在右上角「…」→「设置」→「订阅消息」中打开后再试。',
            showCancel: false,
          })
          this.setData({ mainSwitch: false })
          return
        }
        wx.showToast({ title: `订阅没有完成（${error.errCode}）`, icon: 'none' })
      },
    })
  },
})
