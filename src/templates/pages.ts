/** The mini-program's pages (miniprogram/app.json, inlined by the build): a message may link only to one of them. */
import app from '../../miniprogram/app.json'

interface SubPackage {
  root: string
  pages: string[]
}

export interface AppJson {
  pages?: string[]
  /** WeChat accepts either spelling. */
  subpackages?: SubPackage[]
  subPackages?: SubPackage[]
}

/** Every page path of an app.json: the main package's, and each subpackage's under its root. */
export function pagesOf(config: AppJson): Set<string> {
  const packages = [...(config.subpackages ?? []), ...(config.subPackages ?? [])]
  return new Set<string>([...(config.pages ?? []), ...packages.flatMap((pkg) => pkg.pages.map((page) => `${pkg.root.replace(/\/$/, '')}/${page}`))])
}

export const PAGES = pagesOf(app as AppJson)

/** `pages/order/detail?id=1` is a page when its path, without the query, is in app.json. */
export function isPage(page: string): boolean {
  return PAGES.has(page.replace(/^\//, '').split('?')[0]!)
}
