/**
 * What `subscribe-record` does: records the outcome of the caller's
 * subscription popup in the ledger, and reports the caller's grants.
 */
import { randomBytes } from 'node:crypto'
import { openidOf, type Caller } from '../caller'
import type { Database } from '../cloud'
import { KEY, TEMPLATE_ID, isRecord, readEvent, text } from '../input'
import { Ledger, POPUP_OUTCOMES, type PopupOutcome } from '../ledger/ledger'
import { releaseWaiting } from '../outbox/waiting'
import { CODES, refuse, success } from '../replies'
import type { Settings } from '../settings'
import { TEMPLATES, findTemplate, type Template } from '../templates/registry'
import { KEY_MAX, STATUS_TEMPLATES_MAX, TEMPLATES_PER_POPUP_MAX } from '../limits'


function templateOf(id: string, field: string): Template {
  if (!TEMPLATE_ID.test(id)) return refuse(CODES.INVALID_ARGUMENT, `${field} is not a template id`, { field })
  return findTemplate(id) ?? refuse(CODES.INVALID_ARGUMENT, `template ${id} is not in the registry`, { field })
}

/** `{ errMsg, "<templateId>": outcome, … }` as the popup resolved, checked key by key. */
function popupOutcomes(results: unknown): Array<{ template: Template; outcome: PopupOutcome }> {
  if (!isRecord(results)) return refuse(CODES.INVALID_ARGUMENT, 'results must be the object wx.requestSubscribeMessage resolved with', { field: 'results' })
  if (results.errMsg !== undefined && typeof results.errMsg !== 'string') {
    refuse(CODES.INVALID_ARGUMENT, 'results.errMsg must be the string the popup resolved with', { field: 'results.errMsg' })
  }
  const entries = Object.entries(results).filter(([key]) => key !== 'errMsg')
  if (entries.length === 0) refuse(CODES.INVALID_ARGUMENT, 'results names no template', { field: 'results' })
  if (entries.length > TEMPLATES_PER_POPUP_MAX) {
    refuse(CODES.INVALID_ARGUMENT, `results names more than ${TEMPLATES_PER_POPUP_MAX} templates`, { field: 'results' })
  }
  return entries.map(([id, outcome]) => {
    const template = templateOf(id, `results.${id}`)
    if (!POPUP_OUTCOMES.includes(outcome as PopupOutcome)) {
      refuse(CODES.INVALID_ARGUMENT, `results.${id} must be one of ${POPUP_OUTCOMES.join(', ')}`, { field: `results.${id}` })
    }
    return { template, outcome: outcome as PopupOutcome }
  })
}

export async function subscriptions(
  db: Database,
  caller: Caller,
  event: unknown,
  acceptsFrom: Settings['acceptsFrom'],
): Promise<Record<string, unknown>> {
  // The user is always the caller (the door admits only users): a user named in the data counts for nothing.
  const openid = openidOf(caller)
  const input = readEvent(event, ['action', 'results', 'requestId', 'templateIds'])
  const ledger = new Ledger(db)

  if (input.action === 'status') {
    if (input.results !== undefined || input.requestId !== undefined) refuse(CODES.INVALID_ARGUMENT, 'status takes only templateIds')
    const ids = input.templateIds
    let templates = [...TEMPLATES.values()]
    if (ids !== undefined) {
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > STATUS_TEMPLATES_MAX || !ids.every((id) => typeof id === 'string')) {
        refuse(CODES.INVALID_ARGUMENT, `templateIds must be 1 to ${STATUS_TEMPLATES_MAX} template ids`, { field: 'templateIds' })
      }
      templates = [...new Set(ids as string[])].map((id) => templateOf(id, 'templateIds'))
    }
    return success({ grants: await ledger.views(openid, templates) })
  }
  if (input.action !== undefined) refuse(CODES.INVALID_ARGUMENT, 'action must be "status" or left out', { field: 'action' })
  if (input.templateIds !== undefined) refuse(CODES.INVALID_ARGUMENT, 'templateIds goes with action "status"', { field: 'templateIds' })

  const outcomes = popupOutcomes(input.results)
  const requestId = text(input, 'requestId', { pattern: KEY, max: KEY_MAX, optional: true }) ?? randomBytes(12).toString('hex')
  // When WeChat's popup events count the accepts, a report is only read back, never counted too.
  if (acceptsFrom === 'reports' && (await ledger.recordPopup(openid, outcomes, requestId))) await releaseWaiting(db, openid, outcomes, new Date())
  return success({ grants: await ledger.views(openid, outcomes.map((o) => o.template)) })
}
