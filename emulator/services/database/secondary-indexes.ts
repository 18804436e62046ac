/**
 * The collections' secondary indexes: their declarations and every key entry,
 * kept in SQLite beside the documents (tables `index_specs` and `index_keys`),
 * read as key ranges, and kept in step with each document written. A unique
 * index refuses a second owner of a key. Geo indexes are kept by name and
 * field only (geo.ts reads the documents themselves), apart from the others,
 * so that the planner never takes one for a key range.
 */
import type Database from 'better-sqlite3'
import { duplicateKey } from './errors'
import { describeKey, indexKeys } from './keys'
import type { GeoIndex, IndexDeclaration } from './schema'
import type { Doc } from './values'

export interface IndexState extends IndexDeclaration {
  /** True once any indexed value has been an array: range bounds then cannot be intersected. */
  multikey: boolean
}

const geoSpec = (index: GeoIndex) => JSON.stringify({ name: index.name, keys: [{ field: index.field, direction: '2dsphere' }], unique: false })

export class SecondaryIndexes {
  private readonly indexes = new Map<string, IndexState[]>()
  private readonly geo = new Map<string, GeoIndex[]>()
  private readonly statements

  constructor(db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS index_specs (
        collection TEXT NOT NULL, name TEXT NOT NULL, spec TEXT NOT NULL, multikey INTEGER NOT NULL,
        PRIMARY KEY (collection, name)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS index_keys (
        collection TEXT NOT NULL, idx TEXT NOT NULL, key BLOB NOT NULL, id TEXT NOT NULL,
        PRIMARY KEY (collection, idx, key, id)) WITHOUT ROWID;
    `)
    this.statements = {
      keysAsc: db.prepare('SELECT id FROM index_keys WHERE collection = ? AND idx = ? AND key >= ? AND key < ? ORDER BY key, id').pluck(),
      keysDesc: db.prepare('SELECT id FROM index_keys WHERE collection = ? AND idx = ? AND key >= ? AND key < ? ORDER BY key DESC, id DESC').pluck(),
      countKeys: db.prepare('SELECT COUNT(*) FROM index_keys WHERE collection = ? AND idx = ? AND key >= ? AND key < ?').pluck(),
      keyOwner: db.prepare('SELECT id FROM index_keys WHERE collection = ? AND idx = ? AND key = ? AND id <> ? LIMIT 1').pluck(),
      addKey: db.prepare('INSERT OR IGNORE INTO index_keys (collection, idx, key, id) VALUES (?, ?, ?, ?)'),
      deleteKey: db.prepare('DELETE FROM index_keys WHERE collection = ? AND idx = ? AND key = ? AND id = ?'),
      specs: db.prepare('SELECT collection, name, spec, multikey FROM index_specs'),
      putSpec: db.prepare('INSERT OR REPLACE INTO index_specs (collection, name, spec, multikey) VALUES (?, ?, ?, ?)'),
      deleteSpec: db.prepare('DELETE FROM index_specs WHERE collection = ? AND name = ?'),
      deleteIndexKeys: db.prepare('DELETE FROM index_keys WHERE collection = ? AND idx = ?'),
      indexBytes: db.prepare('SELECT COALESCE(SUM(LENGTH(key) + LENGTH(id)), 0) FROM index_keys WHERE collection = ? AND idx = ?').pluck(),
    }
    for (const row of this.statements.specs.all() as Array<Record<string, unknown>>) {
      const spec = JSON.parse(row.spec as string) as { name: string; keys: Array<{ field: string; direction: unknown }>; unique: boolean }
      const geoKey = spec.keys.find((key) => key.direction === '2dsphere')
      if (geoKey) this.geoOf(row.collection as string).push({ name: spec.name, field: geoKey.field })
      else this.of(row.collection as string).push({ ...(spec as IndexDeclaration), multikey: row.multikey === 1 })
    }
  }

  geoOf(collection: string): GeoIndex[] {
    let list = this.geo.get(collection)
    if (!list) {
      list = []
      this.geo.set(collection, list)
    }
    return list
  }

  /** The bytes an index's entries take (keys and ids). */
  bytes(collection: string, index: string): number {
    return this.statements.indexBytes.get(collection, index) as number
  }

  of(collection: string): IndexState[] {
    let list = this.indexes.get(collection)
    if (!list) {
      list = []
      this.indexes.set(collection, list)
    }
    return list
  }

  /**
   * Makes the collection's indexes exactly the declared ones, building entries
   * for the documents given (those already stored). Call inside one SQLite
   * transaction: a declared unique index that they violate fails loudly.
   */
  sync(collection: string, declared: IndexDeclaration[], geoDeclared: GeoIndex[], documents: () => Iterable<{ id: string; doc: Doc }>): void {
    const current = this.of(collection)
    const wanted = new Map(declared.map((d) => [d.name, d]))
    for (const existing of [...current]) {
      const next = wanted.get(existing.name)
      if (next && JSON.stringify(next) === JSON.stringify(stripState(existing))) continue
      this.drop(collection, existing.name)
    }
    const geo = this.geoOf(collection)
    for (const existing of [...geo]) {
      if (geoDeclared.some((index) => index.name === existing.name && index.field === existing.field)) continue
      this.drop(collection, existing.name)
    }
    for (const declaration of declared) {
      if (!current.some((index) => index.name === declaration.name)) this.create(collection, declaration, documents)
    }
    for (const index of geoDeclared) {
      if (!geo.some((existing) => existing.name === index.name)) this.createGeo(collection, index)
    }
  }

  /**
   * Drops the named indexes, then creates the others, as one change: call inside one SQLite
   * transaction, which a unique index that the documents violate fails, and then the
   * indexes kept here are as they were.
   */
  change(collection: string, drops: string[], creates: IndexDeclaration[], geoCreates: GeoIndex[], documents: () => Iterable<{ id: string; doc: Doc }>): void {
    const before = { indexes: [...this.of(collection)], geo: [...this.geoOf(collection)] }
    try {
      for (const name of drops) this.drop(collection, name)
      for (const declaration of creates) this.create(collection, declaration, documents)
      for (const index of geoCreates) this.createGeo(collection, index)
    } catch (error) {
      this.indexes.set(collection, before.indexes)
      this.geo.set(collection, before.geo)
      throw error
    }
  }

  private drop(collection: string, name: string): void {
    const current = this.of(collection)
    const geo = this.geoOf(collection)
    const at = current.findIndex((index) => index.name === name)
    if (at >= 0) current.splice(at, 1)
    const geoAt = geo.findIndex((index) => index.name === name)
    if (geoAt >= 0) geo.splice(geoAt, 1)
    this.statements.deleteIndexKeys.run(collection, name)
    this.statements.deleteSpec.run(collection, name)
  }

  /** Builds an index's entries for the documents given; it is kept only once they are all in. */
  private create(collection: string, declaration: IndexDeclaration, documents: () => Iterable<{ id: string; doc: Doc }>): void {
    const index: IndexState = { name: declaration.name, keys: declaration.keys, unique: declaration.unique, multikey: false }
    // Read whole first: SQLite takes no write while a read of the same connection is still open.
    for (const { id, doc } of [...documents()]) this.addEntries(collection, index, id, doc)
    this.statements.putSpec.run(collection, index.name, JSON.stringify(stripState(index)), index.multikey ? 1 : 0)
    this.of(collection).push(index)
  }

  private createGeo(collection: string, index: GeoIndex): void {
    this.statements.putSpec.run(collection, index.name, geoSpec(index), 0)
    this.geoOf(collection).push({ name: index.name, field: index.field })
  }

  /** Document ids whose key in `index` lies in `[from, to)`, in key order. */
  range(collection: string, index: string, from: Buffer, to: Buffer, descending: boolean): Iterable<string> {
    const statement = descending ? this.statements.keysDesc : this.statements.keysAsc
    return statement.iterate(collection, index, from, to) as Iterable<string>
  }

  /** How many keys of `index` lie in `[from, to)`, reading no document. */
  count(collection: string, index: string, from: Buffer, to: Buffer): number {
    return this.statements.countKeys.get(collection, index, from, to) as number
  }

  /** Moves a document's entries from what it was (`previous`) to what it becomes (`doc`, null when deleted). */
  update(collection: string, id: string, previous: Doc | undefined, doc: Doc | null): void {
    for (const index of this.of(collection)) {
      const before = previous ? indexKeys(index, previous).keys : []
      const after = doc ? this.keysFor(collection, index, doc) : []
      // Only the keys that change are written: most updates touch few indexed fields.
      if (before.length === 1 && after.length === 1 && before[0]!.bytes.equals(after[0]!.bytes)) continue
      for (const key of before) {
        if (!after.some((other) => other.bytes.equals(key.bytes))) this.statements.deleteKey.run(collection, index.name, key.bytes, id)
      }
      for (const key of after) {
        if (before.some((other) => other.bytes.equals(key.bytes))) continue
        this.addKey(collection, index, key, id)
      }
    }
  }

  /** The keys of a document for an index, marking the index multikey when an array appears. */
  private keysFor(collection: string, index: IndexState, doc: Doc) {
    const { keys, multikey } = indexKeys(index, doc)
    if (multikey && !index.multikey) {
      index.multikey = true
      this.statements.putSpec.run(collection, index.name, JSON.stringify(stripState(index)), 1)
    }
    return keys
  }

  private addEntries(collection: string, index: IndexState, id: string, doc: Doc): void {
    for (const key of this.keysFor(collection, index, doc)) this.addKey(collection, index, key, id)
  }

  private addKey(collection: string, index: IndexState, key: { bytes: Buffer; values: unknown[] }, id: string): void {
    if (index.unique) {
      const owner = this.statements.keyOwner.get(collection, index.name, key.bytes, id)
      if (owner !== undefined) throw duplicateKey(collection, index.name, describeKey(key.values))
    }
    this.statements.addKey.run(collection, index.name, key.bytes, id)
  }
}

function stripState(index: IndexState): IndexDeclaration {
  return { name: index.name, keys: index.keys, unique: index.unique }
}
