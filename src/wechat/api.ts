/**
 * The WeChat the functions talk to, chosen once by `wechat.transport`: cloud
 * call (the platform vouches for the function: no secret, no token), or
 * HTTPS with the AppID, WECHAT_APP_SECRET and the environment's one access
 * token. Whoever holds the result cannot tell which it has.
 */
import { database, getTemplateList, sendSubscribeMessage } from '../cloud'
import type { Settings } from '../settings'
import type { WechatApi } from './contract'
import { credentials, httpsApi } from './https-api'

const CLOUD: WechatApi = { transport: 'cloud', sendSubscribeMessage, getTemplateList }

/** Opens nothing until its first call. Make it once per instance: under HTTPS it keeps the token in memory. */
export function wechatApi(settings: Pick<Settings, 'wechat' | 'timing'>, env: Record<string, string | undefined> = process.env): WechatApi {
  if (settings.wechat.transport === 'cloud') return CLOUD
  return httpsApi({ db: database, credentials: credentials(env), timing: settings.timing })
}
