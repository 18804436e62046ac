/**
 * Rendering the mini-program's components through their real WXML and WXSS
 * with miniprogram-simulate (WeChat's own test tool), in a jsdom document,
 * with a simulated user's `wx` (test/support/miniprogram.ts) as the global
 * their code calls: cloud and subscription calls reach the emulator.
 */
import { join } from 'node:path'
import simulate, { type RenderedComponent, type RenderedNode } from 'miniprogram-simulate'
import type { MiniProgram } from './miniprogram'
import { RENDER_OUT } from './miniprogram-out'

/** Renders a component as `app`'s user sees it, attached to the document. */
export function render(app: MiniProgram, path: string, properties: Record<string, unknown> = {}): RenderedComponent {
  const global = globalThis as Record<string, unknown>
  global.wx = app.wxApi
  global.getApp = () => app.instance
  const id = simulate.load(join(RENDER_OUT, path), { compiler: 'simulate', rootPath: RENDER_OUT })
  const component = simulate.render(id, properties)
  component.attach(document.createElement('parent-wrapper'))
  return component
}

/** Opens a page (built with Component()) as WeChat does: rendered, then its onLoad and onShow, and what they started, finished. */
export async function openPage(app: MiniProgram, path: string, query: Record<string, string> = {}): Promise<RenderedComponent> {
  const page = render(app, path)
  await page.instance.onLoad?.(query)
  await page.instance.onShow?.()
  await app.idle()
  return page
}

/** The page shown again (the user came back to it): its onShow, and each component's pageLifetimes.show. */
export async function showAgain(app: MiniProgram, page: RenderedComponent): Promise<void> {
  await page.instance.onShow?.()
  page.triggerPageLifeTime('show')
  await app.idle()
}

/** A component inside a page, by its id in the page's WXML: a test fails when it is not there. */
export function child(page: RenderedComponent, id: string): RenderedComponent {
  const found = page.querySelector(`#${id}`)
  if (!found) throw new Error(`no component #${id} on the page`)
  return found as RenderedComponent
}

/** A user's tap on the node the selector finds: a test fails when nothing is there to tap. */
export async function tap(app: MiniProgram, component: RenderedComponent, selector: string): Promise<void> {
  const node = component.querySelector(selector)
  if (!node) throw new Error(`nothing to tap at ${selector}`)
  await app.tapping(() => node.dispatchEvent('tap'))
  await app.idle()
}

/** The text a user reads in the node the selector finds, or undefined when it is not shown. */
export function textOf(component: RenderedComponent, selector: string): string | undefined {
  return component.querySelector(selector)?.dom.textContent?.trim()
}

/** What a subscribe button shows the user holds: each template's title and its count (剩余 N 次, 已开启 / 未开启). */
export function heldOn(button: RenderedComponent): Record<string, string> {
  const counts = textsOf(button, '.count')
  return Object.fromEntries(textsOf(button, '.title').map((title, i) => [title, counts[i]]))
}

export const textsOf = (component: RenderedComponent, selector: string): string[] => component.querySelectorAll(selector).map((node: RenderedNode) => node.dom.textContent?.trim() ?? '')

/** Every piece of text shown, one per text node, trimmed and non-empty. */
export function visibleTexts(component: RenderedComponent): string[] {
  const texts: string[] = []
  const walker = document.createTreeWalker(component.dom, NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent?.trim()
    if (text) texts.push(text)
  }
  return texts
}

/** A sentence a user reads: anything with letters but no Chinese character is English creeping in. */
export function englishShown(component: RenderedComponent): string[] {
  return visibleTexts(component).filter((text) => /[A-Za-z]{2,}/.test(text.replace(/[A-Za-z0-9_-]{20,}/g, '')) && !/[\u4e00-\u9fff]/.test(text))
}
