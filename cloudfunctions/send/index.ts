import { Campaigns } from '../../src/campaigns/campaigns'
import { callFunction, callerContext, database, getTemplateList, sendSubscribeMessage, type CallerContext } from '../../src/cloud'
import { Dispatcher, type DispatchReport } from '../../src/dispatch/dispatcher'
import { answer } from '../../src/door'
import { isRecord } from '../../src/input'
import { CODES, refuse, success } from '../../src/replies'
import { requireServer } from '../../src/send/request'
import { Sender, defaultSleep } from '../../src/send/send'
import { SETTINGS } from '../../src/settings'
import { registryFromAccount } from '../../src/templates/sync'

/** How long to wait for WeChat before a send's outcome counts as unknown (envVariables in cloudbaserc.json). */
const wechatTimeoutMs = Number(process.env.WECHAT_TIMEOUT_MS ?? 5000)

/** A timer event's Time later than the clock moves the tick's clock forward (the platform never sends one; tests do). */
function clockAhead(time: unknown): number {
  const at = typeof time === 'string' ? Date.parse(time) : typeof time === 'number' ? time : Number.NaN
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 0
}

function dispatcher(offset: number) {
  return new Dispatcher({
    db: database(),
    wechat: sendSubscribeMessage,
    wechatTimeoutMs,
    settings: SETTINGS.dispatcher,
    clock: () => Date.now() + offset,
    sleep: defaultSleep,
    fanOut: async (shard, deadline) => {
      const reply = await callFunction<{ ok: boolean; report: DispatchReport }>('send', { action: 'dispatch', shard, deadline, clockAhead: offset })
      return reply.report
    },
  })
}

/** Sends a message now or later, cancels or shows one, and, on its timer, dispatches what is due. */
export async function main(event: unknown) {
  const caller: CallerContext = callerContext()
  const request = isRecord(event) ? event : {}
  const sender = new Sender({ db: database(), wechat: sendSubscribeMessage, wechatTimeoutMs })
  const campaigns = (offset = 0) => new Campaigns(database(), SETTINGS.campaigns.pageSize, () => Date.now() + offset)
  return answer(async () => {
    if (!caller.openid && request.Type === 'timer') {
      const offset = clockAhead(request.Time)
      const deadline = Date.now() + SETTINGS.dispatcher.budgetMs
      // Broadcasts still queuing get a third of the tick; then everything due is dispatched.
      const queued = await campaigns(offset).advance(Date.now() + SETTINGS.dispatcher.budgetMs / 3)
      return success({ report: { ...(await dispatcher(offset).tick(deadline)), campaignQueued: queued } })
    }
    switch (request.action) {
      case undefined:
        return sender.send(caller, event)
      case 'cancel':
        return sender.cancel(caller, event)
      case 'get':
        return sender.get(caller, event)
      case 'broadcast':
        return campaigns().broadcast(caller, event, SETTINGS.dispatcher.budgetMs / 3)
      case 'campaign':
        return campaigns().report(caller, event)
      case 'templates':
        requireServer(caller, 'templates')
        return success({ templates: registryFromAccount(await getTemplateList()) })
      case 'dispatch': {
        requireServer(caller, 'dispatch')
        const { shard, deadline, clockAhead: offset } = request
        if (!Number.isInteger(shard) || typeof deadline !== 'number' || typeof offset !== 'number') {
          return refuse(CODES.INVALID_ARGUMENT, 'dispatch takes shard, deadline and clockAhead')
        }
        return success({ report: await dispatcher(offset).run(shard as number, deadline) })
      }
      default:
        return refuse(CODES.INVALID_ARGUMENT, 'action must be cancel, get, broadcast, campaign or templates, or left out', { field: 'action' })
    }
  })
}
