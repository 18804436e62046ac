/**
 * WeChat's pushed events applied to the ledger and the messages (the
 * subscribe_msg_* events of WeChat's message-push documentation). `List` is one object for one entry and an
 * array for more: normalised first.
 */
import { createHash } from 'node:crypto'
import { openidOf, type Caller } from '../caller'
import type { Database } from '../cloud'
import { OPENID, isRecord } from '../input'
import { Ledger, type PopupOutcome } from '../ledger/ledger'
import { releaseWaiting } from '../outbox/waiting'
import { MESSAGES } from '../outbox/outbox'
import { CODES, refuse, success } from '../replies'
import type { Settings } from '../settings'
import { findTemplate } from '../templates/registry'

const EVENTS = ['subscribe_msg_popup_event', 'subscribe_msg_change_event', 'subscribe_msg_sent_event'] as const

export function entries(list: unknown): Array<Record<string, unknown>> {
  if (Array.isArray(list)) return list.filter(isRecord)
  return isRecord(list) ? [list] : []
}

/**
 * Applies one pushed event. WeChat's push carries, in its context, the OPENID
 * of the user the event is about, and no client's SOURCE (the receiver's door
 * admits nothing else): an event never touches a user other than the one its
 * push names.
 */
export async function applyEvent(db: Database, caller: Caller, message: unknown, acceptsFrom: Settings['acceptsFrom']) {
  if (!isRecord(message) || message.MsgType !== 'event' || !EVENTS.includes(message.Event as never)) {
    return refuse(CODES.INVALID_ARGUMENT, 'not a subscription message event')
  }
  const openid = message.FromUserName
  if (typeof openid !== 'string' || !OPENID.test(openid)) return refuse(CODES.INVALID_ARGUMENT, 'FromUserName is not an openid')
  if (openid !== openidOf(caller)) return refuse(CODES.FORBIDDEN, 'the event is about another user than the push that carries it')
  const list = entries(message.List)
  const ledger = new Ledger(db)
  let applied = 0

  if (message.Event === 'subscribe_msg_popup_event') {
    // Counted here only when accepts come from events; otherwise subscribe-record counts them.
    if (acceptsFrom !== 'events') return success({ event: message.Event, applied })
    const outcomes = list.flatMap((entry) => {
      const template = findTemplate(String(entry.TemplateId))
      const status = entry.SubscribeStatusString
      return template && (status === 'accept' || status === 'reject') ? [{ template, outcome: status as PopupOutcome }] : []
    })
    if (outcomes.length > 0) {
      // The same push delivered twice names the same report, so it is applied once.
      const requestId = `event-${createHash('sha256').update(JSON.stringify([message.CreateTime, list])).digest('hex').slice(0, 24)}`
      if (await ledger.recordPopup(openid, outcomes, requestId)) await releaseWaiting(db, openid, outcomes, new Date())
      applied = outcomes.length
    }
  } else if (message.Event === 'subscribe_msg_change_event') {
    for (const entry of list) {
      const template = findTemplate(String(entry.TemplateId))
      const status = entry.SubscribeStatusString
      if (!template || (status !== 'reject' && status !== 'accept')) continue
      if (await ledger.change(openid, template, status)) applied += 1
    }
  } else {
    // Only asynchronous failures are pushed: the message did not reach the user after all.
    for (const entry of list) {
      const errorCode = Number(entry.ErrorCode)
      if (!errorCode || typeof entry.MsgID !== 'string' && typeof entry.MsgID !== 'number') continue
      const { stats } = await db
        .collection(MESSAGES)
        .where({ msgid: String(entry.MsgID), touser: openid, status: 'sent' })
        .update({ data: { status: 'failed', code: CODES.DELIVERY_FAILED, errcode: errorCode, errmsg: String(entry.ErrorStatus ?? ''), updatedAt: db.serverDate() } })
      applied += stats.updated
    }
  }
  return success({ event: message.Event, applied })
}
