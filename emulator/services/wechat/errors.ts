/**
 * WeChat's error codes, each beside what the documentation of
 * subscribeMessage.send and of cloud calls says of it.
 */

// subscribeMessage.send (section 1)
/** System busy: transient. */
export const SYSTEM_BUSY = -1
/** touser is not a valid openid of this app. */
export const INVALID_OPENID = 40003
/** template_id invalid. */
export const INVALID_TEMPLATE_ID = 40037
/** page not in the released version's app.json. */
export const INVALID_PAGE = 41030
/** The user has not subscribed, unsubscribed, or the one-time quota is used up. */
export const NO_SUBSCRIPTION = 43101
/** Subscription capability or the template is banned. */
export const TEMPLATE_BANNED = 43107
/** Concurrent sends to the same user. */
export const CONCURRENT_SEND = 43108
/** Daily API quota reached. */
export const DAILY_LIMIT = 45009
/** Sensitive word in the content. */
export const SENSITIVE_CONTENT = 45168
/** Template data invalid; errmsg names the field. */
export const INVALID_DATA = 47003
/** Cloud call: invalid request parameter. */
export const INVALID_REQUEST_PARAM = -501007

// Template management (section 5)
/** At most 25 private templates. */
export const TOO_MANY_TEMPLATES = 200012
/** tid is not a template of the public library. */
export const INVALID_TID = 200014
/** kidList must name 2 to 5 keywords of the template. */
export const INVALID_KID_LIST = 200020
/** sceneDesc must be at most 15 characters. */
export const INVALID_SCENE_DESC = 200021

// security.msgSecCheck (cloud-runtime.md, Content security)
/** 2.0: scene is not 1 资料, 2 评论, 3 论坛 or 4 社交日志. */
export const INVALID_SCENE = 40129
/** 1.0: the text is risky. */
export const RISKY_CONTENT = 87014

// The HTTPS server API (wechat-server-api.md): credentials, access tokens, login codes
/** The access token is unknown, or no longer the latest (replaced past its overlap, or force-refreshed away). */
export const INVALID_CREDENTIAL = 40001
/** grant_type is not the one the endpoint takes. */
export const INVALID_GRANT_TYPE = 40002
export const INVALID_APPID = 40013
/** js_code unknown, used or older than 5 minutes. */
export const INVALID_CODE = 40029
export const INVALID_APPSECRET = 40125
/** A high-risk user: login blocked. */
export const CODE_BLOCKED = 40226
export const ACCESS_TOKEN_MISSING = 41001
export const APPID_MISSING = 41002
export const APPSECRET_MISSING = 41004
export const CODE_MISSING = 41008
export const ACCESS_TOKEN_EXPIRED = 42001
export const REQUIRE_GET = 43001
export const REQUIRE_POST = 43002
export const EMPTY_POST_DATA = 44002
/** More than 100 code exchanges a minute for one user. */
export const MINUTE_QUOTA = 45011
/** The body is not JSON. */
export const DATA_FORMAT_ERROR = 47001

// wx.requestSubscribeMessage failures (section 3)
/** tmplIds is empty. */
export const POPUP_EMPTY = 10001
/** No template data: an unknown id, or of the wrong type. */
export const POPUP_UNKNOWN_TEMPLATE = 20001
/** One-time and long-term ids mixed in one call. */
export const POPUP_MIXED_KINDS = 20002
/** More than 5 ids in one call. */
export const POPUP_TOO_MANY = 20003
/** The user's main switch for subscription messages is off. */
export const POPUP_MAIN_SWITCH_OFF = 20004

export interface WechatReply {
  errcode: number
  errmsg: string
  [field: string]: unknown
}

export const ok = (extra: Record<string, unknown> = {}): WechatReply => ({ errcode: 0, errmsg: 'ok', ...extra })
export const fail = (errcode: number, errmsg: string): WechatReply => ({ errcode, errmsg })
