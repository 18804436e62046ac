/**
 * The local console's files: the page at `/`, its script and style, and a
 * Chinese web font (Noto Sans SC from npm), all from this machine, so that
 * the console works offline and Chinese renders on any machine. The console
 * itself reads and changes the cloud only through the control API.
 */
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { HttpError, sendBytes, sendJson } from '../../http'
import type { ConsoleConfig } from '../../project'
import type { Route, Service } from '../../service'

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  woff2: 'font/woff2',
  woff: 'font/woff',
}

/** Serves one file, read once and kept: the files do not change while the emulator runs. */
function fileRoute(resolvePath: (params: string[]) => string): Route {
  const cache = new Map<string, Buffer>()
  return async (_req, res, params) => {
    const path = resolvePath(params)
    let bytes = cache.get(path)
    if (!bytes) {
      try {
        bytes = readFileSync(path)
      } catch {
        throw new HttpError(404, `no console file ${params.join('/') || 'index.html'}`)
      }
      cache.set(path, bytes)
    }
    res.setHeader('cache-control', 'no-cache')
    sendBytes(res, 200, bytes, TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream')
  }
}

/** `assetsDir`: the built console (index.html, console.js, console.css); `config`: the project's console settings. */
export function createConsoleService(options: { assetsDir: string; config: ConsoleConfig }): Service {
  const fontDir = dirname(createRequire(__filename).resolve('@fontsource/noto-sans-sc/400.css'))
  return {
    actions: {},
    routes: [
      ['GET', /^\/$/, fileRoute(() => join(options.assetsDir, 'index.html'))],
      ['GET', /^\/_emulator\/console$/, async (_req, res) => sendJson(res, 200, options.config)],
      ['GET', /^\/_console\/(console\.(?:js|css))$/, fileRoute(([file]) => join(options.assetsDir, file!))],
      ['GET', /^\/_console\/fonts\/((?:files\/)?[a-z0-9-]+\.(?:css|woff2?))$/, fileRoute(([file]) => join(fontDir, file!))],
    ],
  }
}
