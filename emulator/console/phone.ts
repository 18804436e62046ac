/** The Phone panel: a user's service notifications, drawn as WeChat draws them, and the subscription popup. */
import { api, h, type Json, type Panel } from './dom'
import './phone.css'


export interface Template {
  priTmplId: string
  title: string
  content: string
  type: number
}

/** The keyword names of a template, from getTemplateList's `name:{{key.DATA}}` lines. */
const keywordNames = (template: Template | undefined): Record<string, string> =>
  Object.fromEntries((template?.content ?? '').split('\n').flatMap((line) => {
    const match = /^(.*):\{\{(\w+)\.DATA\}\}$/.exec(line.trim())
    return match ? [[match[2]!, match[1]!]] : []
  }))

/** The card's footer, in the message's language, as WeChat writes it. */
const FOOTER: Record<string, string> = { zh_CN: '进入小程序查看', zh_TW: '進入小程序查看', zh_HK: '進入小程序查看', en_US: 'Enter Mini Program' }

/** Which version of the mini-program a tap on the card opens (WeChat's miniprogram_state), Chinese first. */
const OPENS: Record<string, string> = { developer: '打开开发版 developer', trial: '打开体验版 trial', formal: '打开正式版 formal' }

function card(message: Json, templates: Map<string, Template>): HTMLElement {
  const template = templates.get(message.template_id)
  const names = keywordNames(template)
  const sent = new Date(message.sentAt)
  return h(
    'div',
    { class: message.failed ? 'card failed' : 'card', 'data-msgid': message.msgid },
    h('div', { class: 'name' }, template?.title ?? message.template_id),
    // As WeChat writes it on the phone, in the phone's (the browser's) zone; the instant on hover.
    h('div', { class: 'time', title: `UTC ${sent.toISOString()}` }, `${sent.getMonth() + 1}月${sent.getDate()}日 ${sent.toTimeString().slice(0, 5)}`),
    ...Object.entries(message.data as Record<string, { value: string }>).map(([key, { value }]) => h('div', { class: 'row' }, h('span', { class: 'key' }, names[key] ?? key), h('span', {}, value))),
    message.failed && h('div', { class: 'error' }, `投递失败 ${message.failed.errorCode} ${message.failed.errorStatus}`),
    h('div', { class: 'foot' }, h('span', {}, FOOTER[message.lang] ?? FOOTER.zh_CN!), h('span', { class: 'page' }, message.page ?? '')),
    h('div', { class: `opens ${message.miniprogram_state}` }, OPENS[message.miniprogram_state] ?? message.miniprogram_state),
  )
}

export const phone: Panel = {
  title: '手机 Phone',
  mount(root) {
    const users = h('select', { id: 'phone-user' }) as HTMLSelectElement
    const newUser = h('input', { id: 'phone-new-user', placeholder: 'openid' }) as HTMLInputElement
    const screen = h('div', { class: 'screen' })
    const sheet = h('div', { id: 'popup' })
    const status = h('pre', { id: 'popup-status', class: 'wrap' })
    const settings = h('pre', { id: 'phone-settings' })
    let templates = new Map<string, Template>()
    const current = () => newUser.value.trim() || users.value

    const openPopup = () => {
      const kinds = new Map<number, Template[]>()
      for (const t of templates.values()) kinds.set(t.type, [...(kinds.get(t.type) ?? []), t])
      const kind = h('select', { id: 'popup-kind' }, ...[...kinds.keys()].map((k) => h('option', { value: k }, k === 2 ? '一次性订阅 one-time' : '长期订阅 long-term'))) as HTMLSelectElement
      const rows = h('div')
      const draw = () => {
        rows.replaceChildren(
          ...(kinds.get(Number(kind.value)) ?? []).slice(0, 5).map((t) =>
            h(
              'div',
              { class: 'choice' },
              h('span', {}, t.title),
              // Not asked by default: the page asks for the templates it names, up to 5 of one kind.
              h('select', { 'data-template': t.priTmplId }, ...['skip', 'accept', 'reject', 'ban'].map((c) => h('option', { value: c }, c === 'skip' ? '不询问 not asked' : c))),
            ),
          ),
        )
      }
      kind.addEventListener('change', draw)
      draw()
      const keep = h('input', { type: 'checkbox', id: 'popup-keep' }) as HTMLInputElement
      sheet.replaceChildren(
        h(
          'div',
          { class: 'sheet' },
          h('div', { class: 'name' }, '小程序 申请发送以下订阅消息'),
          kind,
          rows,
          h('label', {}, keep, ' 总是保持以上选择，不再询问'),
          h('button', {
            class: 'action',
            id: 'popup-answer',
            onclick: async () => {
              const choices: Record<string, string> = {}
              for (const select of rows.querySelectorAll<HTMLSelectElement>('select[data-template]')) if (select.value !== 'skip') choices[select.dataset.template!] = select.value
              try {
                const reply = await api('POST', '/_emulator/wechat/subscribe', { openid: current(), choices, keep: keep.checked })
                status.textContent = JSON.stringify(reply)
                sheet.replaceChildren()
              } catch (error) {
                status.textContent = (error as Error).message
              }
            },
          }, '确定'),
          ' ',
          h('button', { class: 'quiet', onclick: () => sheet.replaceChildren() }, '取消'),
        ),
      )
    }

    root.append(
      h(
        'section',
        { class: 'narrow' },
        h('h2', {}, '用户 User'),
        h('label', {}, '用户 ', users),
        h('label', {}, '或新用户 ', newUser),
        h('button', { class: 'quiet', id: 'phone-ask', onclick: openPopup }, '订阅弹窗 Ask'),
        h('h2', {}, '弹窗结果 Popup result'),
        status,
        h('h2', {}, '设置 Settings'),
        settings,
      ),
      h('div', { class: 'phone' }, h('div', { class: 'title' }, '服务通知'), screen, sheet),
    )
    return async () => {
      templates = new Map(((await api('GET', '/_emulator/wechat/templates')).data as Template[]).map((t) => [t.priTmplId, t]))
      const known: string[] = (await api('GET', '/_emulator/wechat/users')).data
      if (users.options.length !== known.length) {
        const chosen = users.value
        users.replaceChildren(...known.map((openid) => h('option', { value: openid }, openid)))
        if (known.includes(chosen)) users.value = chosen
      }
      const openid = current()
      if (!openid) return
      const messages: Json[] = (await api('GET', `/_emulator/wechat/messages?touser=${encodeURIComponent(openid)}`)).data
      screen.replaceChildren(...messages.slice().reverse().map((m) => card(m, templates)))
      settings.textContent = JSON.stringify((await api('GET', `/_emulator/wechat/settings?openid=${encodeURIComponent(openid)}`)).subscriptionsSetting, null, 2)
    }
  },
}
