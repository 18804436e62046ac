import { CODES, refuse } from '../replies'
import { keywordProblem, truncateThing } from './keywords'
import { isPage } from './pages'
import { findTemplate, type Template } from './registry'

export type MessageData = Record<string, { value: string }>

/** A message as WeChat will receive it, after the registry's rules. */
export interface PreparedMessage {
  template: Template
  data: MessageData
}

/**
 * Checks data against its template, keyword by keyword, and the page against
 * app.json. The first problem is refused with INVALID_DATA naming its field.
 */
export function prepareMessage(templateId: string, data: Record<string, string>, page: string | undefined): PreparedMessage {
  const template = findTemplate(templateId)
  if (!template) return refuse(CODES.INVALID_DATA, `template ${templateId} is not in the registry`, { field: 'templateId' })
  const prepared: MessageData = {}
  for (const keyword of template.keywords) {
    const raw = data[keyword.key]
    if (raw === undefined) refuse(CODES.INVALID_DATA, `${keyword.key} (${keyword.name}) is missing`, { field: keyword.key })
    let value = raw!
    if (keyword.type === 'thing' && template.truncateThing) value = truncateThing(value)
    const problem = keywordProblem(keyword.type, value, keyword.enumValues)
    if (problem) refuse(CODES.INVALID_DATA, `${keyword.key} (${keyword.name}) ${problem}`, { field: keyword.key })
    prepared[keyword.key] = { value }
  }
  const extra = Object.keys(data).find((key) => !template.keywords.some((k) => k.key === key))
  if (extra) refuse(CODES.INVALID_DATA, `${extra} is not a keyword of template ${template.id}`, { field: extra })
  if (page !== undefined && !isPage(page)) refuse(CODES.INVALID_DATA, `page ${page} is not a page of miniprogram/app.json`, { field: 'page' })
  return { template, data: prepared }
}
