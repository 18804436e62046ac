/**
 * `emulator.config.json` → `security`: the words WeChat's content check
 * holds as risky, each with the label it answers, so that a project can test
 * its refusal path (WeChat's own counterpart is the custom keywords an app
 * sets under 安全中心 → 内容风控, which msgSecCheck 2.0 reports under the
 * `keyword` strategy).
 *
 *   { "security": { "words": { "<word>": <label> } } }
 */

/** msgSecCheck 2.0's label for content that passes. */
export const NORMAL_LABEL = 100

/** msgSecCheck 2.0's risk labels, as its documentation lists them. */
export const RISK_LABELS: Readonly<Record<number, string>> = {
  10001: '广告',
  20001: '时政',
  20002: '色情',
  20003: '辱骂',
  20006: '违法犯罪',
  20008: '欺诈',
  20012: '低俗',
  20013: '版权',
  21000: '其他',
}

export interface SecurityConfig {
  /** Each declared word with its label, in the order declared (the first one found decides). */
  words: Array<{ word: string; label: number }>
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Checked at load, so that a mistyped label stops the start instead of answering a label WeChat never gives. */
export function parseSecurityConfig(raw: unknown): SecurityConfig {
  if (raw === undefined) return { words: [] }
  const fail = (why: string): never => {
    throw new Error(`emulator.config.json: security${why}`)
  }
  if (!isObject(raw)) return fail(' must be an object { "words": { "<word>": <label> } }')
  for (const key of Object.keys(raw)) if (key !== 'words') fail(`.${key} is not a setting (only "words")`)
  if (raw.words === undefined) return { words: [] }
  if (!isObject(raw.words)) return fail('.words must be an object { "<word>": <label> }')
  const labels = Object.keys(RISK_LABELS).join(', ')
  const words = Object.entries(raw.words).map(([word, label]) => {
    if (word.trim() === '') fail('.words has an empty word')
    if (typeof label !== 'number' || !(label in RISK_LABELS)) {
      fail(`.words["${word}"] is ${JSON.stringify(label)}: a label must be one of msgSecCheck's risk labels (${labels})`)
    }
    return { word, label: label as number }
  })
  return { words }
}
