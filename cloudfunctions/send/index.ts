import { callerContext } from '../../src/cloud'
import { answer } from '../../src/door'
import { SendActions } from '../../src/send/actions'

/** How long to wait for WeChat before a send's outcome counts as unknown (envVariables in cloudbaserc.json). */
const actions = new SendActions(Number(process.env.WECHAT_TIMEOUT_MS ?? 5000))

/** Sends a message now or later, cancels or shows one, broadcasts, and, on its timer, dispatches what is due. */
export async function main(event: unknown) {
  const caller = callerContext()
  return answer(() => actions.handle(caller, event))
}
