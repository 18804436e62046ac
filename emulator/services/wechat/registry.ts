import { existsSync, readFileSync } from 'node:fs'
import { keywordTypeOf, type KeywordType } from './rules'

/**
 * The project's template registry as the emulator reads it: the templates
 * that exist in the WeChat account. The emulator parses the file itself;
 * it shares the data, never the product's code.
 */
export type TemplateKind = 'one-time' | 'long-term'

export interface KeywordSpec {
  key: string
  name: string
  type: KeywordType
  example?: string
  enumValues?: string[]
}

export interface TemplateSpec {
  id: string
  title: string
  kind: TemplateKind
  keywords: KeywordSpec[]
}

export function parseRegistry(raw: unknown, source: string): TemplateSpec[] {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`)
  }
  const templates = (raw as { templates?: unknown })?.templates
  if (!Array.isArray(templates)) fail('expected { "templates": [ … ] }')
  const ids = new Set<string>()
  return (templates as Array<Record<string, unknown>>).map((t, i) => {
    const where = `templates[${i}]`
    if (typeof t?.id !== 'string' || !t.id) fail(`${where}.id must be a string`)
    if (ids.has(t.id as string)) fail(`template ${String(t.id)} is listed twice`)
    ids.add(t.id as string)
    if (typeof t.title !== 'string' || !t.title) fail(`${where}.title must be a string`)
    if (t.kind !== 'one-time' && t.kind !== 'long-term') fail(`${where}.kind must be "one-time" or "long-term"`)
    if (!Array.isArray(t.keywords) || t.keywords.length === 0) fail(`${where}.keywords must be a non-empty array`)
    const keywords = (t.keywords as Array<Record<string, unknown>>).map((k, j): KeywordSpec => {
      const type = typeof k?.key === 'string' ? keywordTypeOf(k.key) : undefined
      if (!type) fail(`${where}.keywords[${j}].key must be a type and an index, such as thing1`)
      const enumValues = k.enumValues
      if (type === 'enum' && (!Array.isArray(enumValues) || enumValues.length === 0 || !enumValues.every((v) => typeof v === 'string'))) {
        fail(`${where}.keywords[${j}] is an enum and needs enumValues`)
      }
      return {
        key: k.key as string,
        name: typeof k.name === 'string' ? k.name : (k.key as string),
        type: type!,
        example: typeof k.example === 'string' ? k.example : undefined,
        enumValues: type === 'enum' ? (enumValues as string[]) : undefined,
      }
    })
    return { id: t.id as string, title: t.title as string, kind: t.kind as TemplateKind, keywords }
  })
}

/** Reads the registry file; a project without one has no templates yet. */
export function loadRegistry(path: string): TemplateSpec[] {
  if (!existsSync(path)) return []
  return parseRegistry(JSON.parse(readFileSync(path, 'utf8')), path)
}
