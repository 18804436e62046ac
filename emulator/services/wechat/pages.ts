/** The mini-program's pages, as WeChat holds a message's `page` against them. */
import { existsSync, readFileSync, statSync } from 'node:fs'

const pagesRead = new Map<string, { mtimeMs: number; pages: Set<string> }>()

/**
 * Page paths of the mini-program's app.json. Parsed again only when the file
 * changes (a stat per send, not a read), so an edit is still seen at once.
 */
export function appPages(appJsonPath: string): Set<string> {
  if (!existsSync(appJsonPath)) return new Set()
  const { mtimeMs } = statSync(appJsonPath)
  const cached = pagesRead.get(appJsonPath)
  if (cached?.mtimeMs === mtimeMs) return cached.pages
  const app = JSON.parse(readFileSync(appJsonPath, 'utf8')) as { pages?: unknown; subpackages?: unknown; subPackages?: unknown }
  const pages = new Set<string>(Array.isArray(app.pages) ? app.pages.filter((p): p is string => typeof p === 'string') : [])
  const packages = (app.subpackages ?? app.subPackages) as Array<{ root?: string; pages?: string[] }> | undefined
  for (const pkg of packages ?? []) {
    for (const page of pkg.pages ?? []) pages.add(`${(pkg.root ?? '').replace(/\/$/, '')}/${page}`)
  }
  pagesRead.set(appJsonPath, { mtimeMs, pages })
  return pages
}

