/**
 * What `send` does with an event: a message now or later, cancel, get,
 * broadcast, campaign and templates, a dispatch shard from a fanned-out
 * tick, and, on its timer, the tick itself.
 */
import { Campaigns } from '../campaigns/campaigns'
import { callFunction, database, getTemplateList, sendSubscribeMessage, type CallerContext } from '../cloud'
import { Dispatcher, type DispatchReport } from '../dispatch/dispatcher'
import { isRecord } from '../input'
import { CODES, refuse, success } from '../replies'
import { SETTINGS } from '../settings'
import { registryFromAccount } from '../templates/sync'
import { requireServer } from './request'
import { Sender, defaultSleep } from './send'

/** A timer event's Time later than the clock moves the tick's clock forward (the platform never sends one; tests do). */
export function clockAhead(time: unknown): number {
  const at = typeof time === 'string' ? Date.parse(time) : typeof time === 'number' ? time : Number.NaN
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 0
}

export class SendActions {
  constructor(private readonly wechatTimeoutMs: number) {}

  private dispatcher(offset: number): Dispatcher {
    return new Dispatcher({
      db: database(),
      wechat: sendSubscribeMessage,
      wechatTimeoutMs: this.wechatTimeoutMs,
      settings: SETTINGS.dispatcher,
      clock: () => Date.now() + offset,
      sleep: defaultSleep,
      fanOut: async (shard, deadline) => {
        const reply = await callFunction<{ ok: boolean; report: DispatchReport }>('send', { action: 'dispatch', shard, deadline, clockAhead: offset })
        return reply.report
      },
    })
  }

  private campaigns(offset = 0): Campaigns {
    return new Campaigns(database(), SETTINGS.campaigns.pageSize, () => Date.now() + offset)
  }

  async handle(caller: CallerContext, event: unknown): Promise<Record<string, unknown>> {
    const request = isRecord(event) ? event : {}
    const { budgetMs } = SETTINGS.dispatcher
    if (!caller.openid && request.Type === 'timer') {
      const offset = clockAhead(request.Time)
      const deadline = Date.now() + budgetMs
      // Broadcasts still queuing get a third of the tick; then everything due is dispatched.
      const campaignQueued = await this.campaigns(offset).advance(Date.now() + budgetMs / 3)
      return success({ report: { ...(await this.dispatcher(offset).tick(deadline)), campaignQueued } })
    }
    const sender = new Sender({ db: database(), wechat: sendSubscribeMessage, wechatTimeoutMs: this.wechatTimeoutMs })
    switch (request.action) {
      case undefined:
        return sender.send(caller, event)
      case 'cancel':
        return sender.cancel(caller, event)
      case 'get':
        return sender.get(caller, event)
      case 'broadcast':
        return this.campaigns().broadcast(caller, event, budgetMs / 3)
      case 'campaign':
        return this.campaigns().report(caller, event)
      case 'templates':
        requireServer(caller, 'templates')
        return success({ templates: registryFromAccount(await getTemplateList()) })
      case 'dispatch': {
        requireServer(caller, 'dispatch')
        const { shard, deadline, clockAhead: offset } = request
        if (!Number.isInteger(shard) || typeof deadline !== 'number' || typeof offset !== 'number') {
          return refuse(CODES.INVALID_ARGUMENT, 'dispatch takes shard, deadline and clockAhead')
        }
        return success({ report: await this.dispatcher(offset).run(shard as number, deadline) })
      }
      default:
        return refuse(CODES.INVALID_ARGUMENT, 'action must be cancel, get, broadcast, campaign or templates, or left out', { field: 'action' })
    }
  }
}
