/**
 * The JSON messages WeChat pushes to the app's message-push receiver (the
 * subscribe_msg_* events of WeChat's message-push documentation). `List` is one object for one entry and an
 * array for more, as WeChat sends it.
 */
export interface WechatEvent {
  ToUserName: string
  FromUserName: string
  CreateTime: number
  MsgType: 'event'
  Event: 'subscribe_msg_popup_event' | 'subscribe_msg_change_event' | 'subscribe_msg_sent_event'
  List: Record<string, unknown> | Array<Record<string, unknown>>
}

/** The mini-program's original id, which WeChat puts in ToUserName. */
export const APP_ORIGINAL_ID = 'gh_0123456789ab'

function event(name: WechatEvent['Event'], openid: string, entries: Array<Record<string, unknown>>, now: number): WechatEvent {
  return {
    ToUserName: APP_ORIGINAL_ID,
    FromUserName: openid,
    CreateTime: Math.floor(now / 1000),
    MsgType: 'event',
    Event: name,
    List: entries.length === 1 ? entries[0]! : entries,
  }
}

export const popupEvent = (openid: string, entries: Array<Record<string, unknown>>, now: number) =>
  event('subscribe_msg_popup_event', openid, entries, now)
export const changeEvent = (openid: string, entries: Array<Record<string, unknown>>, now: number) =>
  event('subscribe_msg_change_event', openid, entries, now)
export const sentEvent = (openid: string, entries: Array<Record<string, unknown>>, now: number) =>
  event('subscribe_msg_sent_event', openid, entries, now)
