/** The mini-program's pages (miniprogram/app.json, inlined by the build): a message may link only to one of them. */
import app from '../../miniprogram/app.json'

interface AppJson {
  pages?: string[]
  subpackages?: Array<{ root: string; pages: string[] }>
}

const config = app as AppJson
export const PAGES = new Set<string>([
  ...(config.pages ?? []),
  ...(config.subpackages ?? []).flatMap((pkg) => pkg.pages.map((page) => `${pkg.root.replace(/\/$/, '')}/${page}`)),
])

/** `pages/order/detail?id=1` is a page when its path, without the query, is in app.json. */
export function isPage(page: string): boolean {
  return PAGES.has(page.replace(/^\//, '').split('?')[0]!)
}
