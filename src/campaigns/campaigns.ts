/**
 * Broadcast campaigns: one message queued for each user holding an available
 * grant of a template and, when the broadcast names an audience, matching it
 * in `users`. The ledger is paged by `_id` range on the
 * (templateId, holding, _id) index, a page at a time, each page's holders
 * checked against the audience with one read, and the cursor is kept on the
 * campaign, so queuing resumes across ticks; each queued message's
 * idempotency key names the campaign and the user, so a page queued twice
 * still queues each message once. A campaign with a later `sendAt` waits as
 * `scheduled` until the first tick at or after it. A broadcast with an
 * idempotency key is one campaign however often it is asked: the campaign's
 * `_id` is derived from the key, so the database's unique `_id`, not a read,
 * decides which call creates it.
 */
import { isDuplicateKey, type Database, type Doc } from '../cloud'
import { KEY, readEvent, text, type Json } from '../input'
import { GRANTS } from '../ledger/ledger'
import { MESSAGES, PENDING, QUEUED, newMessage, newMessageId, type NewMessage } from '../outbox/outbox'
import { CODES, failure, refuse, success } from '../replies'
import { SETTINGS } from '../settings'
import { USERS } from '../users/users'
import { CAMPAIGNS_PER_TICK, KEY_MAX } from '../limits'
import { allOf, audienceClauses } from './audience'
import { readBroadcast, type Campaign } from './request'

export { campaignIdFor } from './request'

export const CAMPAIGNS = 'campaigns'

export class Campaigns {
  constructor(
    private readonly db: Database,
    private readonly pageSize: number,
    private readonly clock: () => number,
    private readonly audienceFields: readonly string[] = SETTINGS.campaigns.audienceFields,
  ) {}

  /**
   * `{ action: "broadcast", templateId, data, page?, miniprogramState?, lang?, idempotencyKey?, audience?, sendAt? }`:
   * creates the campaign and, unless it starts later, queues what the budget
   * allows; the timer's ticks queue the rest. The same key and request again give the same campaign.
   */
  async broadcast(event: unknown, budgetMs: number): Promise<Record<string, unknown>> {
    const campaign = readBroadcast(event, new Date(this.clock()), this.audienceFields)
    const reply = success({ campaignId: campaign._id, ...(campaign.sendAt ? { sendAt: campaign.sendAt.toISOString() } : {}) })
    try {
      await this.db.collection(CAMPAIGNS).add({ data: { ...campaign, createdAt: this.db.serverDate() } as Doc })
    } catch (error) {
      if (!campaign.idempotencyKey || !isDuplicateKey(error)) throw error
      return this.repeat(campaign, reply)
    }
    if (campaign.status === 'queuing') await this.advance(Date.now() + budgetMs, campaign._id)
    return reply
  }

  /**
   * A keyed broadcast whose campaign exists: the same campaign for the same
   * request, whatever it has come to (the first call may still be queuing it:
   * the ticks finish what that call does not).
   */
  private async repeat(asked: Campaign, reply: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { data: existing } = await this.db.collection(CAMPAIGNS).doc(asked._id).get()
    if (!existing) return failure(CODES.IN_PROGRESS, 'the first broadcast with this key is not visible yet', { campaignId: asked._id })
    if (existing.fingerprint !== asked.fingerprint) {
      return failure(CODES.IDEMPOTENCY_MISMATCH, 'this idempotency key was used for a different broadcast', { campaignId: asked._id })
    }
    return reply
  }

  /**
   * Starts the campaigns whose time has come, then queues further pages of
   * those still queuing: one each, then more until the deadline.
   */
  async advance(deadline: number, only?: string): Promise<number> {
    const _ = this.db.command
    // One read of the (status, sendAt) index for an idle tick: campaigns still queuing, then scheduled ones, the earliest first.
    const { data } = only
      ? await this.db.collection(CAMPAIGNS).where({ _id: only, status: 'queuing' }).get()
      : await this.db.collection(CAMPAIGNS).where({ status: _.in(['queuing', 'scheduled']) }).orderBy('status', 'asc').orderBy('sendAt', 'asc').limit(CAMPAIGNS_PER_TICK).get()
    const now = this.clock()
    const due = (data as unknown as Campaign[]).filter((c) => c.status === 'queuing' || (c.sendAt !== null && new Date(c.sendAt as Date).getTime() <= now))
    let queued = 0
    for (const campaign of due) {
      // Started by one conditional write, so that of ticks running at once one starts it; a cancel that came first stands.
      if (campaign.status === 'scheduled') {
        if (!(await this.start(campaign._id))) continue
        campaign.status = 'queuing'
      }
      // At least one page per campaign each time, then more while the budget lasts.
      let current: Campaign | undefined = campaign
      while (current) {
        const page = await this.queuePage(current)
        queued += page.queued
        current = Date.now() < deadline ? page.next : undefined
      }
    }
    return queued
  }

  private async start(id: string): Promise<boolean> {
    const { stats } = await this.db
      .collection(CAMPAIGNS)
      .where({ _id: id, status: 'scheduled' })
      .update({ data: { status: 'queuing', updatedAt: this.db.serverDate() } })
    return stats.updated === 1
  }

  /** Queues one page of holders in the audience and moves the cursor, unless another run moved it first. */
  private async queuePage(campaign: Campaign): Promise<{ queued: number; next?: Campaign }> {
    const _ = this.db.command
    const { data: grants } = await this.db
      .collection(GRANTS)
      .where({ templateId: campaign.templateId, holding: true, _id: _.gt(campaign.cursor) })
      .orderBy('_id', 'asc')
      .limit(this.pageSize)
      .field({ _id: true, openid: true })
      .get()
    const holders = grants.map((grant) => String(grant.openid))
    const recipients = await this.inAudience(campaign, holders)
    const now = new Date(this.clock())
    const messages: NewMessage[] = recipients.map((touser) =>
      newMessage({
        _id: newMessageId(),
        idempotencyKey: `campaign:${campaign._id}:${touser}`,
        fingerprint: campaign._id,
        requestedBy: 'server',
        touser,
        templateId: campaign.templateId,
        data: campaign.data,
        page: campaign.page,
        miniprogramState: campaign.miniprogramState,
        lang: campaign.lang,
        sendAt: now,
        campaignId: campaign._id,
      }),
    )
    const queued = await this.insertAll(messages)
    const done = grants.length < this.pageSize
    const cursor = grants.length ? String(grants[grants.length - 1]!._id) : campaign.cursor
    const excluded = holders.length - recipients.length
    // Only while still queuing from this cursor: a cancelled campaign is never brought back, and a page is counted once.
    const { stats } = await this.db
      .collection(CAMPAIGNS)
      .where({ _id: campaign._id, cursor: campaign.cursor, status: 'queuing' })
      .update({ data: { cursor, status: done ? 'queued' : 'queuing', ...(excluded ? { excluded: _.inc(excluded) } : {}), updatedAt: this.db.serverDate() } })
    if (stats.updated === 1) return done ? { queued } : { queued, next: { ...campaign, cursor } }
    // Another run moved the cursor first, or the campaign was cancelled while this page was queued: then its messages are cancelled too.
    if (queued > 0 && (await this.statusOf(campaign._id)) === 'cancelled') await this.cancelMessages(campaign._id)
    return { queued }
  }

  /**
   * The page's holders whose `users` document matches the campaign's audience
   * (all of them when it has none): one read by `_id` for the whole page,
   * never one per user. A holder with no `users` document matches no audience.
   */
  private async inAudience(campaign: Campaign, holders: string[]): Promise<string[]> {
    if (!campaign.audience || holders.length === 0) return holders
    const _ = this.db.command
    const condition = allOf([{ _id: _.in(holders) }, ...audienceClauses(JSON.parse(campaign.audience) as Json, _)], _)
    const { data } = await this.db.collection(USERS).where(condition).limit(holders.length).field({ _id: true }).get()
    const matching = new Set(data.map((user) => String(user._id)))
    return holders.filter((openid) => matching.has(openid))
  }

  private async statusOf(campaignId: string): Promise<Campaign['status'] | undefined> {
    const { data } = await this.db.collection(CAMPAIGNS).doc(campaignId).field({ status: true }).get()
    return data?.status as Campaign['status'] | undefined
  }

  /** Cancels the campaign's messages still queued, in one conditional write; those being sent finish. Gives how many. */
  private async cancelMessages(campaignId: string): Promise<number> {
    // A campaign message's queue slot is its own `_id` already, so it is left as it is.
    const { stats } = await this.db
      .collection(MESSAGES)
      .where({ campaignId, status: 'scheduled' })
      .update({ data: { status: 'cancelled', dueAt: null, updatedAt: this.db.serverDate() } })
    return stats.updated
  }

  /** One insert for the page; when some are queued already, one by one, skipping those. */
  private async insertAll(messages: NewMessage[]): Promise<number> {
    if (messages.length === 0) return 0
    const stamp = { createdAt: this.db.serverDate(), updatedAt: this.db.serverDate() }
    const rows = messages.map((m) => ({ ...m, ...stamp }) as Doc)
    try {
      await this.db.collection(MESSAGES).add({ data: rows })
      return rows.length
    } catch (error) {
      if (!isDuplicateKey(error)) throw error
    }
    let queued = 0
    for (const row of rows) {
      try {
        await this.db.collection(MESSAGES).add({ data: row })
        queued += 1
      } catch (error) {
        if (!isDuplicateKey(error)) throw error
      }
    }
    return queued
  }

  /** `{ action: "campaign", campaignId, cancel?: true }`: how its messages stand, or, with cancel, stops it. */
  async campaign(event: unknown): Promise<Record<string, unknown>> {
    const input = readEvent(event, ['action', 'campaignId', 'cancel'])
    const campaignId = text(input, 'campaignId', { pattern: KEY, max: KEY_MAX })!
    if (input.cancel !== undefined && input.cancel !== true) refuse(CODES.INVALID_ARGUMENT, 'cancel must be true or left out', { field: 'cancel' })
    return input.cancel ? this.cancel(campaignId) : this.report(campaignId)
  }

  /**
   * Stops a campaign: no further page is queued, and its messages not yet
   * sent are cancelled. The status goes first, so a run queuing a page at the
   * same moment sees it when it moves the cursor, and cancels that page itself.
   */
  private async cancel(campaignId: string): Promise<Record<string, unknown>> {
    const { stats } = await this.db.collection(CAMPAIGNS).doc(campaignId).update({ data: { status: 'cancelled', updatedAt: this.db.serverDate() } })
    if (stats.updated !== 1) return refuse(CODES.NOT_FOUND, `no campaign ${campaignId}`)
    return success({ campaignId, status: 'cancelled', cancelled: await this.cancelMessages(campaignId) })
  }

  private async report(campaignId: string): Promise<Record<string, unknown>> {
    const { data } = await this.db.collection(CAMPAIGNS).doc(campaignId).get()
    if (!data) return refuse(CODES.NOT_FOUND, `no campaign ${campaignId}`)
    const campaign = data as unknown as Campaign
    const _ = this.db.command
    const count = async (condition: Json) => (await this.db.collection(MESSAGES).where({ campaignId, ...condition }).count()).total
    // Counted from the (campaignId, status) index, not kept as a running sum: two runs queuing one page would count it short.
    const [total, queued, remaining, sent, failed, skipped, unknown, cancelled] = await Promise.all([
      count({}),
      count({ status: _.in(PENDING) }),
      count({ status: _.in(QUEUED) }),
      count({ status: 'sent' }),
      count({ status: 'failed', code: _.neq(CODES.NO_QUOTA) }),
      count({ status: 'failed', code: CODES.NO_QUOTA }),
      count({ status: 'unknown' }),
      count({ status: 'cancelled' }),
    ])
    return success({
      campaignId,
      status: campaign.status,
      sendAt: campaign.sendAt ? new Date(campaign.sendAt).toISOString() : null,
      audience: campaign.audience ? (JSON.parse(campaign.audience) as Json) : null,
      total,
      queued,
      remaining,
      sent,
      failed,
      skipped,
      unknown,
      cancelled,
      excluded: campaign.excluded ?? 0,
    })
  }
}
