/**
 * CloudBase's HTTP access paths: which function serves which path, as the
 * HTTP access service (and a deploy's `func.path`) binds them. Kept in the
 * emulator's database: those the management API binds stay with the data, as
 * deployed functions do; those the project's cloudbaserc.json declares are
 * bound afresh at each normal start, so an edit of the file is followed.
 */
import { randomUUID } from 'node:crypto'
import type Database from 'better-sqlite3'

export interface AccessPath {
  apiId: string
  path: string
  /** The function that serves it (the API's `Name`, for `Type` 1). */
  name: string
  /** Unix seconds. */
  createdAt: number
  /** Bound from the project's cloudbaserc.json, not through the management API. */
  declared: boolean
}

/** A path as the service takes one: `/`, then letters, digits and `-_.~/`; a trailing `/` is dropped. */
const PATH = /^\/[A-Za-z0-9\-_.~/]*$/

export function normalisePath(path: string): string | undefined {
  if (!PATH.test(path) || path.includes('//')) return undefined
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

export class AccessGateway {
  private readonly q
  /** Read once and after each change: every HTTP request matches against it. */
  private paths: AccessPath[]

  constructor(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS cloudbase_access_paths (
      path TEXT PRIMARY KEY, api_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, created INTEGER NOT NULL, declared INTEGER NOT NULL) WITHOUT ROWID`)
    this.q = {
      all: db.prepare('SELECT path, api_id AS apiId, name, created AS createdAt, declared FROM cloudbase_access_paths ORDER BY created, path'),
      add: db.prepare('INSERT OR IGNORE INTO cloudbase_access_paths (path, api_id, name, created, declared) VALUES (?, ?, ?, ?, ?)'),
      remove: db.prepare('DELETE FROM cloudbase_access_paths WHERE path = ?'),
      undeclare: db.prepare('DELETE FROM cloudbase_access_paths WHERE declared = 1'),
    }
    this.paths = this.read()
  }

  private read(): AccessPath[] {
    return (this.q.all.all() as Array<Omit<AccessPath, 'declared'> & { declared: number }>).map((row) => ({ ...row, declared: row.declared === 1 }))
  }

  /** Unbinds every path the project declared (at start, before the project's current ones are bound). */
  undeclare(): void {
    this.q.undeclare.run()
    this.paths = this.read()
  }

  list(): AccessPath[] {
    return [...this.paths]
  }

  /** Binds a path to a function; undefined when the path is bound already. */
  create(path: string, name: string, nowMs: number, declared = false): AccessPath | undefined {
    const entry = { apiId: randomUUID(), path, name, createdAt: Math.floor(nowMs / 1000), declared }
    if (this.q.add.run(entry.path, entry.apiId, entry.name, entry.createdAt, declared ? 1 : 0).changes === 0) return undefined
    this.paths = this.read()
    return entry
  }

  remove(entries: AccessPath[]): number {
    for (const entry of entries) this.q.remove.run(entry.path)
    this.paths = this.read()
    return entries.length
  }

  /** The path that serves a request: the longest bound one that is the request's path or a folder of it. */
  match(requestPath: string): AccessPath | undefined {
    let best: AccessPath | undefined
    for (const entry of this.paths) {
      const serves = entry.path === '/' || requestPath === entry.path || requestPath.startsWith(`${entry.path}/`)
      if (serves && (!best || entry.path.length > best.path.length)) best = entry
    }
    return best
  }
}
