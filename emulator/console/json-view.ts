/**
 * JSON as the console shows it: pretty, and each instant in it (an ISO time
 * or the database's `{ "$date": … }`) written in the browser's zone, still a
 * JSON string, with the exact UTC instant on hover. The text stays JSON.
 */
import type { Json } from './dom'
import { exactLocalText } from './time'

/** A quoted ISO 8601 instant in UTC, as JSON.stringify writes a Date. */
const INSTANT = /"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z)"/g


/** The nodes of `value` as pretty JSON, its instants in local time. */
export function jsonNodes(value: unknown): Array<Node | string> {
  const text = JSON.stringify(value, null, 2) ?? 'undefined'
  const nodes: Array<Node | string> = []
  let from = 0
  for (const match of text.matchAll(INSTANT)) {
    const date = new Date(match[1]!)
    if (Number.isNaN(date.getTime())) continue
    const time = document.createElement('time')
    Object.assign(time, { dateTime: date.toISOString(), title: `UTC ${date.toISOString()}`, className: 'json-time', textContent: `"${exactLocalText(date)}"` })
    nodes.push(text.slice(from, match.index), time)
    from = match.index! + match[0].length
  }
  nodes.push(text.slice(from))
  return nodes
}

/** Shows `value` in `target` as JSON whose instants read in local time. */
export function showJson(target: HTMLElement, value: unknown): void {
  target.replaceChildren(...jsonNodes(value))
}

/** Shows what a call to the cloud gave in `target`: its JSON, or its error, marked as one. */
export async function showReply(target: HTMLElement, work: () => Promise<Json>): Promise<void> {
  target.classList.remove('error')
  try {
    showJson(target, await work())
  } catch (error) {
    target.classList.add('error')
    target.textContent = (error as Error).message
  }
}
