/**
 * The account's templates (getTemplateList) in the registry's shape: each
 * keyword's key and name read from the content (`名称:{{thing1.DATA}}`), its
 * type from the key, enum values from keywordEnumValueList.
 */
import type { AccountTemplate } from '../cloud'

export interface SyncedTemplate {
  id: string
  title: string
  kind: 'one-time' | 'long-term'
  keywords: Array<{ key: string; name: string; enumValues?: string[] }>
}

export function registryFromAccount(templates: AccountTemplate[]): SyncedTemplate[] {
  return templates.map((t) => {
    const enums = new Map((t.keywordEnumValueList ?? []).map((e) => [e.keywordCode.replace(/\.DATA$/, ''), e.enumValueList]))
    const keywords = [...t.content.matchAll(/([^\n:：{}]*)[:：]?\s*\{\{\s*([a-z_]+\d+)\.DATA\s*\}\}/g)].map(([, name, key]) => ({
      key: key!,
      name: (name ?? '').trim() || key!,
      ...(enums.has(key!) ? { enumValues: enums.get(key!) } : {}),
    }))
    return { id: t.priTmplId, title: t.title, kind: t.type === 3 ? 'long-term' : 'one-time', keywords }
  })
}
