/**
 * The Data panel: every collection as a typed table, read by insertion
 * position (a range, never a skip) and filtered in the database's language;
 * a row opens its document as a typed tree to edit, save or delete; a
 * collection exported and imported.
 */
import './data.css'
import { documentsTable } from './documents'
import { api, h, page as readPage, pager, type Json, type Panel } from './dom'
import { showReply } from './json-view'
import { documentTree } from './tree'

export const data: Panel = {
  title: '数据库 Data',
  mount(root, _cloud, focus) {
    const collection = h('select', { id: 'db-collection' }) as HTMLSelectElement
    const filter = h('input', { id: 'db-filter', placeholder: '{"status":"failed"}', size: 36 }) as HTMLInputElement
    const status = h('pre', { id: 'db-status', class: 'wrap' })
    const exported = h('a', { id: 'db-export', class: 'quiet' }, '导出 Export') as HTMLAnchorElement
    const file = h('input', { id: 'db-import', type: 'file', accept: 'application/json' }) as HTMLInputElement
    const more = pager('db-next')
    const editor = h('section', { id: 'db-editor', hidden: true })
    const path = () => `/_emulator/db/${encodeURIComponent(collection.value)}`
    const table = documentsTable(open)

    function close(): void {
      editor.hidden = true
      editor.replaceChildren()
      table.unselect()
    }

    /** A document as a typed tree, with what can be done to it. */
    function open(doc: Json): void {
      const tree = documentTree(doc)
      const id = encodeURIComponent(doc._id)
      const save = () =>
        showReply(status, async () => {
          const edited = tree.read()
          // Saved whole, so only over what was opened: a timer that moved the message meanwhile is not undone.
          const now = (await readPage(collection.value, { _id: doc._id }, 1)).data[0]
          if (JSON.stringify(now) !== JSON.stringify(doc)) throw new Error('文档在打开后已被修改，请重新打开 The document changed since it was opened: open it again to edit it.')
          const saved = await api('PUT', `${path()}/doc/${id}`, edited)
          open(saved.data)
          await refresh()
          return { saved: saved.data._id }
        })
      const remove = () => showReply(status, () => api('DELETE', `${path()}/doc/${id}`)).then(() => (close(), refresh()))
      editor.hidden = false
      editor.replaceChildren(
        h('h2', {}, '文档 Document'),
        tree.element,
        h(
          'div',
          { class: 'actions' },
          h('button', { class: 'action', 'data-save': doc._id, onclick: save }, '保存 Save'),
          ' ',
          h('button', { class: 'quiet', onclick: close }, '关闭 Close'),
          ' ',
          h('button', { class: 'quiet danger', 'data-delete': doc._id, onclick: remove }, '删除 Delete'),
        ),
      )
    }

    /** Refreshes asked so far: a page read for an earlier collection or filter is not drawn. */
    let asked = 0
    async function refresh(): Promise<void> {
      if (!collection.value) return
      const mine = ++asked
      const shown = await readPage(collection.value, filter.value.trim(), 50, more.from())
      if (mine !== asked) return
      more.shown(shown.next)
      exported.href = `${path()}/export`
      table.draw(shown.data)
    }

    const restart = () => {
      more.reset()
      close()
      void refresh().catch((error) => (status.textContent = (error as Error).message))
    }
    collection.addEventListener('change', restart)
    filter.addEventListener('change', restart)
    file.addEventListener('change', async () => {
      const chosen = file.files?.[0]
      if (chosen) await showReply(status, async () => api('POST', `${path()}/import`, JSON.parse(await chosen.text())))
      file.value = ''
    })
    root.append(
      h(
        'section',
        { style: 'flex: 1; min-width: 0' },
        h('h2', {}, '集合 Collection'),
        h('label', {}, collection, ' 过滤 filter ', filter, ' ', more.button, ' ', table.more),
        h('label', {}, exported, ' 导入 Import ', file),
        status,
        table.element,
      ),
      editor,
    )
    return async () => {
      if (collection.options.length === 0) {
        const { data: names } = await api('GET', '/_emulator/db')
        collection.replaceChildren(...(names as string[]).map((n) => h('option', { value: n }, n)))
        if (focus && (names as string[]).includes(focus)) collection.value = focus
      }
      await refresh()
    }
  },
}
