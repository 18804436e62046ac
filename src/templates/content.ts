/**
 * One reading of what a message says, shared by every request that carries
 * one (a send, a broadcast): the template, its data, the page it opens, and
 * WeChat's options, each checked as untrusted input.
 */
import { TEMPLATE_ID, messageData, oneOf, text, type Json } from '../input'
import { ID_MAX, PAGE_MAX } from '../limits'

export const MINIPROGRAM_STATES = ['developer', 'trial', 'formal'] as const
export const LANGS = ['zh_CN', 'en_US', 'zh_HK', 'zh_TW'] as const

/** The fields of a request that carry a message's content. */
export const CONTENT_FIELDS = ['templateId', 'data', 'page', 'miniprogramState', 'lang'] as const

export interface MessageContent {
  templateId: string
  data: Record<string, string>
  page?: string
  miniprogramState: (typeof MINIPROGRAM_STATES)[number]
  lang: (typeof LANGS)[number]
}

export function readContent(input: Json): MessageContent {
  return {
    templateId: text(input, 'templateId', { pattern: TEMPLATE_ID, max: ID_MAX })!,
    data: messageData(input, 'data'),
    page: text(input, 'page', { max: PAGE_MAX, optional: true }),
    miniprogramState: oneOf(input, 'miniprogramState', MINIPROGRAM_STATES) ?? 'formal',
    lang: oneOf(input, 'lang', LANGS) ?? 'zh_CN',
  }
}
