/**
 * The template registry (templates.json at the project root), inlined into
 * each function bundle by the build. A registry that breaks its own shape is
 * a bug and fails loudly at load.
 */
import raw from '../../templates.json'
import { typeOfKey, type KeywordType } from './keywords'

export type TemplateKind = 'one-time' | 'long-term'

export interface Keyword {
  key: string
  name: string
  type: KeywordType
  example?: string
  enumValues?: string[]
}

export interface Template {
  id: string
  title: string
  kind: TemplateKind
  keywords: Keyword[]
  /** A mini-program user may send it to itself. */
  selfService: boolean
  /** Over-long thing values are cut to 20 characters instead of refused. */
  truncateThing: boolean
}

export function parseRegistry(input: unknown): Map<string, Template> {
  const list = (input as { templates?: unknown })?.templates
  if (!Array.isArray(list)) throw new Error('templates.json: expected { "templates": [ … ] }')
  const templates = new Map<string, Template>()
  for (const entry of list as Array<Record<string, any>>) {
    const { id, title, kind, keywords, options = {} } = entry
    if (typeof id !== 'string' || typeof title !== 'string' || (kind !== 'one-time' && kind !== 'long-term') || !Array.isArray(keywords)) {
      throw new Error(`templates.json: template ${JSON.stringify(id)} needs id, title, kind and keywords`)
    }
    if (templates.has(id)) throw new Error(`templates.json: template ${id} is listed twice`)
    templates.set(id, {
      id,
      title,
      kind,
      keywords: keywords.map((k: Record<string, any>) => {
        const type = typeOfKey(String(k.key))
        if (!type) throw new Error(`templates.json: ${id} has a keyword ${JSON.stringify(k.key)} of no known type`)
        if (type === 'enum' && !(Array.isArray(k.enumValues) && k.enumValues.length > 0)) {
          throw new Error(`templates.json: ${id}.${k.key} is an enum without enumValues`)
        }
        return { key: k.key, name: String(k.name ?? k.key), type, example: k.example, enumValues: k.enumValues }
      }),
      selfService: options.selfService === true,
      truncateThing: options.truncateThing === true,
    })
  }
  return templates
}

export const TEMPLATES = parseRegistry(raw)

export function findTemplate(id: string): Template | undefined {
  return TEMPLATES.get(id)
}
