/**
 * The grant ledger: one document per (openid, template), `_id` `<openid>:<templateId>`,
 * mirroring the quota WeChat keeps. A one-time accept adds one send; a
 * long-term accept makes the grant active until a reject. A reservation is
 * one conditional update (`available > 0` → `available - 1`), so concurrent
 * sends never spend more than was granted, with no read and no lock.
 */
import { isDuplicateKey, isTransactionConflict, type Database, type Doc, type Transaction } from '../cloud'
import type { Template, TemplateKind } from '../templates/registry'

export const GRANTS = 'grants'
/** One document per applied popup report, so that a repeated report changes nothing. */
export const GRANT_REPORTS = 'grant_reports'

export type GrantStatus = 'accept' | 'reject' | 'ban' | 'none'

export interface GrantView {
  available: number
  kind: TemplateKind
  status: GrantStatus
}

/** What `wx.requestSubscribeMessage` resolved with, per template. */
export type PopupOutcome = 'accept' | 'acceptWithAudio' | 'acceptWithAlert' | 'reject' | 'ban' | 'filter'
export const POPUP_OUTCOMES: readonly PopupOutcome[] = ['accept', 'acceptWithAudio', 'acceptWithAlert', 'reject', 'ban', 'filter']

interface GrantDoc extends Doc {
  openid: string
  templateId: string
  kind: TemplateKind
  available: number
  status: GrantStatus
  accepted: number
}

/** Concurrent reports for one user conflict; each is tried this many times. */
const REPORT_ATTEMPTS = 6

export const grantId = (openid: string, templateId: string) => `${openid}:${templateId}`

function isAccept(kind: TemplateKind, outcome: PopupOutcome): boolean {
  return outcome === 'accept' || (kind === 'one-time' ? outcome === 'acceptWithAudio' : outcome === 'acceptWithAlert')
}

/** The grant after one popup outcome; `filter` changes nothing. */
export function applyOutcome(grant: GrantDoc, outcome: PopupOutcome): GrantDoc {
  if (outcome === 'filter') return grant
  const accept = isAccept(grant.kind, outcome)
  const status: GrantStatus = accept ? 'accept' : outcome === 'ban' ? 'ban' : 'reject'
  if (grant.kind === 'one-time') {
    return { ...grant, status, available: grant.available + (accept ? 1 : 0), accepted: grant.accepted + (accept ? 1 : 0) }
  }
  return { ...grant, status, available: accept ? 1 : 0, accepted: grant.accepted + (accept ? 1 : 0) }
}

function emptyGrant(openid: string, template: Template): GrantDoc {
  return { openid, templateId: template.id, kind: template.kind, available: 0, status: 'none', accepted: 0 }
}

const view = (grant: GrantDoc): GrantView => ({ available: grant.available, kind: grant.kind, status: grant.status })

export class Ledger {
  constructor(private readonly db: Database) {}

  /**
   * Applies a popup report in one transaction: the report's marker and every
   * grant it changes land together, and a report already applied (same
   * requestId) changes nothing.
   */
  async recordPopup(openid: string, outcomes: Array<{ template: Template; outcome: PopupOutcome }>, requestId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.applyReport(openid, outcomes, requestId)
        return
      } catch (error) {
        // The same report again: already applied, nothing to do.
        if (isDuplicateKey(error)) return
        // wx-server-sdk strips the conflict code from errors raised inside the callback, so
        // runTransaction does not retry those itself: retry here, after a short random wait.
        if (!isTransactionConflict(error) || attempt >= REPORT_ATTEMPTS) throw error
        await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40 * attempt))
      }
    }
  }

  private async applyReport(openid: string, outcomes: Array<{ template: Template; outcome: PopupOutcome }>, requestId: string) {
    const now = this.db.serverDate()
    await this.db.runTransaction(async (tx: Transaction) => {
      await tx.collection(GRANT_REPORTS).add({ data: { _id: `${openid}:${requestId}`, openid, requestId, at: now } })
      for (const { template, outcome } of outcomes) {
        if (outcome === 'filter') continue
        const ref = tx.collection(GRANTS).doc(grantId(openid, template.id))
        const current = ((await ref.get()).data as GrantDoc | null) ?? emptyGrant(openid, template)
        const { _id, ...next } = applyOutcome(current, outcome)
        await ref.set({ data: { ...next, updatedAt: now } })
      }
    })
  }

  async views(openid: string, templates: Template[]): Promise<Record<string, GrantView>> {
    const out: Record<string, GrantView> = {}
    await Promise.all(
      templates.map(async (template) => {
        const { data } = await this.db.collection(GRANTS).doc(grantId(openid, template.id)).get()
        out[template.id] = view((data as GrantDoc | null) ?? emptyGrant(openid, template))
      }),
    )
    return out
  }

  /** Takes one send before WeChat is called. True when won; a long-term grant is checked, never consumed. */
  async reserve(openid: string, template: Template): Promise<boolean> {
    const _ = this.db.command
    const id = grantId(openid, template.id)
    if (template.kind === 'long-term') {
      const { data } = await this.db.collection(GRANTS).doc(id).get()
      return (data as GrantDoc | null)?.status === 'accept'
    }
    const { stats } = await this.db
      .collection(GRANTS)
      .where({ _id: id, available: _.gt(0) })
      .update({ data: { available: _.inc(-1), updatedAt: this.db.serverDate() } })
    return stats.updated === 1
  }

  /** Gives a reserved send back, after WeChat definitely did not send. */
  async refund(openid: string, template: Template): Promise<void> {
    if (template.kind === 'long-term') return
    const _ = this.db.command
    await this.db
      .collection(GRANTS)
      .doc(grantId(openid, template.id))
      .update({ data: { available: _.inc(1), updatedAt: this.db.serverDate() } })
  }

  /** The user turned the template off from a message card (subscribe_msg_change_event reject). */
  async turnOff(openid: string, template: Template): Promise<void> {
    await this.db
      .collection(GRANTS)
      .doc(grantId(openid, template.id))
      .update({ data: { available: 0, status: 'reject', updatedAt: this.db.serverDate() } })
  }

  /** WeChat says the user has no quota (43101): believe it. */
  async exhaust(openid: string, template: Template): Promise<void> {
    const change: Record<string, unknown> = { available: 0, updatedAt: this.db.serverDate() }
    if (template.kind === 'long-term') change.status = 'reject'
    await this.db.collection(GRANTS).doc(grantId(openid, template.id)).update({ data: change })
  }
}
