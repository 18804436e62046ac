/**
 * The local console: the offline cloud in a browser, driven only through the
 * emulator's control API (the same routes tools and tests use). One panel at
 * a time; the shown panel refreshes every second, so what changes in the
 * cloud appears without a reload. Each panel is a module of its own.
 */
import './console.css'
import './locale'
import { data } from './data'
import { releaseCharts } from './chart'
import { api, h, panelHash, type Cloud, type Panel } from './dom'
import { faults } from './faults'
import { functionsPanel } from './functions'
import { funnel } from './funnel'
import { ledger } from './ledger'
import { logs } from './logs'
import { overview } from './overview'
import { phone, type Template } from './phone'
import { queue } from './queue'

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T

const PANELS: Record<string, Panel> = { overview, phone, ledger, queue, funnel, functions: functionsPanel, logs, data, faults }
let refresh: () => Promise<void> = async () => {}
let shown: string | undefined
/** Which mount of a panel is shown, and which one a refresh is running for. */
let mounted = 0
let running: number | undefined
let cloud: Cloud = { config: {}, titles: new Map() }

/** Shows a panel; `#<panel>/<focus>` links open something in it (a collection in Data, a function in Logs). */
function show(id: string, focus?: string): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('#tabs button')) button.setAttribute('aria-selected', String(button.dataset.panel === id))
  const root = $('#panel')
  releaseCharts()
  root.replaceChildren()
  mounted++
  refresh = PANELS[id]!.mount(root, cloud, focus)
  shown = panelHash(id, focus)
  if (!isShown(location.hash)) location.hash = shown
  void tick()
}

/** Whether a hash names what is shown (`request:` and `request%3A` alike). */
const isShown = (hash: string) => shown !== undefined && safeDecode(hash) === safeDecode(shown)
const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The panel a location's hash names, or the overview. */
function showHash(): void {
  if (isShown(location.hash)) return
  const [id = '', focus] = location.hash.slice(1).split('/')
  if (PANELS[id]) show(id, focus === undefined ? undefined : safeDecode(focus))
  else show('overview')
}

/**
 * One refresh at a time: a slow one is not overlapped by the next second's,
 * and one begun for a panel since left is not waited for.
 */
async function tick(): Promise<void> {
  if (running === mounted) return
  const mount = (running = mounted)
  const failure = $('#refresh-failed')
  try {
    await refresh()
    failure.hidden = true
  } catch (error) {
    // Said where it is seen: a panel whose refresh fails would otherwise look merely quiet.
    if (mount === mounted) Object.assign(failure, { hidden: false, textContent: `刷新失败 refresh failed: ${(error as Error).message}` })
    console.error(error)
  } finally {
    if (running === mount) running = undefined
  }
}

async function start(): Promise<void> {
  const health = await api('GET', '/_emulator/health')
  const templates: Template[] = (await api('GET', '/_emulator/wechat/templates')).data
  cloud = { config: await api('GET', '/_emulator/console'), titles: new Map(templates.map((t) => [t.priTmplId, t.title])) }
  $('#env').textContent = `env ${health.envId}`
  $('#tabs').append(...Object.entries(PANELS).map(([id, panel]) => h('button', { 'data-panel': id, id: `tab-${id}`, onclick: () => show(id) }, panel.title)))
  showHash()
  window.addEventListener('hashchange', showHash)
  setInterval(() => void tick(), 1000)
}

void start()
