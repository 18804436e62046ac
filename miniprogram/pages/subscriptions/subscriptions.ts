import { TEMPLATES, type RegistryTemplate } from '../../generated/registry'
import type { SubscribeResult } from '../../components/subscribe-button/subscribe-button'

/** WeChat shows at most 5 templates in one popup, all of one kind: one button per kind. */
const PER_POPUP = 5
const idsOf = (kind: RegistryTemplate['kind']) =>
  TEMPLATES.filter((t) => t.kind === kind)
    .slice(0, PER_POPUP)
    .map((t) => t.id)

/** The template a user may schedule to itself: once it is accepted, the reminder page is the next step. */
const SELF_SERVICE = TEMPLATES.filter((t) => t.selfService).map((t) => t.id)

/**
 * What the user holds, one subscribe button per kind. A page built with
 * Component(), as WeChat allows, so that its WXML renders in tests as a
 * component's does; the buttons refresh themselves when the page shows.
 */
Component({
  data: {
    oneTime: idsOf('one-time'),
    longTerm: idsOf('long-term'),
    /** Shown once a self-service template was accepted: what to do with it. */
    next: false,
  },

  methods: {
    onResult(event: WechatMiniprogram.CustomEvent<SubscribeResult>) {
      if (event.detail.accepted.some((id) => SELF_SERVICE.includes(id))) this.setData({ next: true })
    },

    openReminder() {
      wx.navigateTo({ url: '/pages/reminder/reminder' })
    },
  },
})
