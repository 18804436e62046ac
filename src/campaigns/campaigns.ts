/**
 * Broadcast campaigns: one message queued for each user holding an available
 * grant of a template. The ledger is paged by `_id` range on the
 * (templateId, _id) index, a page at a time, and the cursor is kept on the
 * campaign, so queuing resumes across ticks; each queued message's
 * idempotency key names the campaign and the user, so a page queued twice
 * still queues each message once.
 */
import { randomBytes } from 'node:crypto'
import { requireServer, type Caller } from '../caller'
import { isDuplicateKey, type Database, type Doc } from '../cloud'
import { KEY, readEvent, text } from '../input'
import { GRANTS } from '../ledger/ledger'
import { MESSAGES, PENDING, newMessage, newMessageId, type NewMessage } from '../outbox/outbox'
import { CODES, refuse, success } from '../replies'
import { CONTENT_FIELDS, readContent } from '../templates/content'
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
  /** queuing: still paging the ledger; queued: every holder has its message. */
  status: 'queuing' | 'queued'
  /** The last grant `_id` queued. */
  cursor: string
}

export class Campaigns {
  constructor(
    private readonly db: Database,
    private readonly pageSize: number,
    private readonly clock: () => number,
  ) {}

  /** `{ action: "broadcast", templateId, data, page?, miniprogramState?, lang? }`, for server-side callers. */
  async broadcast(caller: Caller, event: unknown, budgetMs: number): Promise<Record<string, unknown>> {
    requireServer(caller, 'broadcast')
    const content = readContent(readEvent(event, ['action', ...CONTENT_FIELDS]))
    const prepared = prepareMessage(content.templateId, content.data, content.page)
    const campaign: Campaign = {
      _id: `cmp_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`,
      templateId: content.templateId,
      data: prepared.data,
      page: content.page ?? null,
      miniprogramState: content.miniprogramState,
      lang: content.lang,
      status: 'queuing',
      cursor: '',
    }
    await this.db.collection(CAMPAIGNS).add({ data: { ...campaign, createdAt: this.db.serverDate() } as Doc })
    await this.advance(Date.now() + budgetMs, campaign._id)
    return success({ campaignId: campaign._id })
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
    const { stats } = await this.db
      .collection(CAMPAIGNS)
      .where({ _id: campaign._id, cursor: campaign.cursor })
      .update({ data: { cursor, status: done ? 'queued' : 'queuing', updatedAt: this.db.serverDate() } })
    if (stats.updated !== 1 || done) return { queued }
    return { queued, next: { ...campaign, cursor } }
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

  /** `{ action: "campaign", campaignId }` → how its messages stand. */
  async report(caller: Caller, event: unknown): Promise<Record<string, unknown>> {
    requireServer(caller, 'campaign')
    const input = readEvent(event, ['action', 'campaignId'])
    const campaignId = text(input, 'campaignId', { pattern: KEY, max: KEY_MAX })!
    const { data: campaign } = await this.db.collection(CAMPAIGNS).doc(campaignId).get()
    if (!campaign) return refuse(CODES.NOT_FOUND, `no campaign ${campaignId}`)
    const _ = this.db.command
    const count = async (condition: Record<string, unknown>) =>
      (await this.db.collection(MESSAGES).where({ campaignId, ...condition }).count()).total
    // Counted from the (campaignId, status) index, not kept as a running sum: two runs queuing one page would count it short.
    const [total, queued, sent, failed, skipped, unknown] = await Promise.all([
      count({}),
      count({ status: _.in(PENDING) }),
      count({ status: 'sent' }),
      count({ status: 'failed', code: _.neq(CODES.NO_QUOTA) }),
      count({ status: 'failed', code: CODES.NO_QUOTA }),
      count({ status: 'unknown' }),
    ])
    return success({ campaignId, status: campaign.status, total, queued, sent, failed, skipped, unknown })
  }
}
