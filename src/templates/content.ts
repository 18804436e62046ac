/**
 * One reading of what a message says, shared by every request that carries
 * one (a send, a broadcast): the template, its data, the page it opens, and
 * WeChat's options, each checked as untrusted input.
 */
import { platform, type Platform } from '../cloud'
import { TEMPLATE_ID, messageData, oneOf, text, type Json } from '../input'
import { ID_MAX, PAGE_MAX } from '../limits'
import { MINIPROGRAM_STATES, SETTINGS, type CardSettings, type MiniprogramState } from '../settings'

export const LANGS = ['zh_CN', 'en_US', 'zh_HK', 'zh_TW'] as const

/** The fields of a request that carry a message's content. */
export const CONTENT_FIELDS = ['templateId', 'data', 'page', 'miniprogramState', 'lang'] as const

export interface MessageContent {
  templateId: string
  data: Record<string, string>
  page?: string
  miniprogramState: MiniprogramState
  lang: (typeof LANGS)[number]
}

/** The version a card opens when its request names none: the test one on the emulator or a listed test environment, else the formal one. */
export function defaultState(cards: CardSettings, where: Platform): MiniprogramState {
  const testing = (where.emulated && cards.emulatorIsTest) || (where.envId !== undefined && cards.testEnvironments.includes(where.envId))
  return testing ? cards.testState : cards.state
}

/**
 * The state is resolved here, once, and kept with the message or campaign:
 * a repeat of the request resolves the same in the same environment, so its
 * fingerprint matches, and a resend opens what the first opened.
 */
export function readContent(input: Json): MessageContent {
  return {
    templateId: text(input, 'templateId', { pattern: TEMPLATE_ID, max: ID_MAX })!,
    data: messageData(input, 'data'),
    page: text(input, 'page', { max: PAGE_MAX, optional: true }),
    miniprogramState: oneOf(input, 'miniprogramState', MINIPROGRAM_STATES) ?? defaultState(SETTINGS.cards, platform()),
    lang: oneOf(input, 'lang', LANGS) ?? 'zh_CN',
  }
}
