import type { IncomingMessage } from 'node:http'
import { HttpError, readJson, sendJson } from '../../http'
import type { Route, RouteEntry } from '../../service'
import { isPlainObject } from '../database/values'
import type { WechatEvent } from './events'
import { parseFaults, type Faults } from './faults'
import type { PopupChoice, WechatGateway } from './gateway'
import type { LoginCodes } from './logins'
import type { templateManagement } from './management'
import type { TokenAuthority } from './tokens'

const CHOICES = new Set(['accept', 'reject', 'ban'])
/** An openid or unionid as the control API takes one (the functions' call route takes the same). */
const OPENID = /^[A-Za-z0-9_-]{1,64}$/

export interface EventRecord {
  event: WechatEvent
  receiver: string | null
  outcome: 'delivered' | 'failed' | 'no receiver' | 'pending'
  error?: string
}

function requireText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new HttpError(400, `"${name}" must be a non-empty string`)
  return value
}

/**
 * The user's side and the oracle: the popup, settings, a card's reject,
 * a login code, faults, tokens and blocks, and what WeChat knows (messages,
 * quota, templates, events).
 */
export function wechatRoutes(
  gateway: WechatGateway,
  faults: Faults,
  management: ReturnType<typeof templateManagement>,
  events: EventRecord[],
  credentials: { tokens: TokenAuthority; logins: LoginCodes },
): RouteEntry[] {
  const body = async (req: IncomingMessage) => {
    const parsed = await readJson(req)
    if (!isPlainObject(parsed)) throw new HttpError(400, 'the body must be a JSON object')
    return parsed
  }

  const subscribe: Route = async (req, res) => {
    const { openid, choices, keep } = await body(req)
    requireText(openid, 'openid')
    // No choices name no template: WeChat's 10001, as for a call without tmplIds.
    const named = choices ?? {}
    if (!isPlainObject(named)) throw new HttpError(400, '"choices" must be an object { "<templateId>": "accept" | "reject" | "ban" }')
    for (const [id, choice] of Object.entries(named)) {
      if (!CHOICES.has(choice as string)) throw new HttpError(400, `choice for ${id} must be accept, reject or ban`)
    }
    if (keep !== undefined && typeof keep !== 'boolean') throw new HttpError(400, '"keep" must be a boolean')
    const outcome = gateway.subscribe(openid as string, named as Record<string, PopupChoice>, keep === true)
    if (outcome.ok) sendJson(res, 200, outcome.reply)
    else sendJson(res, 400, { errCode: outcome.errCode, errMsg: outcome.errMsg })
  }

  const messages: Route = async (_req, res, _p, url) => {
    sendJson(res, 200, { data: gateway.messages(url.searchParams.get('touser') ?? undefined) })
  }

  const quota: Route = async (_req, res, _p, url) => {
    const openid = requireText(url.searchParams.get('openid'), 'openid')
    const templateId = requireText(url.searchParams.get('templateId'), 'templateId')
    const found = gateway.quota(openid, templateId)
    if (!found) throw new HttpError(404, `template ${templateId} is not a template of this account`)
    sendJson(res, 200, found)
  }

  const settings: Route = async (req, res, _p, url) => {
    if (req.method === 'PUT') {
      const { openid, mainSwitch, itemSettings } = await body(req)
      const user = requireText(openid, 'openid')
      if (mainSwitch === undefined && itemSettings === undefined) throw new HttpError(400, 'give "mainSwitch" or "itemSettings"')
      if (mainSwitch !== undefined && typeof mainSwitch !== 'boolean') throw new HttpError(400, '"mainSwitch" must be a boolean')
      const changes = isPlainObject(itemSettings) ? Object.entries(itemSettings) : []
      if ((itemSettings !== undefined && !isPlainObject(itemSettings)) || changes.some(([, v]) => v !== 'accept' && v !== 'reject')) {
        throw new HttpError(400, '"itemSettings" must map template ids to "accept" or "reject"')
      }
      // Own entries only: "constructor" is no kept template.
      const kept = gateway.settings(user).subscriptionsSetting.itemSettings ?? {}
      const unkept = changes.find(([id]) => !Object.hasOwn(kept, id))
      if (unkept) throw new HttpError(400, `template ${unkept[0]} is not kept ("总是保持以上选择"), so the settings page does not list it`)
      if (mainSwitch !== undefined) gateway.setMainSwitch(user, mainSwitch as boolean)
      for (const [id, choice] of changes) gateway.changeKeptChoice(user, id, choice as 'accept' | 'reject')
      return sendJson(res, 200, gateway.settings(user))
    }
    sendJson(res, 200, gateway.settings(requireText(url.searchParams.get('openid'), 'openid')))
  }

  const rejectFromCard: Route = async (req, res) => {
    const { openid, templateId } = await body(req)
    const id = requireText(templateId, 'templateId')
    if (!gateway.quota(requireText(openid, 'openid'), id)) throw new HttpError(404, `template ${id} is not a template of this account`)
    sendJson(res, 200, gateway.rejectFromCard(openid as string, id))
  }

  const resume: Route = async (req, res) => {
    const { openid, templateId } = await body(req)
    const id = requireText(templateId, 'templateId')
    if (!gateway.quota(requireText(openid, 'openid'), id)) throw new HttpError(404, `template ${id} is not a template of this account`)
    const grant = gateway.resumeFromSettings(openid as string, id)
    if (!grant) throw new HttpError(400, `template ${id} is one-time: only a long-term template is turned back on`)
    sendJson(res, 200, grant)
  }

  const failMessage: Route = async (req, res, [msgid]) => {
    const { errorCode = 10002, errorStatus = 'fail' } = await body(req)
    if (typeof errorCode !== 'number' || typeof errorStatus !== 'string') throw new HttpError(400, '"errorCode" is a number and "errorStatus" a string')
    const message = gateway.failDelivered(msgid!, errorCode, errorStatus)
    if (!message) throw new HttpError(404, `no delivered message ${msgid}`)
    sendJson(res, 200, message)
  }

  // WeChat's funnel per template and UTC+8 day, the last `days` (7 by default, at most 31).
  const funnel: Route = async (_req, res, _p, url) => {
    const raw = url.searchParams.get('days')
    const days = raw === null ? 7 : Number(raw)
    if (!/^\d+$/.test(raw ?? '7') || days < 1 || days > 31) throw new HttpError(400, '"days" must be a whole number from 1 to 31')
    sendJson(res, 200, { data: gateway.funnel(days) })
  }

  const faultRoute: Route = async (req, res) => {
    if (req.method === 'PUT') {
      try {
        faults.set(parseFaults(await readJson(req)))
      } catch (error) {
        if (error instanceof HttpError) throw error
        throw new HttpError(400, (error as Error).message)
      }
    } else if (req.method === 'DELETE') {
      faults.clear()
    }
    sendJson(res, 200, faults.current())
  }

  const loginCode: Route = async (req, res) => {
    const { openid, unionid } = await body(req)
    if (typeof openid !== 'string' || !OPENID.test(openid)) throw new HttpError(400, '"openid" must be 1 to 64 letters, digits, "_" or "-"')
    if (unionid !== undefined && (typeof unionid !== 'string' || !OPENID.test(unionid))) throw new HttpError(400, '"unionid" must be 1 to 64 letters, digits, "_" or "-"')
    sendJson(res, 200, { code: credentials.logins.issue(openid, unionid as string | undefined) })
  }

  const blocked: Route = async (req, res, [openid]) => {
    const { blocked } = await body(req)
    if (typeof blocked !== 'boolean') throw new HttpError(400, '"blocked" must be a boolean')
    if (!OPENID.test(openid!)) throw new HttpError(400, 'the openid must be 1 to 64 letters, digits, "_" or "-"')
    credentials.logins.block(openid!, blocked)
    sendJson(res, 200, { openid, blocked })
  }

  return [
    ['POST', /^\/_emulator\/wechat\/login-code$/, loginCode],
    ['PUT', /^\/_emulator\/wechat\/users\/([^/]+)\/blocked$/, blocked],
    ['POST', /^\/_emulator\/wechat\/tokens\/expire$/, async (_req, res) => sendJson(res, 200, { expired: credentials.tokens.expireAll() })],
    ['POST', /^\/_emulator\/wechat\/subscribe$/, subscribe],
    ['GET', /^\/_emulator\/wechat\/messages$/, messages],
    ['GET', /^\/_emulator\/wechat\/users$/, async (_req, res) => sendJson(res, 200, { data: gateway.users() })],
    ['GET', /^\/_emulator\/wechat\/grants$/, async (_req, res) => sendJson(res, 200, { data: gateway.grants() })],
    [
      'GET',
      /^\/_emulator\/wechat\/deliveries$/,
      async (_req, res, _p, url) => {
        const minutes = Math.min(Math.max(Number(url.searchParams.get('minutes') ?? 30) || 30, 1), 24 * 60)
        sendJson(res, 200, { data: gateway.deliveriesPerMinute(Date.now() - minutes * 60_000) })
      },
    ],
    ['GET', /^\/_emulator\/wechat\/funnel$/, funnel],
    ['POST', /^\/_emulator\/wechat\/messages\/([^/]+)\/fail$/, failMessage],
    ['GET', /^\/_emulator\/wechat\/quota$/, quota],
    ['GET', /^\/_emulator\/wechat\/templates$/, async (_req, res) => sendJson(res, 200, management['subscribeMessage.getTemplateList']!({}))],
    ['GET', /^\/_emulator\/wechat\/settings$/, settings],
    ['PUT', /^\/_emulator\/wechat\/settings$/, settings],
    ['POST', /^\/_emulator\/wechat\/reject$/, rejectFromCard],
    ['POST', /^\/_emulator\/wechat\/resume$/, resume],
    ['GET', /^\/_emulator\/wechat\/faults$/, faultRoute],
    ['PUT', /^\/_emulator\/wechat\/faults$/, faultRoute],
    ['DELETE', /^\/_emulator\/wechat\/faults$/, faultRoute],
    ['GET', /^\/_emulator\/wechat\/events$/, async (_req, res) => sendJson(res, 200, { data: events })],
  ]
}
