/**
 * The grant ledger: one document per (openid, template), `_id` `<openid>:<templateId>`,
 * mirroring the quota WeChat keeps. A one-time accept adds one send; a
 * long-term accept makes the grant active until a reject. A reservation is
 * one conditional update (`available > 0` → `available - 1`), so concurrent
 * sends never spend more than was granted, with no read and no lock.
 */
import { isDuplicateKey, isTransactionConflict, updateAndReturn, type Database, type Doc, type Transaction } from '../cloud'
import type { Template, TemplateKind } from '../templates/registry'
import { REPORT_ATTEMPTS } from '../limits'

export const GRANTS = 'grants'
/** One document per applied popup report, so that a repeated report changes nothing. */
export const GRANT_REPORTS = 'grant_reports'
/**
 * One document per (applied report, template): what the ledger made of the
 * outcome, counted from its (templateId, outcome, at) index by the funnel.
 */
export const POPUPS = 'popups'
export type RecordedOutcome = 'accept' | 'reject' | 'ban' | 'filter'

export type GrantStatus = 'accept' | 'reject' | 'ban' | 'none'

export interface GrantView {
  available: number
  kind: TemplateKind
  status: GrantStatus
  /** Units whose outcome was never known: WeChat may still hold up to this many more than `available`. */
  uncertain: number
}

/**
 * What a reservation took: the grant's epoch then, so that a refund can tell
 * whether the grant was zeroed since, and the key it was taken under.
 */
export interface Reservation {
  epoch: number
  key: string
}

/**
 * The key a reservation is taken under: the message, who sends it, and when
 * (ms, the sender's clock). Kept on the grant (the last RESERVED_KEPT) until
 * refunded, so that a run taking over a message left `sending` can tell
 * whether a WeChat call for it may have started; the holder keeps one
 * sender's refund from taking another's key, and the time tells whether a
 * key may have fallen off the list.
 */
export const reservationKey = (messageId: string, holder: string, at: number) => `${messageId}@${holder}@${at}`

const reservedAt = (key: string) => Number(key.slice(key.lastIndexOf('@') + 1))

/** Reservations a grant remembers, newest last. */
export const RESERVED_KEPT = 32

/**
 * What a grant says of a message's reservations: the keys that still stand
 * for it (its WeChat call may have started), or `unsure` when none stands
 * but one may have fallen off a full list since its sender took it up.
 */
export type ReservationTrace = { keys: string[] } | 'unsure'

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
  /** Moves on whenever WeChat or the user zeroes the grant, so that a refund of an older reservation revives nothing. */
  epoch: number
  uncertain: number
  /** available > 0, kept by every write that changes it, so that a broadcast pages holders by an index alone. */
  holding: boolean
  /** Keys of reservations not refunded: their WeChat call may have started. */
  reservedFor?: string[]
  /** Keys already counted in `uncertain`, so that a retried write counts a unit once. */
  uncertainFor?: string[]
}


export const grantId = (openid: string, templateId: string) => `${openid}:${templateId}`

export function isAccept(kind: TemplateKind, outcome: PopupOutcome): boolean {
  return outcome === 'accept' || (kind === 'one-time' ? outcome === 'acceptWithAudio' : outcome === 'acceptWithAlert')
}

/** An outcome as the ledger applies it: an accept the kind does not take (acceptWithAlert on a one-time template) is a reject. */
export function recordedOutcome(kind: TemplateKind, outcome: PopupOutcome): RecordedOutcome {
  if (outcome === 'filter' || outcome === 'ban') return outcome
  return isAccept(kind, outcome) ? 'accept' : 'reject'
}

/** The grant after one popup outcome; `filter` changes nothing. */
export function applyOutcome(grant: GrantDoc, outcome: PopupOutcome): GrantDoc {
  if (outcome === 'filter') return grant
  const accept = isAccept(grant.kind, outcome)
  const status: GrantStatus = accept ? 'accept' : outcome === 'ban' ? 'ban' : 'reject'
  const available = grant.kind === 'one-time' ? grant.available + (accept ? 1 : 0) : accept ? 1 : 0
  return { ...grant, status, available, holding: available > 0, accepted: grant.accepted + (accept ? 1 : 0) }
}

function emptyGrant(openid: string, template: Template): GrantDoc {
  return { openid, templateId: template.id, kind: template.kind, available: 0, status: 'none', accepted: 0, epoch: 0, uncertain: 0, holding: false }
}

const view = (grant: GrantDoc): GrantView => ({ available: grant.available, kind: grant.kind, status: grant.status, uncertain: grant.uncertain ?? 0 })

export class Ledger {
  constructor(private readonly db: Database) {}

  /**
   * Applies a popup report in one transaction: the report's marker, a popup
   * record per template and every grant it changes land together, and a
   * report already applied (same requestId) changes nothing. True when this
   * call applied it.
   */
  async recordPopup(openid: string, outcomes: Array<{ template: Template; outcome: PopupOutcome }>, requestId: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.applyReport(openid, outcomes, requestId)
        return true
      } catch (error) {
        // The same report again: already applied, nothing to do (and nothing it releases twice).
        if (isDuplicateKey(error)) return false
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
      const recorded = new Set<string>()
      for (const { template, outcome } of outcomes) {
        // One popup record per template of the report (a pushed list could name one twice), under the report's marker.
        if (!recorded.has(template.id)) {
          recorded.add(template.id)
          const popup = { _id: `${openid}:${requestId}:${template.id}`, openid, templateId: template.id, outcome: recordedOutcome(template.kind, outcome), at: now }
          await tx.collection(POPUPS).add({ data: popup })
        }
        if (outcome === 'filter') continue
        const ref = tx.collection(GRANTS).doc(grantId(openid, template.id))
        const stored = (await ref.get()).data as GrantDoc | null
        const current = stored ? { ...emptyGrant(openid, template), ...stored } : emptyGrant(openid, template)
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

  /**
   * Takes one send before WeChat is called, with one conditional update that
   * also says the grant's epoch and records the reservation's key. Undefined
   * when there was none to take; a long-term grant is checked, never consumed
   * (still one conditional update: it records the key).
   */
  async reserve(openid: string, template: Template, key: string): Promise<Reservation | undefined> {
    const _ = this.db.command
    const id = grantId(openid, template.id)
    const grants = this.db.collection(GRANTS)
    const now = this.db.serverDate()
    const remember = { reservedFor: _.push({ each: [key], slice: -RESERVED_KEPT }), updatedAt: now }
    if (template.kind === 'long-term') {
      const taken = await updateAndReturn(grants.where({ _id: id, status: 'accept' }), remember)
      return taken.updated === 1 ? { epoch: (taken.doc as GrantDoc | null)?.epoch ?? 0, key } : undefined
    }
    // The last unit first (most grants hold one): taking it clears `holding` in the same update. Else one of several;
    // and if those ran out meanwhile (reservations only lower the count), the last one again.
    const last = () => updateAndReturn(grants.where({ _id: id, available: 1 }), { available: 0, holding: false, ...remember })
    let taken = await last()
    if (taken.updated !== 1) taken = await updateAndReturn(grants.where({ _id: id, available: _.gt(1) }), { available: _.inc(-1), ...remember })
    if (taken.updated !== 1) taken = await last()
    return taken.updated === 1 ? { epoch: (taken.doc as GrantDoc | null)?.epoch ?? 0, key } : undefined
  }

  /**
   * Gives a reserved send back, after WeChat definitely did not send: only
   * while the grant is in the epoch the reservation was taken in, and only
   * once (the key leaves the grant with the unit). Zeroed since (a card's
   * reject, a 43101), the unit is gone at WeChat too, and the key stays.
   */
  async refund(openid: string, template: Template, reservation: Reservation): Promise<void> {
    const _ = this.db.command
    const data: Record<string, unknown> = { reservedFor: _.pull(reservation.key), updatedAt: this.db.serverDate() }
    if (template.kind === 'one-time') Object.assign(data, { available: _.inc(1), holding: true })
    await this.db
      .collection(GRANTS)
      .where({ _id: grantId(openid, template.id), epoch: reservation.epoch, reservedFor: reservation.key })
      .update({ data })
  }

  /**
   * The reservations that still stand for a message whose sender took it up
   * at `since` (its clock, less the skew): `unsure` when none does but the
   * list is full of keys no older than that, so that its own may have fallen off.
   */
  async reservationsFor(openid: string, template: Template, messageId: string, since: number): Promise<ReservationTrace> {
    const { data } = await this.db.collection(GRANTS).doc(grantId(openid, template.id)).field({ reservedFor: true }).get()
    const all = (data as GrantDoc | null)?.reservedFor ?? []
    const keys = all.filter((key) => key.startsWith(`${messageId}@`))
    if (keys.length > 0 || all.length < RESERVED_KEPT) return { keys }
    return reservedAt(all[0]!) >= since ? 'unsure' : { keys }
  }

  /** The user changed the template from a message card (subscribe_msg_change_event): a reject zeroes it, a long-term accept turns it back on. */
  async change(openid: string, template: Template, status: 'accept' | 'reject'): Promise<boolean> {
    const _ = this.db.command
    const id = grantId(openid, template.id)
    if (status === 'reject') {
      const { stats } = await this.db
        .collection(GRANTS)
        .doc(id)
        .update({ data: { available: 0, holding: false, status: 'reject', uncertain: 0, epoch: _.inc(1), updatedAt: this.db.serverDate() } })
      return stats.updated === 1
    }
    // WeChat pushes an accept from the card only for a long-term template: it allows sends again.
    if (template.kind !== 'long-term') return false
    const { stats } = await this.db
      .collection(GRANTS)
      .doc(id)
      .update({ data: { available: 1, holding: true, status: 'accept', updatedAt: this.db.serverDate() } })
    return stats.updated === 1
  }

  /** WeChat says the user has no quota (43101): believe it, and nothing is uncertain any more. */
  async exhaust(openid: string, template: Template): Promise<void> {
    const _ = this.db.command
    const change: Record<string, unknown> = { available: 0, holding: false, uncertain: 0, epoch: _.inc(1), updatedAt: this.db.serverDate() }
    if (template.kind === 'long-term') change.status = 'reject'
    await this.db.collection(GRANTS).doc(grantId(openid, template.id)).update({ data: change })
  }

  /**
   * A reserved unit whose outcome will never be known: WeChat may still hold
   * it. Counted once per key, however often the write is retried.
   */
  async uncertain(openid: string, template: Template, key: string): Promise<void> {
    if (template.kind === 'long-term') return
    const _ = this.db.command
    await this.db
      .collection(GRANTS)
      .where({ _id: grantId(openid, template.id), uncertainFor: _.neq(key) })
      .update({ data: { uncertain: _.inc(1), uncertainFor: _.push({ each: [key], slice: -RESERVED_KEPT }), updatedAt: this.db.serverDate() } })
  }
}
