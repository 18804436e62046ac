/**
 * A document's values by type, as the Data panel shows them. Documents come
 * as relaxed EJSON (`GET /_emulator/db/…`): a date is `{ "$date": … }`, other
 * BSON types are `{ "$…": … }` objects; everything else is plain JSON.
 */
import { h } from './dom'
import { when } from './time'

export type Kind = 'string' | 'number' | 'boolean' | 'date' | 'null' | 'object' | 'array'
export const KINDS: readonly Kind[] = ['string', 'number', 'boolean', 'date', 'null', 'object', 'array']

/** Names of the kinds, Chinese first, for the tree editor's type choice. */
export const KIND_NAMES: Record<Kind, string> = {
  string: '文本 string',
  number: '数字 number',
  boolean: '布尔 boolean',
  date: '日期 date',
  null: '空 null',
  object: '对象 object',
  array: '数组 array',
}

const isDate = (value: object) => {
  const keys = Object.keys(value)
  return keys.length === 1 && keys[0] === '$date'
}

export function kindOf(value: unknown): Kind {
  if (value === null || value === undefined) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'object') return isDate(value) ? 'date' : 'object'
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return typeof value as Kind
  return 'string'
}

/** Fields that hold ids (`_id`, `…Id`, `…_id`, openids), shown in monospace. */
export const isIdField = (key: string) => key === '_id' || /(?:Id|_id|openid|unionid)$/i.test(key)

const SHORT = 48

/** One cell of the documents table: its value drawn by type, `data-kind` naming it. */
export function typedCell(key: string, value: unknown, present = true): HTMLElement {
  if (!present) return h('td', { class: 'absent' }, '')
  const kind = kindOf(value)
  const td = h('td', { 'data-kind': kind, 'data-field': key })
  switch (kind) {
    case 'date':
      td.append(when(value))
      break
    case 'number':
      td.classList.add('num')
      td.append(String(value))
      break
    case 'boolean':
      td.append(h('span', { class: `bool ${value}` }, value ? '✓ true' : '✗ false'))
      break
    case 'null':
      td.append(h('span', { class: 'muted' }, 'null'))
      break
    case 'array':
      td.append(h('span', { class: 'collapsed' }, `[…] ${(value as unknown[]).length} 项 items`))
      break
    case 'object':
      td.append(h('span', { class: 'collapsed' }, `{…} ${Object.keys(value as object).length} 个字段 fields`))
      break
    default: {
      const text = String(value)
      if (isIdField(key)) td.classList.add('mono')
      td.append(text.length > SHORT ? h('span', { title: text }, `${text.slice(0, SHORT)}…`) : text)
    }
  }
  return td
}

/** Whether a value reads at a glance in a cell: not empty, not a long text (a digest, a key), not a nested value. */
const glanceable = (value: unknown) => {
  const kind = kindOf(value)
  return kind !== 'object' && kind !== 'array' && kind !== 'null' && !(kind === 'string' && (value as string).length > 24)
}

/**
 * The columns of a page of documents: `_id` first, then the top-level fields
 * by how many documents have them (most common first); among fields as
 * common, those that read at a glance first, then in the order met.
 */
export function columnsOf(docs: Array<Record<string, unknown>>): string[] {
  const uses = new Map<string, { count: number; glance: number }>()
  for (const doc of docs) {
    for (const [key, value] of Object.entries(doc)) {
      const use = uses.get(key) ?? { count: 0, glance: 0 }
      use.count++
      if (glanceable(value)) use.glance++
      uses.set(key, use)
    }
  }
  uses.delete('_id')
  const mostly = (use: { count: number; glance: number }) => (use.glance * 2 >= use.count ? 1 : 0)
  const ordered = [...uses.entries()].sort(([, a], [, b]) => b.count - a.count || mostly(b) - mostly(a)).map(([key]) => key)
  return ['_id', ...ordered]
}
