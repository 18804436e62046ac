import { callerContext, database, sendSubscribeMessage } from '../../src/cloud'
import { answer } from '../../src/door'
import { Sender } from '../../src/send/send'

/** How long to wait for WeChat before a send's outcome counts as unknown (envVariables in cloudbaserc.json). */
const wechatTimeoutMs = Number(process.env.WECHAT_TIMEOUT_MS ?? 5000)

/** Sends one subscription message: validated, quota-safe, idempotent. */
export async function main(event: unknown) {
  const caller = callerContext()
  const sender = new Sender({ db: database(), wechat: sendSubscribeMessage, wechatTimeoutMs })
  return answer(() => sender.send(caller, event))
}
