/**
 * Broadcast campaigns: one message queued for each user holding an available
 * grant of a template. The ledger is paged by `_id` range on the
 * (templateId, _id) index, a page at a time, and the cursor is kept on the
 * campaign, so queuing resumes across ticks; each queued message's
 * idempotency key names the campaign and the user, so a page queued twice
 * still queues each message once. A broadcast with an idempotency key is one
 * campaign however often it is asked: the campaign's `_id` is derived from the
 * key, so the database's unique `_id`, not a read, decides which call creates it.
 */
import { createHash, randomBytes } from 'node:crypto'
import { isDuplicateKey, type Database, type Doc } from '../cloud'
import { KEY, readEvent, text, type Json } from '../input'
import { GRANTS } from '../ledger/ledger'
import { MESSAGES, PENDING, digest, newMessage, newMessageId, type NewMessage } from '../outbox/outbox'
import { CODES, failure, refuse, success } from '../replies'
import { CONTENT_FIELDS, readContent, type MessageContent } from '../templates/content'
import { prepareMessage, type MessageData } from '../templates/validate'
import { CAMPAIGNS_PER_TICK, KEY_MAX } from '../limits'

export const CAMPAIGNS = 'campaigns'

interface Campaign {
  _id: string
  templateId: string
  data: MessageData
  page: string | null
  miniprogramState: string
  lang: string
  /** A digest of the content, to tell a repeat of a keyed broadcast from another broadcast under the same key. */
  fingerprint: string
  /** The key the broadcast was asked with, if any; the `_id` is derived from it. */
  idempotencyKey: string | null
  /** queuing: still paging the ledger; queued: every holder has its message; cancelled: stopped, nothing more is queued. */
  status: 'queuing' | 'queued' | 'cancelled'
  /** The last grant `_id` queued. */
  cursor: string
}

/** A keyed campaign's id: 32 hex digits, never the shape of an unkeyed one (time in base 36 and 12 hex digits). */
export const campaignIdFor = (idempotencyKey: string) => `cmp_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}`

function fingerprint(content: MessageContent, data: MessageData): string {
  const { templateId, page, miniprogramState, lang } = content
  return digest([templateId, data, page ?? null, miniprogramState, lang])
}

export class Campaigns {
  constructor(
    private readonly db: Database,
    private readonly pageSize: number,
    private readonly clock: () => number,
  ) {}

  /**
   * `{ action: "broadcast", templateId, data, page?, miniprogramState?, lang?, idempotencyKey? }`:
   * creates the campaign and queues what the budget allows; the timer's ticks
   * queue the rest. The same key and content again give the same campaign.
   */
  async broadcast(event: unknown, budgetMs: number): Promise<Record<string, unknown>> {
    const input = readEvent(event, ['action', ...CONTENT_FIELDS, 'idempotencyKey'])
    const content = readContent(input)
    const idempotencyKey = text(input, 'idempotencyKey', { pattern: KEY, max: KEY_MAX, optional: true }) ?? null
    const prepared = prepareMessage(content.templateId, content.data, content.page)
    const campaign: Campaign = {
      _id: idempotencyKey ? campaignIdFor(idempotencyKey) : `cmp_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`,
      templateId: content.templateId,
      data: prepared.data,
      page: content.page ?? null,
      miniprogramState: content.miniprogramState,
      lang: content.lang,
      fingerprint: fingerprint(content, prepared.data),
      idempotencyKey,
      status: 'queuing',
      cursor: '',
    }
    try {
      await this.db.collection(CAMPAIGNS).add({ data: { ...campaign, createdAt: this.db.serverDate() } as Doc })
    } catch (error) {
      if (!idempotencyKey || !isDuplicateKey(error)) throw error
      return this.repeat(campaign)
    }
    await this.advance(Date.now() + budgetMs, campaign._id)
    return success({ campaignId: campaign._id })
  }

  /**
   * A keyed broadcast whose campaign exists: the same campaign for the same
   * content, whatever it has come to (the first call may still be queuing it:
   * the ticks finish what that call does not).
   */
  private async repeat(asked: Campaign): Promise<Record<string, unknown>> {
    const { data: existing } = await this.db.collection(CAMPAIGNS).doc(asked._id).get()
    if (!existing) return failure(CODES.IN_PROGRESS, 'the first broadcast with this key is not visible yet', { campaignId: asked._id })
    if (existing.fingerprint !== asked.fingerprint) {
      return failure(CODES.IDEMPOTENCY_MISMATCH, 'this idempotency key was used for a different broadcast', { campaignId: asked._id })
    }
    return success({ campaignId: asked._id })
  }

  /** Queues further pages of campaigns still queuing: one each, then more until the deadline. */
  async advance(deadline: number, only?: string): Promise<number> {
    const { data } = await this.db
      .collection(CAMPAIGNS)
      .where(only ? { _id: only, status: 'queuing' } : { status: 'queuing' })
      .limit(CAMPAIGNS_PER_TICK)
      .get()
    let queued = 0
    for (const campaign of data as unknown as Campaign[]) {
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

  /** Queues one page of holders and moves the cursor, unless another run moved it first. */
  private async queuePage(campaign: Campaign): Promise<{ queued: number; next?: Campaign }> {
    const _ = this.db.command
    const { data: grants } = await this.db
      .collection(GRANTS)
      .where({ templateId: campaign.templateId, holding: true, _id: _.gt(campaign.cursor) })
      .orderBy('_id', 'asc')
      .limit(this.pageSize)
      .field({ _id: true, openid: true })
      .get()
    const now = new Date(this.clock())
    const messages: NewMessage[] = grants.map((grant) => {
      const touser = String(grant.openid)
      const _id = newMessageId()
      return newMessage({
        _id,
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
      })
    })
    const queued = await this.insertAll(messages)
    const done = grants.length < this.pageSize
    const cursor = grants.length ? String(grants[grants.length - 1]!._id) : campaign.cursor
    // Only while still queuing from this cursor: a cancelled campaign is never brought back.
    const { stats } = await this.db
      .collection(CAMPAIGNS)
      .where({ _id: campaign._id, cursor: campaign.cursor, status: 'queuing' })
      .update({ data: { cursor, status: done ? 'queued' : 'queuing', updatedAt: this.db.serverDate() } })
    if (stats.updated === 1) return done ? { queued } : { queued, next: { ...campaign, cursor } }
    // Another run moved the cursor first, or the campaign was cancelled while this page was queued: then its messages are cancelled too.
    if (queued > 0 && (await this.statusOf(campaign._id)) === 'cancelled') await this.cancelMessages(campaign._id)
    return { queued }
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
    const { data: campaign } = await this.db.collection(CAMPAIGNS).doc(campaignId).get()
    if (!campaign) return refuse(CODES.NOT_FOUND, `no campaign ${campaignId}`)
    const _ = this.db.command
    const count = async (condition: Json) => (await this.db.collection(MESSAGES).where({ campaignId, ...condition }).count()).total
    // Counted from the (campaignId, status) index, not kept as a running sum: two runs queuing one page would count it short.
    const [total, queued, sent, failed, skipped, unknown, cancelled] = await Promise.all([
      count({}),
      count({ status: _.in(PENDING) }),
      count({ status: 'sent' }),
      count({ status: 'failed', code: _.neq(CODES.NO_QUOTA) }),
      count({ status: 'failed', code: CODES.NO_QUOTA }),
      count({ status: 'unknown' }),
      count({ status: 'cancelled' }),
    ])
    return success({ campaignId, status: campaign.status, total, queued, sent, failed, skipped, unknown, cancelled })
  }
}
