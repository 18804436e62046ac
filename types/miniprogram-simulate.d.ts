/**
 * The part of miniprogram-simulate the tests use, mapped in by tsconfig.json's
 * `paths` instead of the package's own types: those pull in an old
 * miniprogram-api-typings whose globals (wx, require) clash with Node's.
 */
/// <reference lib="dom" />

/** A rendered node: its DOM element, and what a user can do to it. */
export interface RenderedNode {
  dom: HTMLElement
  dispatchEvent(name: string, detail?: Record<string, unknown>): void
  querySelector(selector: string): RenderedNode | undefined
  querySelectorAll(selector: string): RenderedNode[]
}

/** A rendered component: the instance its code runs in, and its element tree. */
export interface RenderedComponent extends RenderedNode {
  instance: { data: Record<string, any>; setData(patch: Record<string, unknown>): void; [method: string]: any }
  data: Record<string, any>
  attach(parent: Element): void
  detach(): void
  setData(patch: Record<string, unknown>): void
  triggerLifeTime(name: string): void
  triggerPageLifeTime(name: string, ...args: unknown[]): void
}

export interface LoadOptions {
  compiler?: 'official' | 'simulate'
  rootPath?: string
}

export function load(path: string, options?: LoadOptions): string
export function load(path: string, tagName: string, options?: LoadOptions): string
export function render(id: string, properties?: Record<string, unknown>): RenderedComponent
export function sleep(ms: number): Promise<void>

const simulate: { load: typeof load; render: typeof render; sleep: typeof sleep }
export default simulate
