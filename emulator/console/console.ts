/**
 * The local console: the offline cloud in a browser, driven only through the
 * emulator's control API (the same routes tools and tests use). One panel at
 * a time; the shown panel refreshes every second, so what changes in the
 * cloud appears without a reload.
 */

type Json = any

async function api(method: string, path: string, body?: unknown): Promise<Json> {
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
function h(tag: string, attributes: Record<string, unknown> = {}, ...children: Array<Node | string | undefined | false>): HTMLElement {
  const element = document.createElement(tag)
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value as EventListener)
    else if (value !== undefined && value !== false) element.setAttribute(key, String(value))
  }
  for (const child of children) if (child !== undefined && child !== false) element.append(child)
  return element
}

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T

/** Shows what a call to the cloud gave in `target`: its JSON, or its error, marked as one. */
async function showReply(target: HTMLElement, work: () => Promise<Json>): Promise<void> {
  target.classList.remove('error')
  try {
    target.textContent = JSON.stringify(await work(), null, 2)
  } catch (error) {
    target.classList.add('error')
    target.textContent = (error as Error).message
  }
}

interface Panel {
  title: string
  /** Builds the panel once; returns what refreshes its live parts. */
  mount(root: HTMLElement): () => Promise<void>
}

// ---- Phone: the user's service notifications and subscription popup ----------------------------

interface Template {
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

function card(message: Json, templates: Map<string, Template>): HTMLElement {
  const template = templates.get(message.template_id)
  const names = keywordNames(template)
  const sent = new Date(message.sentAt)
  return h(
    'div',
    { class: message.failed ? 'card failed' : 'card', 'data-msgid': message.msgid },
    h('div', { class: 'name' }, template?.title ?? message.template_id),
    h('div', { class: 'time' }, `${sent.getMonth() + 1}月${sent.getDate()}日 ${sent.toTimeString().slice(0, 5)}`),
    ...Object.entries(message.data as Record<string, { value: string }>).map(([key, { value }]) => h('div', { class: 'row' }, h('span', { class: 'key' }, names[key] ?? key), h('span', {}, value))),
    message.failed && h('div', { class: 'error' }, `投递失败 ${message.failed.errorCode} ${message.failed.errorStatus}`),
    h('div', { class: 'foot' }, h('span', {}, FOOTER[message.lang] ?? FOOTER.zh_CN!), h('span', { class: 'page' }, message.page ?? '')),
  )
}

const phone: Panel = {
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

// ---- Ledger and Queue: the project's own collections, as emulator.config.json names them -------

interface ConsoleConfig {
  ledger?: string
  queue?: string
  campaigns?: string
  cancel?: { function: string; data: Record<string, unknown> }
}

let config: ConsoleConfig = {}
let templateTitles = new Map<string, string>()

const page = (collection: string, filter?: unknown, limit = 200, after = 0) =>
  api('GET', `/_emulator/db/${encodeURIComponent(collection)}?limit=${limit}&after=${after}${filter ? `&filter=${encodeURIComponent(JSON.stringify(filter))}` : ''}`)

/** A panel whose collection the project has not named: it says what to declare, and never refreshes. */
function undeclared(root: HTMLElement, key: string): () => Promise<void> {
  root.append(h('section', {}, h('p', { class: 'muted' }, `Declare "console": { "${key}": "<collection>" } in emulator.config.json to see this panel.`)))
  return async () => {}
}

const table = (id: string, heads: string[]) => h('table', { id }, h('thead', {}, h('tr', {}, ...heads.map((name) => h('th', {}, name)))), h('tbody'))
const cell = (value: unknown, attributes: Record<string, unknown> = {}) => h('td', attributes, value === undefined || value === null ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value))

const ledger: Panel = {
  title: '额度 Ledger',
  mount(root) {
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
            cell(templateTitles.get(grant.templateId) ?? grant.templateId),
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

const STATUSES = ['scheduled', 'sending', 'sent', 'failed', 'unknown', 'cancelled']

/** Deliveries per minute over the last 30 minutes, as bars. */
function chart(points: Array<[number, number]>): SVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
  svg.setAttribute('viewBox', '0 0 300 80')
  svg.setAttribute('width', '300')
  svg.setAttribute('height', '80')
  svg.id = 'queue-chart'
  const now = Math.floor(Date.now() / 60_000)
  const max = Math.max(1, ...points.map(([, count]) => count))
  for (const [minute, count] of points) {
    const slot = 29 - (now - Math.floor(minute / 60_000))
    if (slot < 0 || slot > 29) continue
    const bar = document.createElementNS('http://www.w3.org/2000/svg', 'rect')
    const height = Math.max(2, (count / max) * 70)
    bar.setAttribute('x', String(slot * 10 + 1))
    bar.setAttribute('y', String(78 - height))
    bar.setAttribute('width', '8')
    bar.setAttribute('height', String(height))
    bar.setAttribute('fill', '#07c160')
    bar.setAttribute('data-count', String(count))
    svg.append(bar)
  }
  return svg
}

const queue: Panel = {
  title: '队列 Queue',
  mount(root) {
    if (!config.queue) return undeclared(root, 'queue')
    const counts = h('div', { id: 'queue-counts' })
    const status = h('select', { id: 'queue-status' }, ...STATUSES.map((s) => h('option', { value: s }, s))) as HTMLSelectElement
    // Where each shown page starts: a rare status may end a page short, and 下一页 reads on from there.
    const starts: number[] = [0]
    let next: number | null = null
    const more = h('button', { class: 'quiet', id: 'queue-next', onclick: () => next !== null && starts.push(next) }, '下一页 Next')
    status.addEventListener('change', () => starts.splice(1))
    const rows = table('queue', ['_id', 'touser', '模板 template', 'status', 'sendAt', 'tries', 'code', ''])
    const reply = h('pre', { id: 'queue-reply', class: 'wrap' })
    const graph = h('div', { id: 'queue-graph' })
    const campaigns = h('pre', { id: 'queue-campaigns', class: 'wrap' })
    const cancel = (id: string) =>
      showReply(reply, () => {
        const data = JSON.parse(JSON.stringify(config.cancel!.data).replaceAll('"{_id}"', JSON.stringify(id)))
        return api('POST', `/_emulator/functions/${config.cancel!.function}/call`, { data })
      })
    root.append(
      h('section', {}, h('h2', {}, '按状态 By status'), counts, h('h2', {}, '每分钟投递 Deliveries per minute'), graph, h('h2', {}, '群发 Campaigns'), campaigns),
      h('section', { style: 'flex: 1' }, h('h2', {}, `${config.queue}`), status, ' ', more, rows, reply),
    )
    return async () => {
      const totals = await Promise.all(STATUSES.map((s) => api('GET', `/_emulator/db/${config.queue}/count?filter=${encodeURIComponent(JSON.stringify({ status: s }))}`)))
      counts.replaceChildren(...STATUSES.map((s, i) => h('div', { 'data-status': s }, `${s}: ${totals[i].total}`)))
      graph.replaceChildren(chart((await api('GET', '/_emulator/wechat/deliveries?minutes=30')).data))
      const listed = await page(config.queue!, { status: status.value }, 50, starts[starts.length - 1])
      next = listed.next
      more.toggleAttribute('disabled', next === null)
      rows.querySelector('tbody')!.replaceChildren(
        ...(listed.data as Json[]).map((m) =>
          h(
            'tr',
            { 'data-message': m._id },
            cell(m._id),
            cell(m.touser),
            cell(templateTitles.get(m.templateId) ?? m.templateId),
            cell(m.status),
            cell(m.sendAt?.$date ?? m.sendAt),
            cell(m.tries),
            cell(m.code),
            h('td', {}, m.status === 'scheduled' && config.cancel ? h('button', { class: 'quiet', 'data-cancel': m._id, onclick: () => cancel(m._id) }, '取消 Cancel') : ''),
          ),
        ),
      )
      if (config.campaigns) campaigns.textContent = ((await page(config.campaigns, undefined, 20)).data as Json[]).map((c) => JSON.stringify(c)).join('\n') || '（无）'
    }
  },
}

// ---- Functions: call one as a user or a server, run a timer, read the logs ----------------------

const functionsPanel: Panel = {
  title: '云函数 Functions',
  mount(root) {
    const name = h('select', { id: 'fn-name' }) as HTMLSelectElement
    const openid = h('input', { id: 'fn-openid', placeholder: '空则为服务端调用 (server)' }) as HTMLInputElement
    const data = h('textarea', { id: 'fn-data' }, '{}') as HTMLTextAreaElement
    const reply = h('pre', { id: 'fn-reply' })
    const logs = h('pre', { id: 'fn-logs' })
    const calls = table('fn-invocations', ['time', '函数 function', '调用方 caller', 'duration', '回复 reply', 'request id'])
    const run = (work: () => Promise<Json>) => showReply(reply, work)
    root.append(
      h(
        'section',
        {},
        h('h2', {}, '调用 Call'),
        h('label', {}, '函数 ', name),
        h('label', {}, '用户 openid ', openid),
        h('label', {}, 'data (JSON)', data),
        h('button', { class: 'action', id: 'fn-call', onclick: () => run(() => api('POST', `/_emulator/functions/${name.value}/call`, { data: JSON.parse(data.value || '{}'), ...(openid.value.trim() ? { user: { openid: openid.value.trim() } } : {}) })) }, '调用 Call'),
        ' ',
        h('button', { class: 'quiet', id: 'fn-trigger', onclick: () => run(() => api('POST', `/_emulator/functions/${name.value}/trigger`, {})) }, '立即运行定时器 Run timer now'),
        reply,
      ),
      h('section', { style: 'flex: 1' }, h('h2', {}, '调用记录 Invocations'), calls, h('h2', {}, '日志 Logs'), logs),
    )
    return async () => {
      if (name.options.length === 0) {
        const { data: list } = await api('GET', '/_emulator/functions')
        name.replaceChildren(...(list as Array<{ name: string }>).map((f) => h('option', { value: f.name }, f.name)))
      }
      const { data: invocations } = await api('GET', '/_emulator/invocations')
      calls.querySelector('tbody')!.replaceChildren(
        ...(invocations as Json[]).slice(-30).reverse().map((call) =>
          h(
            'tr',
            { class: call.ok ? undefined : 'differs', 'data-request': call.requestId },
            cell(call.startedAt.slice(11, 23)),
            cell(call.function),
            cell(call.caller.openid ? `${call.caller.openid} (${call.caller.source})` : call.caller.source ?? 'server'),
            cell(`${call.durationMs} ms`),
            cell(call.reply.length > 120 ? `${call.reply.slice(0, 120)}…` : call.reply),
            cell(call.requestId),
          ),
        ),
      )
      const { data: entries } = await api('GET', '/_emulator/logs')
      logs.textContent = (entries as Json[]).slice(-40).map((e) => `${e.time} ${e.function} ${e.level} ${e.message}`).join('\n')
    }
  },
}

// ---- Data: every collection, read by range in insertion order -----------------------------------

const data: Panel = {
  title: '数据库 Data',
  mount(root) {
    const collection = h('select', { id: 'db-collection' }) as HTMLSelectElement
    const table = h('pre', { id: 'db-docs' })
    const pages: number[] = [0]
    const more = h('button', { class: 'quiet', id: 'db-next', onclick: () => refresh(true) }, '下一页 Next')
    let next = 0
    const refresh = async (advance = false) => {
      if (advance && next) pages.push(next)
      const after = pages[pages.length - 1]
      const page = await api('GET', `/_emulator/db/${encodeURIComponent(collection.value)}?limit=50&after=${after}`)
      next = page.next ?? 0
      // Relaxed EJSON, as the route gives it: a date reads { "$date": … }, never a bare string.
      table.textContent = (page.data as Json[]).map((doc) => JSON.stringify(doc, null, 1).replace(/\n\s*/g, ' ')).join('\n\n') || '（空）'
    }
    collection.addEventListener('change', () => {
      pages.splice(1)
      void refresh()
    })
    root.append(h('section', { style: 'flex: 1' }, h('h2', {}, '集合 Collection'), collection, ' ', more, table))
    return async () => {
      if (collection.options.length === 0) {
        const { data: names } = await api('GET', '/_emulator/db')
        collection.replaceChildren(...(names as string[]).map((n) => h('option', { value: n }, n)))
      }
      if (collection.value) await refresh()
    }
  },
}

// ---- Faults: what WeChat does wrong, on purpose ---------------------------------------------------

const faults: Panel = {
  title: '故障 Faults',
  mount(root) {
    const current = h('pre', { id: 'faults-current' })
    const errcode = h('input', { id: 'faults-errcode', value: '45009', size: 8 }) as HTMLInputElement
    const rate = h('input', { id: 'faults-rate', value: '1', size: 4 }) as HTMLInputElement
    const latency = h('input', { id: 'faults-latency', value: '0', size: 6 }) as HTMLInputElement
    const hang = h('input', { id: 'faults-hang', type: 'checkbox' }) as HTMLInputElement
    const limit = h('input', { id: 'faults-limit', placeholder: '—', size: 6 }) as HTMLInputElement
    const apply = (work: () => Promise<Json>) => showReply(current, work)
    const settings = () => ({
      errcode: Number(errcode.value),
      rate: Number(rate.value),
      latencyMs: Number(latency.value),
      hang: hang.checked,
      ...(limit.value.trim() ? { dailyLimit: Number(limit.value) } : {}),
    })
    root.append(
      h(
        'section',
        {},
        h('h2', {}, '微信故障注入 WeChat faults'),
        h('label', {}, 'errcode ', errcode, ' rate ', rate),
        h('label', {}, 'latencyMs ', latency, ' hang ', hang),
        h('label', {}, 'dailyLimit ', limit),
        h('button', { class: 'action', id: 'faults-set', onclick: () => apply(() => api('PUT', '/_emulator/wechat/faults', settings())) }, '注入 Set'),
        ' ',
        h('button', { class: 'quiet', id: 'faults-clear', onclick: () => apply(() => api('DELETE', '/_emulator/wechat/faults')) }, '清除 Clear'),
        current,
      ),
    )
    return async () => {
      // A refused setting stays in view until the next one.
      if (!current.classList.contains('error')) current.textContent = JSON.stringify(await api('GET', '/_emulator/wechat/faults'), null, 2)
    }
  },
}

// ---- the page ---------------------------------------------------------------------------------

const PANELS: Record<string, Panel> = { phone, ledger, queue, functions: functionsPanel, data, faults }
let refresh: () => Promise<void> = async () => {}

function show(id: string): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('#tabs button')) button.setAttribute('aria-selected', String(button.dataset.panel === id))
  const root = $('#panel')
  root.replaceChildren()
  refresh = PANELS[id]!.mount(root)
  location.hash = id
  void tick()
}

async function tick(): Promise<void> {
  try {
    await refresh()
  } catch (error) {
    console.error(error)
  }
}

async function start(): Promise<void> {
  const health = await api('GET', '/_emulator/health')
  config = await api('GET', '/_emulator/console')
  templateTitles = new Map(((await api('GET', '/_emulator/wechat/templates')).data as Template[]).map((t) => [t.priTmplId, t.title]))
  $('#env').textContent = `env ${health.envId}`
  $('#tabs').append(...Object.entries(PANELS).map(([id, panel]) => h('button', { 'data-panel': id, id: `tab-${id}`, onclick: () => show(id) }, panel.title)))
  show(PANELS[location.hash.slice(1)] ? location.hash.slice(1) : 'phone')
  setInterval(() => void tick(), 1000)
}

void start()
