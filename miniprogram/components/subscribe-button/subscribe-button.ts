/**
 * A button that asks for subscriptions and handles every answer the popup
 * can give: what the user holds (one-time: how many sends are left;
 * long-term: on or off), the popup's result reported to subscribe-record
 * through the phone's report queue, and Chinese guidance for each state
 * WeChat can be in: the main switch off, a template kept as "always reject"
 * or "always accept", a popup cancelled, WeChat's errors, no network, and
 * the function's refusals. It emits `result` so a page can react.
 */
import { TEMPLATES, type RegistryTemplate } from '../../generated/registry'
import { subscriptionStatus, type Grant } from '../../lib/api'
import { flushReports, report } from '../../lib/reports'
import { popupError, sentenceOf } from '../../lib/words'

const MAIN_SWITCH_OFF = 20004

type Kept = 'accept' | 'reject'

interface Item {
  id: string
  title: string
  kind: RegistryTemplate['kind']
  /** 剩余 N 次, or 已开启 / 未开启. */
  count: string
  kept: Kept | ''
}

/** A sheet that explains a state and, where the user can change it, offers WeChat's settings. */
interface Guide {
  kind: 'switch-off' | 'kept-reject' | 'cancelled'
  title: string
  text: string
  /** Opens wx.openSetting when set. */
  action: string
}

export interface SubscribeResult {
  accepted: string[]
  rejected: string[]
  banned: string[]
  kept: Record<string, Kept>
}

const titles = (items: Item[]) => items.map((i) => `「${i.title}」`).join('、')

function countOf(template: RegistryTemplate, grant: Grant | undefined): string {
  if (template.kind === 'long-term') return grant?.status === 'accept' && grant.available > 0 ? '已开启' : '未开启'
  return `剩余 ${grant?.available ?? 0} 次`
}

/**
 * The templates as given, titled from the registry. Their number and kinds are
 * WeChat's to judge (20002, 20003), and said to the user as WeChat answers:
 * the popup is asked for as the page placed it.
 */
function templatesOf(ids: unknown): RegistryTemplate[] {
  const list = Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : []
  return list.map((id) => TEMPLATES.find((t) => t.id === id) ?? { id, title: '提醒', kind: 'one-time', selfService: false, keywords: [] })
}

const switchOff = (): Guide => ({
  kind: 'switch-off',
  title: '订阅消息已关闭',
  text: '你关闭了订阅消息的总开关，提醒发不出来。请在设置中打开「接收订阅消息」后再订阅。',
  action: '去设置',
})

const keptReject = (items: Item[]): Guide => ({
  kind: 'kept-reject',
  title: '已设为总是拒绝',
  text: `你对${titles(items)}选择了“总是保持以上选择”并拒绝，点订阅不会再弹出窗口。可以在设置中改为接收。`,
  action: '去设置',
})

Component({
  properties: {
    templates: { type: Array, value: [] as string[] },
    text: { type: String, value: '订阅提醒' },
  },

  data: {
    items: [] as Item[],
    ready: false,
    /** A line under the button: the last outcome, or why nothing happened. */
    notice: '',
    /** Templates kept as "always accept", said once so the user knows no popup will show. */
    keptAccept: '',
    guide: null as Guide | null,
  },

  lifetimes: {
    attached() {
      void this.refresh()
    },
  },

  pageLifetimes: {
    show() {
      void this.refresh()
    },
  },

  methods: {
    /** What the user holds, and what WeChat's settings say, shown again. */
    async refresh() {
      const templates = templatesOf(this.data.templates)
      if (templates.length === 0) {
        this.setData({ ready: false, notice: '没有要订阅的提醒。', items: [] })
        return
      }
      let status: Awaited<ReturnType<typeof subscriptionStatus>>
      let setting: WechatMiniprogram.GetSettingSuccessCallbackResult
      try {
        // A report an earlier tap could not deliver goes first, so the counts shown include it.
        await flushReports()
        ;[status, setting] = await Promise.all([
          subscriptionStatus(templates.map((t) => t.id)),
          wx.getSetting({ withSubscriptions: true }) as Promise<WechatMiniprogram.GetSettingSuccessCallbackResult>,
        ])
      } catch {
        // Still tappable: WeChat's popup needs no network of ours, and its result waits on the phone.
        const unknown = templates.map((t) => ({ id: t.id, title: t.title, kind: t.kind, count: '暂时无法获取', kept: '' as const }))
        this.setData({ items: unknown, ready: true, notice: '网络不佳，暂时无法获取订阅状态。' })
        return
      }
      const subscriptions = (setting.subscriptionsSetting ?? { mainSwitch: true }) as { mainSwitch?: boolean; itemSettings?: Record<string, string> }
      const kept = subscriptions.itemSettings ?? {}
      const grants = status.ok ? status.grants : {}
      const items: Item[] = templates.map((t) => ({ id: t.id, title: t.title, kind: t.kind, count: countOf(t, grants[t.id]), kept: kept[t.id] === 'accept' || kept[t.id] === 'reject' ? (kept[t.id] as Kept) : '' }))
      const rejecting = items.filter((i) => i.kept === 'reject')
      const accepting = items.filter((i) => i.kept === 'accept')
      const guide = subscriptions.mainSwitch === false ? switchOff() : rejecting.length ? keptReject(rejecting) : null
      this.setData({
        items,
        ready: true,
        guide,
        notice: status.ok ? '' : sentenceOf(status),
        keptAccept: accepting.length ? `你对${titles(accepting)}选择了总是接收：点订阅不会弹出窗口，${accepting[0]!.kind === 'one-time' ? '每点一次增加一次提醒。' : '提醒保持开启。'}` : '',
      })
    },

    /** From the tap, as WeChat requires: the popup for this component's templates. */
    onTap() {
      const ids = this.data.items.map((i) => i.id)
      const requestId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
      wx.requestSubscribeMessage({
        tmplIds: ids,
        success: (results) => void this.answered(results as unknown as Record<string, string>, requestId),
        fail: (error) => this.failed(error as { errCode?: number; errMsg?: string }),
      })
    },

    async answered(results: Record<string, string>, requestId: string) {
      const items = this.data.items
      const pick = (outcome: string) => items.filter((i) => results[i.id] === outcome)
      const accepted = pick('accept')
      const rejected = pick('reject')
      const banned = pick('ban')
      const kept: Record<string, Kept> = {}
      for (const item of items) if (item.kept) kept[item.id] = item.kept
      const detail: SubscribeResult = { accepted: accepted.map((i) => i.id), rejected: rejected.map((i) => i.id), banned: banned.map((i) => i.id), kept }
      this.triggerEvent('result', detail)
      const lines: string[] = []
      if (banned.length) lines.push(`${titles(banned)}已被停用，暂时无法订阅。`)
      const keptRejecting = rejected.filter((i) => i.kept === 'reject')
      const cancelled = rejected.length === items.length && keptRejecting.length === 0
      let guide: Guide | null = null
      if (keptRejecting.length) guide = keptReject(keptRejecting)
      else if (cancelled) guide = { kind: 'cancelled', title: '没有订阅', text: '你没有同意订阅，收不到这类提醒。需要时可以再点一次订阅。', action: '' }
      else if (rejected.length) lines.push(`你拒绝了${titles(rejected)}，需要时可以再点一次订阅。`)
      if (accepted.some((i) => i.kept === 'accept')) lines.push('已按你“总是接收”的选择订阅，没有弹出窗口。')
      const grants = await report(results, requestId).catch(() => undefined)
      if (!grants) lines.push('网络不佳，订阅结果已保存在手机上，稍后自动同步。')
      else if (accepted.length && !lines.length) lines.push('订阅成功。')
      if (grants) await this.refresh()
      // This answer's guide, else, once the counts are read again, the one the settings call for.
      this.setData({ guide: guide ?? (grants ? this.data.guide : null), notice: lines.join('') })
    },

    failed(error: { errCode?: number; errMsg?: string }) {
      if (error.errCode === MAIN_SWITCH_OFF) {
        this.setData({ guide: switchOff(), notice: '' })
        return
      }
      if (/cancel/.test(error.errMsg ?? '')) {
        this.setData({ guide: { kind: 'cancelled', title: '没有订阅', text: '你关闭了订阅窗口，收不到这类提醒。需要时可以再点一次订阅。', action: '' }, notice: '' })
        return
      }
      this.setData({ notice: popupError(error.errCode) })
    },

    /** The guide's action: WeChat's settings, then what they say now. */
    openSetting() {
      wx.openSetting({
        withSubscriptions: true,
        complete: () => void this.refresh(),
      } as WechatMiniprogram.OpenSettingOption)
    },

    closeGuide() {
      this.setData({ guide: null })
    },
  },
})
