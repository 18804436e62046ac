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
