/**
 * security.msgSecCheck, WeChat's text check, one verdict for both ways in
 * (cloud call and `POST /wxa/msg_sec_check`). 1.0 (`{ content }`) answers
 * 87014 for risky text. 2.0 (`version: 2`) answers errcode 0 with the verdict
 * in `result` and per strategy in `detail`, and refuses empty text (44002), a
 * wrong type (47001), a bad scene (40129) and an openid the app does not have
 * (40003). Risky is what emulator.config.json declares (security-config.ts),
 * plus WeChat's own 1.0 test texts, which 1.0 always refuses.
 */
import { randomBytes } from 'node:crypto'
import { DATA_FORMAT_ERROR, EMPTY_POST_DATA, INVALID_OPENID, INVALID_SCENE, RISKY_CONTENT, fail, ok, type WechatReply } from './errors'
import { NORMAL_LABEL, type SecurityConfig } from './security-config'

/** The test texts of 1.0's documentation; 2.0 judges them as any other text (WeChat's answer in its community). */
export const V1_SAMPLES = ['特3456书yuuo莞6543李zxcz蒜7782法fgnv级', '完2347全dfji试3726测asad感3847知qwez到']

/** 1 资料, 2 评论, 3 论坛, 4 社交日志. */
const SCENES = new Set([1, 2, 3, 4])
/** The profile scene: the only one whose `signature` is checked. */
const PROFILE_SCENE = 1
/** The confidence (0 to 100) WeChat reports beside a strategy's verdict. */
const PROB = 90

/** A refusal, thrown from a field's check and answered as it stands. */
class Refusal {
  constructor(readonly reply: WechatReply) {}
}
const refuse = (errcode: number, errmsg: string): never => {
  throw new Refusal(fail(errcode, errmsg))
}

/** WeChat reads a number sent as JSON text too ("2"), as protobuf's JSON does. */
function whole(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof number === 'number' && Number.isInteger(number) ? number : undefined
}

/** A text field: absent or empty is 44002 when required, another type 47001. */
function text(data: Record<string, unknown>, name: string, required: true): string
function text(data: Record<string, unknown>, name: string, required: false): string | undefined
function text(data: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = data[name]
  if (value === undefined || value === null || value === '') return required ? refuse(EMPTY_POST_DATA, `empty post data: ${name} is empty`) : undefined
  return typeof value === 'string' ? value : refuse(DATA_FORMAT_ERROR, `data format error: ${name} must be a string`)
}

/** `trace_id`: WeChat's has the second in hex, then two random parts. */
function traceId(now: number): string {
  return `${Math.floor(now / 1000).toString(16).padStart(8, '0')}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`
}

export function contentCheck(config: SecurityConfig, app: { isUser: (openid: string) => boolean; now?: () => number }): (data: Record<string, unknown>) => WechatReply {
  const words = config.words.map(({ word, label }) => ({ word, label, folded: word.toLowerCase() }))
  /** The first declared word any of the texts holds, ignoring case. */
  const declared = (texts: string[]) => {
    const folded = texts.map((t) => t.toLowerCase())
    return words.find((w) => folded.some((t) => t.includes(w.folded)))
  }

  const version1 = (data: Record<string, unknown>): WechatReply => {
    const content = text(data, 'content', true)
    return V1_SAMPLES.some((sample) => content.includes(sample)) || declared([content]) ? fail(RISKY_CONTENT, 'risky content') : ok()
  }

  const version2 = (data: Record<string, unknown>): WechatReply => {
    const openid = text(data, 'openid', true)
    const content = text(data, 'content', true)
    const [nickname, title, signature] = ['nickname', 'title', 'signature'].map((name) => text(data, name, false))
    if (data.scene === undefined || data.scene === null || data.scene === '') refuse(EMPTY_POST_DATA, 'empty post data: scene is empty')
    const scene = whole(data.scene)
    if (scene === undefined || !SCENES.has(scene)) refuse(INVALID_SCENE, 'invalid scene: 1 (资料), 2 (评论), 3 (论坛) or 4 (社交日志)')
    if (!app.isUser(openid)) refuse(INVALID_OPENID, 'invalid openid: not a user of this app')
    const texts = [content, nickname, title, scene === PROFILE_SCENE ? signature : undefined].filter((t): t is string => t !== undefined)
    const hit = declared(texts)
    const keyword = hit ? { strategy: 'keyword', errcode: 0, suggest: 'risky', label: hit.label, prob: PROB, keyword: hit.word } : { strategy: 'keyword', errcode: 0 }
    return ok({
      detail: [{ strategy: 'content_model', errcode: 0, suggest: 'pass', label: NORMAL_LABEL, prob: PROB }, keyword],
      trace_id: traceId(app.now?.() ?? Date.now()),
      result: hit ? { suggest: 'risky', label: hit.label } : { suggest: 'pass', label: NORMAL_LABEL },
    })
  }

  return (data) => {
    try {
      // 1.0 takes no version; 2.0 is version 2.
      const version = data.version === undefined ? 1 : whole(data.version)
      if (version !== 1 && version !== 2) refuse(DATA_FORMAT_ERROR, 'data format error: version must be 2 (2.0), or absent (1.0)')
      return version === 2 ? version2(data) : version1(data)
    } catch (error) {
      if (error instanceof Refusal) return error.reply
      throw error
    }
  }
}
