/**
 * A document as a typed tree, edited in place: each field keeps its type
 * (a date stays a date, a number a number) unless its type is changed on
 * purpose in its type choice. Dates are typed in the browser's local time.
 * Reading the tree back gives relaxed EJSON, as the control API takes it.
 */
import { KIND_NAMES, KINDS, kindOf, type Kind } from './cells'
import { h } from './dom'
import { exactLocalText, toDate, zoneLabel } from './time'

interface Editor {
  element: HTMLElement
  /** The value as typed; throws naming the field where it is not one of its type. */
  read(): unknown
}

const LOCAL = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/

/** `2026-12-03 21:31:07.123` read as the browser's local time; undefined when it is no such time. */
export function parseLocal(text: string): Date | undefined {
  const match = LOCAL.exec(text.trim())
  if (!match) return undefined
  const [y, mo, d, hh, mi, ss = '0', ms = '0'] = match.slice(1).map((part) => part ?? '0') as string[]
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mi), Number(ss), Number(ms.padEnd(3, '0')))
  // 2026-02-30 rolls over into March: not a date anyone meant.
  return date.getDate() === Number(d) && date.getHours() === Number(hh) ? date : undefined
}


/** The value carried over when a field's type is changed on purpose. */
function convert(value: unknown, to: Kind): unknown {
  const from = kindOf(value)
  if (from === to) return value
  const date = from === 'date' ? toDate(value) : undefined
  switch (to) {
    case 'string':
      return date ? date.toISOString() : from === 'object' || from === 'array' ? JSON.stringify(value) : from === 'null' ? '' : String(value)
    case 'number': {
      const n = date ? date.getTime() : Number(value)
      return Number.isFinite(n) ? n : 0
    }
    case 'boolean':
      return Boolean(value) && value !== 'false'
    case 'date':
      return { $date: (toDate(value) ?? new Date()).toISOString() }
    case 'null':
      return null
    case 'object':
      return {}
    case 'array':
      return []
  }
}

function scalar(kind: Kind, value: unknown, path: string): Editor {
  switch (kind) {
    case 'string': {
      const text = String(value)
      const input = (text.length > 60 || text.includes('\n') ? h('textarea', { rows: 2 }, text) : h('input', { value: text, size: 22 })) as HTMLInputElement
      input.dataset.kind = kind
      return { element: input, read: () => input.value }
    }
    case 'number': {
      const input = h('input', { value: String(value), size: 12, class: 'num', 'data-kind': kind }) as HTMLInputElement
      return {
        element: input,
        read: () => {
          const n = Number(input.value.trim())
          if (input.value.trim() === '' || !Number.isFinite(n)) throw new Error(`${path}: "${input.value}" 不是数字 is not a number`)
          return n
        },
      }
    }
    case 'boolean': {
      const select = h('select', { 'data-kind': kind }, h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false')) as HTMLSelectElement
      select.value = String(value)
      return { element: select, read: () => select.value === 'true' }
    }
    case 'date': {
      const date = toDate(value) ?? new Date()
      const shown = exactLocalText(date)
      const input = h('input', { value: shown, size: 21, 'data-kind': kind, title: `UTC ${date.toISOString()}` }) as HTMLInputElement
      return {
        element: h('span', {}, input, h('small', { class: 'muted' }, ` 本地 local ${zoneLabel(date)}`)),
        read: () => {
          // Untouched, the instant itself: a local time in the hour a clock repeats (daylight saving ends) names two.
          if (input.value === shown) return { $date: date.toISOString() }
          const typed = parseLocal(input.value)
          if (!typed) throw new Error(`${path}: "${input.value}" 不是本地时间 is not a local time such as 2026-12-03 09:30:00`)
          return { $date: typed.toISOString() }
        },
      }
    }
    default:
      return { element: h('span', { class: 'muted', 'data-kind': 'null' }, 'null'), read: () => null }
  }
}

/** One field or item: its name, its type choice and its value; changing the type rebuilds the value. */
function entry(label: HTMLElement, value: unknown, path: () => string, remove: () => void): { element: HTMLElement; read(): unknown } {
  let kind = kindOf(value)
  let editor = valueEditor(kind, value, path())
  const type = h('select', { class: 'kind' }, ...KINDS.map((k) => h('option', { value: k }, KIND_NAMES[k]))) as HTMLSelectElement
  type.value = kind
  const slot = h('div', { class: 'value' }, editor.element)
  const drop = h('button', { class: 'link', title: '删除 remove', onclick: remove }, '×')
  const head = h('div', { class: 'head' }, label, type, drop)
  const element = h('li', { 'data-path': path() }, head)
  // A value on the field's own line; an object's or array's fields below it.
  const place = () => (kind === 'object' || kind === 'array' ? element.append(slot) : head.insertBefore(slot, drop))
  place()
  type.addEventListener('change', () => {
    let current: unknown
    try {
      current = editor.read()
    } catch {
      current = null
    }
    kind = type.value as Kind
    editor = valueEditor(kind, convert(current, kind), path())
    slot.replaceChildren(editor.element)
    place()
  })
  return { element, read: () => editor.read() }
}

function objectEditor(value: Record<string, unknown>, path: string): Editor {
  const list = h('ul', { class: 'tree' })
  const fields: Array<{ key: HTMLInputElement; read(): unknown; element: HTMLElement }> = []
  const add = (key: string, field: unknown) => {
    const name = h('input', { value: key, size: 12, class: 'key', placeholder: '字段 field' }) as HTMLInputElement
    const item = { key: name, ...entry(name, field, () => `${path}.${name.value}`, () => (fields.splice(fields.indexOf(item), 1), item.element.remove())) }
    fields.push(item)
    list.append(item.element)
  }
  for (const [key, field] of Object.entries(value)) add(key, field)
  return {
    element: h('div', {}, list, h('button', { class: 'link', onclick: () => add('', '') }, '+ 添加字段 add field')),
    read: () => {
      const out: Record<string, unknown> = {}
      for (const field of fields) {
        const key = field.key.value.trim()
        if (!key) throw new Error(`${path}: 有字段没有名字 a field has no name`)
        if (key in out) throw new Error(`${path}: 两个字段同名 two fields are named ${key}`)
        out[key] = field.read()
      }
      return out
    },
  }
}

function arrayEditor(value: unknown[], path: string): Editor {
  const list = h('ol', { class: 'tree', start: 0 })
  const items: Array<{ read(): unknown; element: HTMLElement }> = []
  const add = (item: unknown) => {
    // Its index until items before it are removed; then where it stands.
    const first = items.length
    const at = () => (made ? items.indexOf(made) : first)
    let made: Editor | undefined
    made = entry(h('span'), item, () => `${path}[${at()}]`, () => (items.splice(at(), 1), made!.element.remove()))
    items.push(made)
    list.append(made.element)
  }
  for (const item of value) add(item)
  return { element: h('div', {}, list, h('button', { class: 'link', onclick: () => add('') }, '+ 添加项 add item')), read: () => items.map((item) => item.read()) }
}

function valueEditor(kind: Kind, value: unknown, path: string): Editor {
  if (kind === 'object') return objectEditor(value as Record<string, unknown>, path)
  if (kind === 'array') return arrayEditor(value as unknown[], path)
  return scalar(kind, value, path)
}

/** A document's tree: its `_id` fixed, every other field editable; `read()` gives the document to save. */
export function documentTree(doc: Record<string, unknown>): Editor {
  const { _id, ...fields } = doc
  const body = objectEditor(fields, 'document')
  return {
    element: h('div', { class: 'doc-tree' }, h('div', { class: 'id' }, h('span', { class: 'muted' }, '_id '), h('code', {}, String(_id))), body.element),
    read: () => ({ _id, ...(body.read() as object) }),
  }
}
