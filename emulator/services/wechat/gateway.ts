import { existsSync } from 'node:fs'
import {
  CONCURRENT_SEND,
  DAILY_LIMIT,
  INVALID_DATA,
  INVALID_OPENID,
  INVALID_PAGE,
  INVALID_TEMPLATE_ID,
  NO_SUBSCRIPTION,
  POPUP_EMPTY,
  POPUP_MAIN_SWITCH_OFF,
  POPUP_MIXED_KINDS,
  POPUP_TOO_MANY,
  POPUP_UNKNOWN_TEMPLATE,
  TEMPLATE_BANNED,
  fail,
  ok,
  type WechatReply,
} from './errors'
import type { WechatEvent } from './events'
import { appPages } from './pages'
import { popupEvent, changeEvent, sentEvent } from './events'
import type { Faults } from './faults'
import { beijingDate, funnelDays, startOfBeijingDay, type FunnelMeasure } from './funnel'
import type { TemplateSpec } from './registry'
import { checkMessageData } from './rules'
import { changeKeptChoice, settingsView } from './settings'
import type { DeliveredMessage, Grant, GrantStatus, PrivateTemplate, WechatStore } from './store'

export type PopupChoice = 'accept' | 'reject' | 'ban'

export type SubscribeOutcome =
  | { ok: true; reply: Record<string, string> }
  | { ok: false; errCode: number; errMsg: string }

const MINIPROGRAM_STATES = new Set(['developer', 'trial', 'formal'])
const LANGS = new Set(['zh_CN', 'en_US', 'zh_HK', 'zh_TW'])
const MAX_PER_POPUP = 5
/** Real msgids have 19 digits, past what a JSON number holds exactly (wx-server-sdk reads them as BigNumber). */
const MSGID_BASE = 2_271_263_164_479_225_000n

/**
 * WeChat's side, as the judge of every test: the popup's answers, the true
 * quota per user and template, the send rules with their error codes, the
 * delivered messages, and the events WeChat pushes.
 */
export class WechatGateway {
  private readonly inFlight = new Set<string>()
  private msgSeq: number

  constructor(
    private readonly store: WechatStore,
    private readonly faults: Faults,
    private readonly options: { appJsonPath: string; appid: string; emit: (event: WechatEvent) => void; now?: () => number },
  ) {
    this.msgSeq = store.lastMessageSeq()
  }

  private now(): number {
    return this.options.now?.() ?? Date.now()
  }

  /** Makes the registry's templates private templates of the account (a deleted one stays deleted). */
  installRegistry(templates: TemplateSpec[]): void {
    for (const template of templates) {
      if (!this.store.knowsTemplate(template.id)) this.store.addTemplate({ ...template, origin: 'registry' })
    }
  }

  /** An openid becomes one of this app's when its user first appears. */
  meetUser(openid: string): void {
    this.store.addUser(openid)
  }

  // ---- the user's side -----------------------------------------------------

  /** The popup of `wx.requestSubscribeMessage`, answered with the user's choices. */
  subscribe(openid: string, choices: Record<string, PopupChoice>, keep: boolean): SubscribeOutcome {
    const ids = Object.keys(choices)
    const failure = (errCode: number, why: string): SubscribeOutcome => ({
      ok: false,
      errCode,
      errMsg: `requestSubscribeMessage:fail ${why}`,
    })
    if (ids.length === 0) return failure(POPUP_EMPTY, "TmplIds can't be empty")
    if (ids.length > MAX_PER_POPUP) return failure(POPUP_TOO_MANY, 'Templates count out of max bounds')
    const templates = ids.map((id) => this.store.template(id))
    // By position: an empty id is unknown too, though it reads as false.
    const unknown = templates.findIndex((template) => !template)
    if (unknown >= 0) return failure(POPUP_UNKNOWN_TEMPLATE, `No template data return, verify the template id exist: ${JSON.stringify(ids[unknown])}`)
    if (new Set(templates.map((t) => t!.kind)).size > 1) return failure(POPUP_MIXED_KINDS, 'Templates type must be same')
    this.meetUser(openid)
    const settings = this.store.settings(openid)
    if (!settings.mainSwitch) return failure(POPUP_MAIN_SWITCH_OFF, 'The main switch is switched off')

    const reply: Record<string, string> = { errMsg: 'requestSubscribeMessage:ok' }
    const titles = new Set<string>()
    const prompted: Array<{ TemplateId: string; SubscribeStatusString: string; PopupScene: string }> = []
    for (const template of templates as PrivateTemplate[]) {
      // A template whose title repeats another's in the same call is filtered out.
      if (titles.has(template.title)) {
        reply[template.id] = 'filter'
        this.count(template.id, 'filter')
        continue
      }
      titles.add(template.title)
      // "Always keep this choice" suppresses the popup: the kept answer is given again.
      const kept = settings.itemSettings[template.id] as PopupChoice | undefined
      const choice = kept ?? choices[template.id]!
      this.applyChoice(openid, template, choice)
      reply[template.id] = choice
      this.count(template.id, choice)
      if (kept) continue
      if (keep) settings.itemSettings[template.id] = choice
      if (choice !== 'ban') prompted.push({ TemplateId: template.id, SubscribeStatusString: choice, PopupScene: '0' })
    }
    if (keep) this.store.putSettings(openid, settings)
    if (prompted.length > 0) this.options.emit(popupEvent(openid, prompted, this.now()))
    return { ok: true, reply }
  }

  private applyChoice(openid: string, template: PrivateTemplate, choice: PopupChoice): void {
    const grant = this.store.grant(openid, template.id)
    let next: Grant
    if (template.kind === 'one-time') {
      next = { available: grant.available + (choice === 'accept' ? 1 : 0), status: choice }
    } else {
      next = { available: choice === 'accept' ? 1 : 0, status: choice }
    }
    this.store.putGrant(openid, template.id, next)
  }

  /** The user turns a template off from a message card's menu: WeChat pushes the change. */
  rejectFromCard(openid: string, templateId: string): Grant {
    const next: Grant = { available: 0, status: 'reject' }
    this.store.putGrant(openid, templateId, next)
    this.options.emit(changeEvent(openid, [{ TemplateId: templateId, SubscribeStatusString: 'reject' }], this.now()))
    return next
  }

  /**
   * The user turns a long-term template back on in the mini-program's
   * subscription settings: sends are allowed again, and WeChat pushes the
   * change. Undefined for a one-time template, which has nothing to resume.
   */
  resumeFromSettings(openid: string, templateId: string): Grant | undefined {
    if (this.store.template(templateId)?.kind !== 'long-term') return undefined
    const next: Grant = { available: 1, status: 'accept' }
    this.store.putGrant(openid, templateId, next)
    this.options.emit(changeEvent(openid, [{ TemplateId: templateId, SubscribeStatusString: 'accept' }], this.now()))
    return next
  }

  setMainSwitch(openid: string, on: boolean): void {
    this.meetUser(openid)
    const settings = this.store.settings(openid)
    this.store.putSettings(openid, { ...settings, mainSwitch: on })
  }

  /** The user changes a kept choice in the settings page wx.openSetting opens (settings.ts). */
  changeKeptChoice(openid: string, templateId: string, choice: 'accept' | 'reject'): boolean {
    return changeKeptChoice(this.store, openid, templateId, choice)
  }

  settings(openid: string) {
    return settingsView(this.store, openid)
  }

  quota(openid: string, templateId: string): { available: number; kind: 'one-time' | 'long-term'; status: GrantStatus } | undefined {
    const template = this.store.template(templateId)
    if (!template) return undefined
    const grant = this.store.grant(openid, templateId)
    return { available: grant.available, kind: template.kind, status: grant.status }
  }

  users(): string[] {
    return this.store.users()
  }

  deliveriesPerMinute(sinceMs: number): Array<[number, number]> {
    return this.store.deliveriesPerMinute(sinceMs)
  }

  /** WeChat's funnel over the last `days` UTC+8 days. */
  funnel(days: number) {
    return funnelDays(this.store, days, this.now())
  }

  private count(templateId: string, measure: FunnelMeasure): void {
    this.store.countFunnel(beijingDate(this.now()), templateId, measure)
  }

  /** WeChat's true quota of every user and template it has one for. */
  grants() {
    return this.store.grants().map((grant) => ({ ...grant, kind: this.store.template(grant.templateId)?.kind ?? null }))
  }

  messages(touser?: string): DeliveredMessage[] {
    return this.store.messages(touser)
  }

  /** WeChat reports that a delivered message failed after all (subscribe_msg_sent_event). */
  failDelivered(msgid: string, errorCode: number, errorStatus: string): DeliveredMessage | undefined {
    const message = this.store.message(msgid)
    if (!message) return undefined
    message.failed = { errorCode, errorStatus }
    this.store.putMessage(message)
    this.options.emit(
      sentEvent(message.touser, [{ TemplateId: message.template_id, MsgID: msgid, ErrorCode: errorCode, ErrorStatus: errorStatus }], this.now()),
    )
    return message
  }

  // ---- subscribeMessage.send -----------------------------------------------

  /**
   * Applies WeChat's rules to one send. Faults come first and, when they
   * answer with an error, spend nothing; a send to a user while another send
   * to that user is in flight answers 43108.
   */
  async send(request: Record<string, unknown>): Promise<WechatReply | 'hang'> {
    const reply = await this.answer(request)
    // Into the funnel, each refusal by its errcode (a delivery is counted where it is kept).
    if (reply !== 'hang' && reply.errcode !== 0 && typeof request.template_id === 'string') this.count(request.template_id, `refused:${reply.errcode}`)
    return reply
  }

  private async answer(request: Record<string, unknown>): Promise<WechatReply | 'hang'> {
    const touser = typeof request.touser === 'string' ? request.touser : ''
    if (touser && this.inFlight.has(touser)) return fail(CONCURRENT_SEND, 'concurrent send to the same user, retry later')
    const fate = this.faults.decide(touser)
    if (touser) this.inFlight.add(touser)
    try {
      if (fate.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fate.delayMs))
    } finally {
      if (touser) this.inFlight.delete(touser)
    }
    if (fate.kind === 'error') {
      // Delivered, and yet answered with the error: the sender cannot tell from the answer.
      if (fate.deliverFirst) this.deliver(request)
      return fail(fate.errcode, `fault injected: errcode ${fate.errcode}`)
    }
    if (fate.kind === 'hang') {
      // The caller's timeout fires; the message may or may not have gone out.
      if (fate.deliver) this.deliver(request)
      return 'hang'
    }
    return this.deliver(request)
  }

  private deliver(request: Record<string, unknown>): WechatReply {
    const limit = this.faults.dailyLimit
    if (limit !== undefined && this.store.deliveredSince(startOfBeijingDay(this.now())) >= limit) {
      return fail(DAILY_LIMIT, 'reach max api daily quota limit')
    }
    const { template_id: templateId, touser, page, data } = request
    const template = typeof templateId === 'string' ? this.store.template(templateId) : undefined
    if (!template) return fail(INVALID_TEMPLATE_ID, `invalid template_id`)
    if (typeof touser !== 'string' || !this.store.isUser(touser)) return fail(INVALID_OPENID, 'invalid openid')
    const dataProblem = checkMessageData(template.keywords, data)
    if (dataProblem) return fail(INVALID_DATA, dataProblem)
    // Without an app.json (a project of functions only) there is no page list to hold a page against.
    if (page !== undefined && page !== '' && existsSync(this.options.appJsonPath)) {
      const path = typeof page === 'string' ? page.replace(/^\//, '').split('?')[0]! : ''
      if (!appPages(this.options.appJsonPath).has(path)) return fail(INVALID_PAGE, 'invalid page')
    }
    const state = request.miniprogram_state ?? 'formal'
    if (typeof state !== 'string' || !MINIPROGRAM_STATES.has(state)) return fail(INVALID_DATA, 'argument invalid! miniprogram_state invalid')
    const lang = request.lang ?? 'zh_CN'
    if (typeof lang !== 'string' || !LANGS.has(lang)) return fail(INVALID_DATA, 'argument invalid! lang invalid')

    const grant = this.store.grant(touser, template.id)
    if (grant.status === 'ban') return fail(TEMPLATE_BANNED, 'the template is banned for this user')
    const allowed = template.kind === 'one-time' ? grant.available > 0 : grant.status === 'accept'
    if (!allowed) return fail(NO_SUBSCRIPTION, 'user refuse to accept the msg')
    if (template.kind === 'one-time') this.store.putGrant(touser, template.id, { ...grant, available: grant.available - 1 })

    this.msgSeq += 1
    const msgid = String(MSGID_BASE + BigInt(this.msgSeq))
    this.store.addMessage({
      touser,
      template_id: template.id,
      page: typeof page === 'string' && page !== '' ? page : null,
      data: data as DeliveredMessage['data'],
      miniprogram_state: state,
      lang,
      msgid,
      sentAt: new Date(this.now()).toISOString(),
    })
    this.count(template.id, 'delivered')
    return ok({ msgid })
  }
}
