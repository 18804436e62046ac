/** The Data panel: every collection by insertion position (a range, never a skip), filtered, edited, exported, imported. */
import { api, h, page as readPage, pager, showReply, type Json, type Panel } from './dom'


export const data: Panel = {
  title: '数据库 Data',
  mount(root) {
    const collection = h('select', { id: 'db-collection' }) as HTMLSelectElement
    const filter = h('input', { id: 'db-filter', placeholder: '{"status":"failed"}', size: 36 }) as HTMLInputElement
    const docs = h('div', { id: 'db-docs' })
    const status = h('pre', { id: 'db-status', class: 'wrap' })
    const exported = h('a', { id: 'db-export', class: 'quiet' }, '导出 Export') as HTMLAnchorElement
    const file = h('input', { id: 'db-import', type: 'file', accept: 'application/json' }) as HTMLInputElement
    const more = pager('db-next')
    let editing = false
    const path = () => `/_emulator/db/${encodeURIComponent(collection.value)}`
    const edit = (doc: Json, block: HTMLElement) => {
      editing = true
      const text = h('textarea', { 'data-edit': doc._id }, JSON.stringify(doc, null, 2)) as HTMLTextAreaElement
      const done = () => {
        editing = false
        void refresh()
      }
      block.replaceChildren(
        text,
        h('button', { class: 'action', 'data-save': doc._id, onclick: () => showReply(status, () => api('PUT', `${path()}/doc/${encodeURIComponent(doc._id)}`, JSON.parse(text.value))).then(done) }, '保存 Save'),
        ' ',
        h('button', { class: 'quiet', onclick: done }, '取消 Cancel'),
      )
    }
    const refresh = async () => {
      if (editing || !collection.value) return
      const page = await readPage(collection.value, filter.value.trim(), 50, more.from())
      more.shown(page.next)
      exported.href = `${path()}/export`
      docs.replaceChildren(
        ...(page.data as Json[]).map((doc) => {
          const block = h('div', { class: 'doc', 'data-doc': doc._id })
          block.append(
            // Relaxed EJSON, as the route gives it: a date reads { "$date": … }, never a bare string.
            h('pre', { class: 'wrap' }, JSON.stringify(doc, null, 1).replace(/\n\s*/g, ' ')),
            h('button', { class: 'quiet', 'data-edit-button': doc._id, onclick: () => edit(doc, block) }, '编辑 Edit'),
            ' ',
            h('button', { class: 'quiet', 'data-delete': doc._id, onclick: () => showReply(status, () => api('DELETE', `${path()}/doc/${encodeURIComponent(doc._id)}`)).then(refresh) }, '删除 Delete'),
          )
          return block
        }),
      )
      if (page.data.length === 0) docs.textContent = '（空）'
    }
    const restart = () => {
      more.reset()
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
        { style: 'flex: 1' },
        h('h2', {}, '集合 Collection'),
        h('label', {}, collection, ' 过滤 filter ', filter, ' ', more.button),
        h('label', {}, exported, ' 导入 Import ', file),
        status,
        docs,
      ),
    )
    return async () => {
      if (collection.options.length === 0) {
        const { data: names } = await api('GET', '/_emulator/db')
        collection.replaceChildren(...(names as string[]).map((n) => h('option', { value: n }, n)))
      }
      await refresh()
    }
  },
}
