/**
 * What every panel of the local console shares: calls to the control API,
 * elements built in one expression, replies shown as they came, tables,
 * and the shape of a panel.
 */

export type Json = any

/** The project's console settings (emulator.config.json → console), as `GET /_emulator/console` gives them; mirrors ConsoleConfig of emulator/project.ts, which a browser build cannot import. */
export interface ConsoleConfig {
  ledger?: string
  queue?: string
  campaigns?: string
  /** A call made as a server, `"{_id}"` in its data standing for a document's id. */
  cancel?: { function: string; data: Record<string, unknown> }
  /** What a campaign has come to: counts (total, queued, remaining, sent, failed, skipped, unknown, cancelled) and status. */
  campaign?: { function: string; data: Record<string, unknown> }
  /** Stops a campaign. */
  cancelCampaign?: { function: string; data: Record<string, unknown> }
}

/** What a panel knows of the cloud it shows, read once when the page opens. */
export interface Cloud {
  config: ConsoleConfig
  /** Template titles by id. */
  titles: Map<string, string>
}

export interface Panel {
  title: string
  /** Builds the panel once; returns what refreshes its live parts. `focus`: what a link asked it to open (`#data/messages` → "messages"). */
  mount(root: HTMLElement, cloud: Cloud, focus?: string): () => Promise<void>
}

export async function api(method: string, path: string, body?: unknown): Promise<Json> {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  const json = text ? JSON.parse(text) : undefined
  if (!response.ok) throw new Error(json?.error ?? json?.errMsg ?? `${response.status} ${response.statusText}`)
  return json
}

/** An element with attributes and children; `on*` attributes take handlers. */
export function h(tag: string, attributes: Record<string, unknown> = {}, ...children: Array<Node | string | undefined | false>): HTMLElement {
  const element = document.createElement(tag)
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value as EventListener)
    else if (value !== undefined && value !== false) element.setAttribute(key, String(value))
  }
  for (const child of children) if (child !== undefined && child !== false) element.append(child)
  return element
}

const drawn = new WeakMap<Element, string>()

/**
 * Replaces what `target` shows, unless it would show the same as the last
 * time (`key`: the data it is drawn from, and the minute, for the relative
 * times): so a press, a hover or a text selection in it outlives the next
 * second's refresh when nothing changed.
 */
export function redraw(target: Element, key: unknown, draw: () => Array<Node | string>): void {
  const text = JSON.stringify([key, Math.floor(Date.now() / 60_000)])
  if (drawn.get(target) === text) return
  drawn.set(target, text)
  target.replaceChildren(...draw())
}

/** A range page of a collection, filtered by a query in the database's language (an object, or its JSON text as typed). */
export const page = (collection: string, filter?: unknown, limit = 200, after = 0) => {
  const query = typeof filter === 'string' ? filter : filter ? JSON.stringify(filter) : ''
  return api('GET', `/_emulator/db/${encodeURIComponent(collection)}?limit=${limit}&after=${after}${query ? `&filter=${encodeURIComponent(query)}` : ''}`)
}

/**
 * 下一页 over range pages: where each shown page starts, so that the next
 * one reads on from the last one's end (a range, never a skip).
 */
export function pager(id: string) {
  const starts = [0]
  let next: number | null = null
  const button = h('button', { class: 'quiet', id, onclick: () => next !== null && starts.push(next) }, '下一页 Next')
  return {
    button,
    /** Where the page to show starts. */
    from: () => starts[starts.length - 1]!,
    /** Back to the first page. */
    reset: () => void starts.splice(1),
    /** The page shown ends where `next` says (null: it is the last). */
    shown(nextStart: number | null) {
      next = nextStart
      button.toggleAttribute('disabled', next === null)
    },
  }
}

/** A panel whose collection the project has not named: it says what to declare, and never refreshes. */
export function undeclared(root: HTMLElement, key: string): () => Promise<void> {
  root.append(h('section', {}, h('p', { class: 'muted' }, `Declare "console": { "${key}": "<collection>" } in emulator.config.json to see this panel.`)))
  return async () => {}
}

export const table = (id: string, heads: string[], rows: HTMLElement[] = []) =>
  h('table', { id }, h('thead', {}, h('tr', {}, ...heads.map((name) => h('th', {}, name)))), h('tbody', {}, ...rows))

/** The hash that shows a panel, and what a link asks it to open (`#data/messages`). */
export const panelHash = (panel: string, focus?: string) => `#${panel}${focus ? `/${encodeURIComponent(focus)}` : ''}`
export const cell = (value: unknown, attributes: Record<string, unknown> = {}) =>
  h('td', attributes, value === undefined || value === null ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value))
