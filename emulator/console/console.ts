/**
 * The local console: the offline cloud in a browser, driven only through the
 * emulator's control API (the same routes tools and tests use). One panel at
 * a time; the shown panel refreshes every second, so what changes in the
 * cloud appears without a reload. Each panel is a module of its own.
 */
import { data } from './data'
import { api, h, type Cloud, type Panel } from './dom'
import { faults } from './faults'
import { functionsPanel } from './functions'
import { funnel } from './funnel'
import { ledger } from './ledger'
import { phone, type Template } from './phone'
import { queue } from './queue'

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T

const PANELS: Record<string, Panel> = { phone, ledger, queue, funnel, functions: functionsPanel, data, faults }
let refresh: () => Promise<void> = async () => {}
let cloud: Cloud = { config: {}, titles: new Map() }

function show(id: string): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('#tabs button')) button.setAttribute('aria-selected', String(button.dataset.panel === id))
  const root = $('#panel')
  root.replaceChildren()
  refresh = PANELS[id]!.mount(root, cloud)
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
  const templates: Template[] = (await api('GET', '/_emulator/wechat/templates')).data
  cloud = { config: await api('GET', '/_emulator/console'), titles: new Map(templates.map((t) => [t.priTmplId, t.title])) }
  $('#env').textContent = `env ${health.envId}`
  $('#tabs').append(...Object.entries(PANELS).map(([id, panel]) => h('button', { 'data-panel': id, id: `tab-${id}`, onclick: () => show(id) }, panel.title)))
  show(PANELS[location.hash.slice(1)] ? location.hash.slice(1) : 'phone')
  setInterval(() => void tick(), 1000)
}

void start()
