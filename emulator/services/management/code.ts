/**
 * Where deployed functions live: each upload unzipped into a folder of its
 * own (`<root>/<function>/<revision>/`), so that an instance still running
 * the code before keeps its files while the next call loads the new ones;
 * and, with a data folder, the manifest (`<root>/manifest.json`) that a
 * restarted emulator serves the functions from again. In memory the root is
 * a temporary folder, removed on close, and nothing is kept.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { unzipSync } from 'fflate'
import type { TimerTrigger } from '../../project'
import { invalidValue } from './errors'

/** What the platform knows of a deployed function beyond what runs it (the FunctionDefinition). */
export interface FunctionMeta {
  runtime: string
  handler: string
  description: string
  installDependency: boolean
  /** 1 for the first upload, one more for each new code; 0 for a project function never deployed. */
  revision: number
  codeSize: number
  codeSha256: string
  /** Epoch ms. */
  addTime: number
  modTime: number
}

/** One manifest entry: the meta, and what the function runs with. */
export interface DeployedFunction extends FunctionMeta {
  name: string
  timeoutMs: number
  memorySize: number
  envVariables: Record<string, string>
  openapi: string[]
  timer?: TimerTrigger
}

export interface UnpackedCode {
  dir: string
  bundle: string
  /** `permissions.openapi` of the upload's config.json: a WeChat DevTools upload applies them; the emulator does too. */
  openapi: string[]
  codeSize: number
  codeSha256: string
}

/** Paths of the zip's files, relative to where index.js is: its root, or its one top-level folder. */
function filesOf(zip: Buffer): Map<string, Uint8Array> {
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipSync(new Uint8Array(zip))
  } catch (error) {
    throw invalidValue(`Code.ZipFile is not a zip archive: ${(error as Error).message}`)
  }
  const files = Object.entries(entries).filter(([path]) => !path.endsWith('/') && !path.startsWith('__MACOSX/'))
  const tops = new Set(files.map(([path]) => path.split('/')[0]))
  const prefix = files.some(([path]) => path === 'index.js') ? '' : tops.size === 1 ? `${[...tops][0]}/` : undefined
  if (prefix === undefined || !files.some(([path]) => path === `${prefix}index.js`)) {
    throw invalidValue('Code.ZipFile holds no index.js at its root (nor in its one top-level folder): the handler index.main needs it')
  }
  const out = new Map<string, Uint8Array>()
  for (const [path, bytes] of files) {
    const relative = path.slice(prefix.length)
    if (relative.split(/[\\/]/).some((part) => part === '..') || /^([\\/]|[A-Za-z]:)/.test(relative)) {
      throw invalidValue(`Code.ZipFile holds a path outside its folder: ${path}`)
    }
    out.set(relative, bytes)
  }
  return out
}

function openapiOf(files: Map<string, Uint8Array>): string[] {
  const bytes = files.get('config.json')
  if (!bytes) return []
  let config: { permissions?: { openapi?: unknown } }
  try {
    config = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof config
  } catch (error) {
    throw invalidValue(`the upload's config.json is not JSON: ${(error as Error).message}`)
  }
  const openapi = config?.permissions?.openapi
  return Array.isArray(openapi) ? openapi.filter((api): api is string => typeof api === 'string') : []
}

export class FunctionCodeStore {
  private temporary: string | undefined

  /** `root`: `<data>/functions`; undefined keeps the code in a temporary folder and persists nothing. */
  constructor(private readonly root: string | undefined) {}

  get persistent(): boolean {
    return this.root !== undefined
  }

  private base(): string {
    if (this.root) return this.root
    this.temporary ??= mkdtempSync(join(tmpdir(), 'cloudbase-emulator-functions-'))
    return this.temporary
  }

  /** Unzips an upload as a function's revision; a bad zip changes nothing. */
  unpack(name: string, revision: number, zip: Buffer): UnpackedCode {
    const files = filesOf(zip)
    const openapi = openapiOf(files)
    const dir = join(this.base(), name, String(revision))
    rmSync(dir, { recursive: true, force: true })
    for (const [path, bytes] of files) {
      const target = join(dir, path)
      mkdirSync(dirname(target), { recursive: true })
      writeFileSync(target, bytes)
    }
    return { dir, bundle: join(dir, 'index.js'), openapi, codeSize: zip.length, codeSha256: createHash('sha256').update(zip).digest('hex') }
  }

  /** Removes a function's revisions but those named (the current one, and the one before for calls still running). */
  prune(name: string, keep: number[]): void {
    const dir = join(this.base(), name)
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir)) {
      if (!keep.map(String).includes(entry)) rmSync(join(dir, entry), { recursive: true, force: true })
    }
  }

  removeAll(name: string): void {
    rmSync(join(this.base(), name), { recursive: true, force: true })
  }

  /** The functions deployed before, whose code is still there. */
  readManifest(log: (line: string) => void): DeployedFunction[] {
    if (!this.root) return []
    const path = join(this.root, 'manifest.json')
    if (!existsSync(path)) return []
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { functions?: DeployedFunction[] }
    return (manifest.functions ?? []).filter((entry) => {
      const present = existsSync(join(this.root!, entry.name, String(entry.revision), 'index.js'))
      if (!present) log(`deployed function ${entry.name} has lost its code (${join(this.root!, entry.name, String(entry.revision))}): not served`)
      return present
    })
  }

  /** Where a manifest entry's code is. */
  dirOf(entry: DeployedFunction): string {
    return join(this.base(), entry.name, String(entry.revision))
  }

  /** Written whole to a new file and renamed over the old: a crash leaves one or the other. */
  writeManifest(functions: DeployedFunction[]): void {
    if (!this.root) return
    mkdirSync(this.root, { recursive: true })
    const path = join(this.root, 'manifest.json')
    writeFileSync(`${path}.next`, `${JSON.stringify({ functions }, null, 2)}\n`)
    renameSync(`${path}.next`, path)
  }

  close(): void {
    if (this.temporary) rmSync(this.temporary, { recursive: true, force: true })
    this.temporary = undefined
  }
}
