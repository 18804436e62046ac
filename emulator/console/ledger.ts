/** The Ledger panel: the project's grants beside WeChat's true quota, a difference marked. */
import { api, cell, h, page, table, undeclared, type Json, type Panel } from './dom'

export const ledger: Panel = {
  title: '额度 Ledger',
  mount(root, { config, titles }) {
    if (!config.ledger) return undeclared(root, 'ledger')
    const user = h('input', { id: 'ledger-user', placeholder: 'openid (空则全部)' }) as HTMLInputElement
    const rows = table('ledger', ['openid', '模板 template', 'kind', '可用 available', '微信 WeChat', 'status', '微信 status', 'uncertain'])
    root.append(h('section', { style: 'flex: 1' }, h('h2', {}, `${config.ledger} ↔ 微信的真实额度 WeChat's quota`), h('label', {}, '用户 ', user), rows, h('p', { class: 'muted' }, '标红：与微信不一致 (differs from WeChat)')))
    return async () => {
      const openid = user.value.trim()
      const [own, truth] = await Promise.all([page(config.ledger!, openid ? { openid } : undefined), api('GET', '/_emulator/wechat/grants')])
      const wechat = new Map<string, Json>((truth.data as Json[]).map((g) => [`${g.openid}\u0000${g.templateId}`, g]))
      rows.querySelector('tbody')!.replaceChildren(
        ...(own.data as Json[]).map((grant) => {
          const real = wechat.get(`${grant.openid}\u0000${grant.templateId}`)
          const differs = (real?.available ?? 0) !== grant.available
          return h(
            'tr',
            { class: differs ? 'differs' : undefined, 'data-grant': `${grant.openid}:${grant.templateId}` },
            cell(grant.openid),
            cell(titles.get(grant.templateId) ?? grant.templateId),
            cell(grant.kind),
            cell(grant.available, { class: 'own' }),
            cell(real?.available ?? 0, { class: 'wechat' }),
            cell(grant.status),
            cell(real?.status ?? 'none'),
            cell(grant.uncertain ?? 0),
          )
        }),
      )
    }
  },
}
