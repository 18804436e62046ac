import { randomBytes } from 'node:crypto'
import library from './public-library.json'
import {
  INVALID_KID_LIST,
  INVALID_REQUEST_PARAM,
  INVALID_SCENE_DESC,
  INVALID_TEMPLATE_ID,
  INVALID_TID,
  TOO_MANY_TEMPLATES,
  fail,
  ok,
  type WechatReply,
} from './errors'
import type { KeywordType } from './rules'
import { templateKindCode, type PrivateTemplate, type WechatStore } from './store'

/** At most 25 private templates per account. */
export const MAX_PRIVATE_TEMPLATES = 25
/** getPubTemplateTitleList returns at most 30 titles a page. */
export const MAX_TITLES_PER_PAGE = 30
/** Its own parameter errors: start, limit and category ids. */
const INVALID_START = 200016
const INVALID_LIMIT = 200017
const INVALID_CATEGORY_IDS = 200019

interface LibraryKeyword {
  kid: number
  name: string
  example: string
  rule: string
  enumValues?: string[]
}
interface LibraryTemplate {
  tid: number
  title: string
  type: 2 | 3
  categoryId: number
  keywords: LibraryKeyword[]
}
const templates = library.templates as LibraryTemplate[]

/** `{{thing1.DATA}}` lines, as getTemplateList shows a template's content. */
function content(template: PrivateTemplate): string {
  return template.keywords.map((k) => `${k.name}:{{${k.key}.DATA}}\n`).join('')
}

/**
 * The template-management cloud calls over the account's private templates
 * and a small public library: getTemplateList, addTemplate, deleteTemplate,
 * getCategory, getPubTemplateTitleList, getPubTemplateKeyWordsById.
 */
export function templateManagement(store: WechatStore): Record<string, (data: Record<string, unknown>) => WechatReply> {
  return {
    'subscribeMessage.getTemplateList': () =>
      ok({
        data: store.templates().map((t) => ({
          priTmplId: t.id,
          title: t.title,
          content: content(t),
          example: t.keywords.map((k) => `${k.name}：${k.example ?? ''}\n`).join(''),
          type: templateKindCode(t.kind),
          ...(t.keywords.some((k) => k.enumValues)
            ? {
                keywordEnumValueList: t.keywords
                  .filter((k) => k.enumValues)
                  .map((k) => ({ keywordCode: `${k.key}.DATA`, enumValueList: k.enumValues })),
              }
            : {}),
        })),
      }),

    'subscribeMessage.addTemplate': (data) => {
      const tid = Number(data.tid)
      const source = templates.find((t) => t.tid === tid)
      if (!source) return fail(INVALID_TID, 'invalid tid')
      const kids = data.kid_list
      if (!Array.isArray(kids) || kids.length < 2 || kids.length > 5 || new Set(kids).size !== kids.length) {
        return fail(INVALID_KID_LIST, 'kidList must name 2 to 5 different keywords')
      }
      const chosen = kids.map((kid) => source.keywords.find((k) => k.kid === Number(kid)))
      if (chosen.some((k) => !k)) return fail(INVALID_KID_LIST, 'kidList names a keyword the template lacks')
      const sceneDesc = data.scene_desc
      if (sceneDesc !== undefined && (typeof sceneDesc !== 'string' || [...sceneDesc].length > 15)) {
        return fail(INVALID_SCENE_DESC, 'sceneDesc must be at most 15 characters')
      }
      if (store.templates().length >= MAX_PRIVATE_TEMPLATES) return fail(TOO_MANY_TEMPLATES, 'private template count reaches the limit')
      const id = randomBytes(32).toString('base64url').slice(0, 43)
      store.addTemplate({
        id,
        title: source.title,
        kind: source.type === 2 ? 'one-time' : 'long-term',
        keywords: chosen.map((k) => ({
          key: `${k!.rule}${k!.kid}`,
          name: k!.name,
          type: k!.rule as KeywordType,
          example: k!.example,
          enumValues: k!.enumValues,
        })),
        origin: 'added',
        sceneDesc: sceneDesc as string | undefined,
      })
      return ok({ priTmplId: id })
    },

    'subscribeMessage.deleteTemplate': (data) => {
      const id = data.pri_tmpl_id
      if (typeof id !== 'string' || !store.deleteTemplate(id)) return fail(INVALID_TEMPLATE_ID, 'invalid template id')
      return ok()
    },

    'subscribeMessage.getCategory': () => ok({ data: library.categories }),

    'subscribeMessage.getPubTemplateTitleList': (data) => {
      const ids = String(data.ids ?? '')
        .split(',')
        .filter(Boolean)
        .map(Number)
      if (ids.length === 0 || ids.some((id) => !Number.isInteger(id))) return fail(INVALID_CATEGORY_IDS, 'invalid category ids')
      const start = Number(data.start ?? 0)
      const limit = Number(data.limit ?? MAX_TITLES_PER_PAGE)
      if (!Number.isInteger(start) || start < 0) return fail(INVALID_START, 'invalid start')
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TITLES_PER_PAGE) return fail(INVALID_LIMIT, 'limit must be 1 to 30')
      const matching = templates.filter((t) => ids.includes(t.categoryId) && (data.type === undefined || Number(data.type) === t.type))
      return ok({
        count: matching.length,
        data: matching.slice(start, start + limit).map(({ tid, title, type, categoryId }) => ({ tid, title, type, categoryId: String(categoryId) })),
      })
    },

    'subscribeMessage.getPubTemplateKeyWordsById': (data) => {
      const source = templates.find((t) => t.tid === Number(data.tid))
      if (!source) return data.tid === undefined ? fail(INVALID_REQUEST_PARAM, 'tid is required') : fail(INVALID_TID, 'invalid tid')
      return ok({ count: source.keywords.length, data: source.keywords.map(({ kid, name, example, rule }) => ({ kid, name, example, rule })) })
    },
  }
}
