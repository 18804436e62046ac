/**
 * The schema version is a hash of what `db/` declares, not of how its files
 * are written: the same declarations give the same version, and any change
 * a migration would make gives another.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SCHEMA_RECORD, readDeclarations, schemaVersion } from './schema-version'

const DB = join(__dirname, '../db')
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

type Declaration = { collection: string; indexes: Array<{ name: string; unique?: boolean; keys: Array<{ field: string; direction: number }> }> }

/** A declarations folder with these files (name → text). */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'schema-version-'))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

const projectFiles = (): Record<string, Declaration> =>
  Object.fromEntries(readdirSync(DB).filter((n) => n.endsWith('.json')).map((n) => [n, JSON.parse(readFileSync(join(DB, n), 'utf8')) as Declaration]))

const written = (files: Record<string, Declaration>) => folder(Object.fromEntries(Object.entries(files).map(([n, d]) => [n, JSON.stringify(d)])))

/** The project's declarations with one changed. */
function changed(edit: (files: Record<string, Declaration>) => void): string {
  const files = projectFiles()
  edit(files)
  return schemaVersion(written(files))
}

/** Reverses an object's key order, deeply. */
const reversed = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(reversed) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)])) : value

describe('schemaVersion', () => {
  const version = schemaVersion(DB)

  it('is 16 hex characters, the sha256 of the normalised declarations', async () => {
    expect(version).toMatch(/^[0-9a-f]{16}$/)
    const { createHash } = await import('node:crypto')
    expect(version).toBe(createHash('sha256').update(JSON.stringify(readDeclarations(DB))).digest('hex').slice(0, 16))
    expect(SCHEMA_RECORD).toEqual({ collection: '_meta', id: 'schema' })
  })

  it('normalises: unique a boolean, indexes by name, collections by name, only the declared fields', () => {
    const dir = folder({
      'b.json': JSON.stringify({ indexes: [{ keys: [{ direction: -1, field: 'z' }], name: 'zz', extra: 1 }, { name: 'aa', unique: true, keys: [{ field: 'y', direction: 1, note: 'x' }] }], collection: 'b' }),
      'a.json': '{ "collection": "a", "indexes": [] }',
      'notes.txt': 'not a declaration',
    })
    expect(readDeclarations(dir)).toEqual([
      { collection: 'a', indexes: [] },
      {
        collection: 'b',
        indexes: [
          { name: 'aa', unique: true, keys: [{ field: 'y', direction: 1 }] },
          { name: 'zz', unique: false, keys: [{ field: 'z', direction: -1 }] },
        ],
      },
    ])
    expect(JSON.stringify(readDeclarations(dir)[1]!.indexes[1])).toBe('{"name":"zz","unique":false,"keys":[{"field":"z","direction":-1}]}')
  })

  it('is stable under key order, whitespace, file names, index order and an absent unique: false', () => {
    const files = projectFiles()
    const rewritten = Object.fromEntries(
      Object.entries(files).map(([name, d], i) => [
        `renamed-${i}-${name}`,
        JSON.stringify(reversed({ ...d, indexes: [...d.indexes].reverse().map((x) => ({ ...x, unique: x.unique === true })) }), null, i % 2 ? 4 : undefined),
      ]),
    )
    expect(schemaVersion(folder(rewritten))).toBe(version)
    expect(schemaVersion(written(files))).toBe(version)
  })

  it("changes when an index's field, direction, uniqueness or name changes, or a collection is added", () => {
    const grants = (files: Record<string, Declaration>) => files['grants.json']!.indexes[0]!
    const versions = [
      changed((f) => void (grants(f).keys[0]!.field = 'other')),
      changed((f) => void (grants(f).keys[0]!.direction = -1)),
      changed((f) => void (grants(f).unique = true)),
      changed((f) => void (grants(f).name = 'holders2')),
      changed((f) => void (f['messages.json']!.indexes.find((x) => x.unique)!.unique = false)),
      changed((f) => void grants(f).keys.reverse()),
      changed((f) => void f['users.json']!.indexes.push({ name: 'byLogin', keys: [{ field: 'lastLoginAt', direction: 1 }] })),
      changed((f) => void (f['audit.json'] = { collection: 'audit', indexes: [] })),
    ]
    for (const v of versions) expect(v).not.toBe(version)
    expect(new Set(versions).size).toBe(versions.length)
  })
})
