/**
 * What `send` does with an event: a message now or later, cancel, get,
 * resend, broadcast, campaign, templates and the daily-limit pause, a
 * dispatch shard from a fanned-out tick, and, on its timer, the tick
 * itself. Its door admits users and servers; which of them may ask for what
 * is said here.
 */
import { Campaigns } from '../campaigns/campaigns'
import type { CallerOf } from '../caller'
import { callFunction, database } from '../cloud'
import { Dispatcher, stoppedByDatabase, type DispatchReport, type RunWindow } from '../dispatch/dispatcher'
import { isRecord, readEvent } from '../input'
import { SHARDS } from '../limits'
import { CODES, refuse, success } from '../replies'
import { SETTINGS } from '../settings'
import { registryFromAccount } from '../templates/sync'
import { wechatApi } from '../wechat/api'
import { Sender, defaultSleep } from './send'
import { funnelReport } from '../report/funnel'
import { listMessages } from './list'
import { tokenAction } from './token'

const { timing } = SETTINGS

/** Actions over every user's messages, the account's templates or the dispatcher's work: a server's only. */
const SERVER_ACTIONS: readonly unknown[] = ['broadcast', 'campaign', 'templates', 'dispatch', 'resend', 'pause', 'token', 'report']

export class SendActions {
  /** WeChat by the configured transport; one per instance, so that an HTTPS token stays in its memory. */
  private readonly wechat = wechatApi(SETTINGS)

  private dispatcher(): Dispatcher {
    return new Dispatcher({
      db: database(),
      wechat: this.wechat.sendSubscribeMessage,
      timing,
      settings: SETTINGS.dispatcher,
      quiet: SETTINGS.quiet,
      clock: Date.now,
      sleep: defaultSleep,
      // Waits for the shard for as long as its window lets it run, not the SDK's default: a shard may run for most of a minute.
      fanOut: async (shard, window) => {
        const reply = await callFunction<{ ok: boolean; report?: DispatchReport; message?: string }>(
          'send',
          { action: 'dispatch', shard, deadline: window.deadline, until: window.until },
          Math.max(1, window.until + timing.writeMs - Date.now()),
        )
        if (!reply?.ok || !reply.report) throw new Error(`shard ${shard} refused: ${reply?.message ?? JSON.stringify(reply)}`)
        return reply.report
      },
    })
  }

  private campaigns(): Campaigns {
    return new Campaigns(database(), SETTINGS.campaigns.pageSize, Date.now)
  }

  /**
   * @param started when the invocation began (epoch ms)
   * @param timeLimitMs the platform's timeout for this invocation, when its context says
   */
  async handle(caller: CallerOf<'user' | 'server'>, event: unknown, started: number, timeLimitMs?: number): Promise<Record<string, unknown>> {
    const request = isRecord(event) ? event : {}
    const { budgetMs } = SETTINGS.dispatcher
    if (caller.kind !== 'server' && SERVER_ACTIONS.includes(request.action)) refuse(CODES.FORBIDDEN, `${request.action} is for server-side callers only`)
    if (caller.kind === 'server' && request.Type === 'timer') {
      if (timeLimitMs !== undefined && timeLimitMs < timing.functionTimeoutMs) {
        // The settings' timing relations assume a longer run than the platform allows: refuse loudly rather than be cut off mid-send.
        throw new Error(`send runs for at most ${timeLimitMs} ms here, but timing.functionTimeoutMs is ${timing.functionTimeoutMs}: make them agree`)
      }
      const dispatcher = this.dispatcher()
      const window = dispatcher.windowFrom(started)
      // Broadcasts still queuing get a third of the budget; then everything due is dispatched, whatever became of them.
      let campaignFailure: unknown
      const campaignQueued = await this.campaigns()
        .advance(started + budgetMs / 3)
        .catch((error: unknown) => ((campaignFailure = error), 0))
      const report = await dispatcher.tick(window)
      if (campaignFailure !== undefined) stoppedByDatabase(report, campaignFailure)
      return success({ report: { ...report, campaignQueued } })
    }
    const sender = new Sender({ db: database(), wechat: this.wechat.sendSubscribeMessage, timing, queue: SETTINGS.queue, quiet: SETTINGS.quiet })
    switch (request.action) {
      case undefined:
        return sender.send(caller, event)
      case 'cancel':
        return sender.cancel(caller, event)
      case 'get':
        return sender.get(caller, event)
      case 'list':
        return listMessages(database(), caller, event)
      case 'resend':
        return sender.resend(caller, event)
      case 'pause':
        return sender.pause(event)
      case 'broadcast':
        return this.campaigns().broadcast(event, budgetMs / 3)
      case 'campaign':
        return this.campaigns().campaign(event)
      case 'templates':
        readEvent(event, ['action'])
        return success({ templates: registryFromAccount(await this.wechat.getTemplateList()) })
      case 'token':
        return tokenAction(this.wechat, event)
      case 'report':
        return funnelReport(database(), event, Date.now())
      case 'dispatch': {
        const dispatcher = this.dispatcher()
        return success({ report: await dispatcher.run(Number(request.shard), shardWindow(request, dispatcher.windowFrom(started))) })
      }
      default:
        return refuse(CODES.INVALID_ARGUMENT, 'action must be cancel, get, list, resend, broadcast, campaign, templates, pause, token or report, or left out', { field: 'action' })
    }
  }
}

/** `{ action: "dispatch", shard, deadline, until }` from a fanned-out tick, never past this invocation's own window. */
function shardWindow(request: Record<string, unknown>, own: RunWindow): RunWindow {
  const { shard, deadline, until } = request
  const unknown = Object.keys(request).find((key) => !['action', 'shard', 'deadline', 'until'].includes(key))
  if (unknown) refuse(CODES.INVALID_ARGUMENT, `${unknown} is not a field of dispatch`, { field: unknown })
  if (!Number.isInteger(shard) || (shard as number) < 0 || (shard as number) >= SHARDS || typeof deadline !== 'number' || typeof until !== 'number') {
    return refuse(CODES.INVALID_ARGUMENT, `dispatch takes shard (0 to ${SHARDS - 1}), deadline and until`)
  }
  return { deadline: Math.min(deadline, own.deadline), until: Math.min(until, own.until) }
}
