/**
 * A page of documents as a table: a column per top-level field, the most
 * common first and the rest behind 更多列 "more columns"; each cell drawn by
 * its type. A row opens its document.
 */
import { columnsOf, typedCell } from './cells'
import { h, redraw, type Json } from './dom'

/** Columns shown before 更多列 is pressed. */
const FIRST_COLUMNS = 8

export function documentsTable(open: (doc: Json) => void) {
  let all = false
  let last: Json[] = []
  let selected: string | undefined
  const more = h('button', { class: 'quiet', id: 'db-more-columns', onclick: () => ((all = !all), draw(last)) })
  const element = h('div', { id: 'db-docs' })

  function draw(docs: Json[]): void {
    last = docs
    const columns = columnsOf(docs)
    const shown = all ? columns : columns.slice(0, FIRST_COLUMNS)
    const hidden = columns.length - shown.length
    more.textContent = all ? '更少列 fewer columns' : `更多列 more columns (${hidden})`
    more.toggleAttribute('disabled', !all && hidden === 0)
    redraw(element, [docs, shown, selected], () => {
      if (docs.length === 0) return [h('p', { class: 'muted' }, '（空）no documents')]
      const rows = docs.map((doc) =>
        h(
          'tr',
          { class: `doc${doc._id === selected ? ' selected' : ''}`, 'data-doc': doc._id, onclick: () => ((selected = doc._id), open(doc), draw(last)) },
          ...shown.map((key) => typedCell(key, doc[key], key in doc)),
        ),
      )
      return [h('table', { class: 'documents' }, h('thead', {}, h('tr', {}, ...shown.map((key) => h('th', { 'data-column': key }, key)))), h('tbody', {}, ...rows))]
    })
  }

  return {
    element,
    more,
    draw,
    /** No row marked as open. */
    unselect: () => void (selected = undefined),
  }
}
