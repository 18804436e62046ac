/**
 * A user's subscription settings as WeChat keeps them: the main switch and
 * the choices kept with "总是保持以上选择" (itemSettings), what
 * wx.getSetting({ withSubscriptions: true }) gives, and what the user may
 * change in the settings page wx.openSetting opens.
 */
import type { WechatStore } from './store'

/** What `wx.getSetting({ withSubscriptions: true })` gives the user. */
export function settingsView(store: WechatStore, openid: string) {
  const { mainSwitch, itemSettings } = store.settings(openid)
  return {
    errMsg: 'getSetting:ok',
    authSetting: {},
    subscriptionsSetting: { mainSwitch, ...(Object.keys(itemSettings).length ? { itemSettings } : {}) },
  }
}

/** A kept choice changed in the settings page, which lists only the templates kept; false for one that is not. */
export function changeKeptChoice(store: WechatStore, openid: string, templateId: string, choice: 'accept' | 'reject'): boolean {
  const settings = store.settings(openid)
  if (!Object.hasOwn(settings.itemSettings, templateId)) return false
  store.putSettings(openid, { ...settings, itemSettings: { ...settings.itemSettings, [templateId]: choice } })
  return true
}
