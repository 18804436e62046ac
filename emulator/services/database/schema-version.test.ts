/** The schema version is a contract with the build: the exact normalised text it hashes, pinned here. */
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { schemaVersion } from './schema-version'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function folder(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'schema-version-'))
  dirs.push(dir)
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  return dir
}

const users = {
  indexes: [
    { keys: [{ direction: -1, field: 'createdAt' }], name: 'recent' },
    { name: 'byOpenid', unique: true, keys: [{ field: 'openid', direction: 1 }], comment: 'not hashed' },
  ],
  collection: 'users',
}
const places = { collection: 'places', indexes: [{ name: 'byPlace', keys: [{ field: 'location', direction: '2dsphere' }] }] }

describe('schemaVersion', () => {
  it('hashes the declarations normalised: fields in order, unique a boolean, indexes by name, collections by collection', () => {
    const text =
      '[{"collection":"places","indexes":[{"name":"byPlace","unique":false,"keys":[{"field":"location","direction":"2dsphere"}]}]},' +
      '{"collection":"users","indexes":[{"name":"byOpenid","unique":true,"keys":[{"field":"openid","direction":1}]},{"name":"recent","unique":false,"keys":[{"field":"createdAt","direction":-1}]}]}]'
    const expected = createHash('sha256').update(text).digest('hex').slice(0, 16)
    expect(schemaVersion(folder({ 'users.json': users, 'places.json': places, 'notes.txt': 'not a declaration' }))).toBe(expected)
    expect(expected).toMatch(/^[0-9a-f]{16}$/)
  })

  it('does not depend on file names or on the order of files and indexes, but on every declared key', () => {
    const base = schemaVersion(folder({ 'a.json': users, 'b.json': places }))
    expect(schemaVersion(folder({ 'z.json': places, 'y.json': { ...users, indexes: [...users.indexes].reverse() } }))).toBe(base)
    const turned = { ...places, indexes: [{ name: 'byPlace', keys: [{ field: 'location', direction: 1 }] }] }
    expect(schemaVersion(folder({ 'a.json': users, 'b.json': turned }))).not.toBe(base)
    expect(schemaVersion(folder({ 'a.json': users }))).not.toBe(base)
  })
})
