import Database from 'better-sqlite3'
import type { GeoIndex, IndexDeclaration } from './schema'
import { SecondaryIndexes, type IndexState } from './secondary-indexes'
import { decodeDoc, encodeDoc, type Doc } from './values'

/** An index as `db/` declares it: a geo index is a key whose direction is "2dsphere". */
export interface IndexSpec {
  name: string
  unique: boolean
  keys: Array<{ field: string; direction: 1 | -1 | '2dsphere' }>
}

export interface StoredDoc {
  id: string
  doc: Doc
  /** The store-wide write sequence number of this document's last change. */
  seq: number
}

/** Parsed documents kept in memory, oldest dropped first. */
const CACHE_SIZE = 20_000
const cacheKey = (collection: string, id: string) => `${collection}\u0000${id}`

/**
 * The one embedded store under every service: collections and documents in
 * SQLite, with their secondary indexes beside them (secondary-indexes.ts).
 * Writes are synchronous, so each gateway operation runs to completion without
 * interleaving, and `atomically` makes it all-or-nothing.
 */
export class Store {
  private readonly db: Database.Database
  private readonly indexes: SecondaryIndexes
  private readonly cache = new Map<string, StoredDoc>()
  private seq: number
  private readonly statements
  private readonly putListeners: Array<(collection: string, id: string, previous: StoredDoc | undefined) => void> = []

  constructor(path: string) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS documents (
        collection TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, seq INTEGER NOT NULL,
        PRIMARY KEY (collection, id)) WITHOUT ROWID;
    `)
    // Insertion order (MongoDB's natural order, which an unsorted read follows): the sequence of
    // a document's first write, kept by its updates. Data files from before it get their seq.
    const columns = this.db.prepare('PRAGMA table_info(documents)').all() as Array<{ name: string }>
    if (!columns.some((c) => c.name === 'ord')) {
      this.db.exec('ALTER TABLE documents ADD COLUMN ord INTEGER; UPDATE documents SET ord = seq;')
    }
    this.db.exec('CREATE INDEX IF NOT EXISTS documents_natural ON documents (collection, ord)')
    this.statements = {
      hasCollection: this.db.prepare('SELECT 1 FROM collections WHERE name = ?').pluck(),
      addCollection: this.db.prepare('INSERT OR IGNORE INTO collections (name, created_at) VALUES (?, ?)'),
      listCollections: this.db.prepare('SELECT name FROM collections ORDER BY name').pluck(),
      getDoc: this.db.prepare('SELECT body, seq FROM documents WHERE collection = ? AND id = ?'),
      putDoc: this.db.prepare(
        'INSERT INTO documents (collection, id, body, seq, ord) VALUES (?, ?, ?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET body = excluded.body, seq = excluded.seq',
      ),
      deleteDoc: this.db.prepare('DELETE FROM documents WHERE collection = ? AND id = ?'),
      countDocs: this.db.prepare('SELECT COUNT(*) FROM documents WHERE collection = ?').pluck(),
      docBytes: this.db.prepare('SELECT COALESCE(SUM(LENGTH(body)), 0) AS documents, COALESCE(SUM(LENGTH(id)), 0) AS ids FROM documents WHERE collection = ?'),
      idsAsc: this.db.prepare('SELECT id FROM documents WHERE collection = ? AND id >= ? AND id < ? ORDER BY id').pluck(),
      idsDesc: this.db
        .prepare('SELECT id FROM documents WHERE collection = ? AND id >= ? AND id < ? ORDER BY id DESC')
        .pluck(),
      allNatural: this.db.prepare('SELECT id, body, seq FROM documents WHERE collection = ? ORDER BY ord'),
      pageNatural: this.db.prepare('SELECT body, ord FROM documents WHERE collection = ? AND ord > ? ORDER BY ord LIMIT ?'),
      maxSeq: this.db.prepare('SELECT COALESCE(MAX(seq), 0) FROM documents').pluck(),
    }
    this.seq = this.statements.maxSeq.get() as number
    this.indexes = new SecondaryIndexes(this.db)
  }

  close(): void {
    this.db.close()
  }

  /** The SQLite connection, for services that keep their own tables beside the documents. */
  get connection(): Database.Database {
    return this.db
  }

  /** Runs `work` as one SQLite transaction: every write in it lands, or none does. */
  atomically<T>(work: () => T): T {
    try {
      return this.db.transaction(work)()
    } catch (error) {
      // Writes inside were rolled back: forget what they cached.
      this.cache.clear()
      throw error
    }
  }

  get currentSeq(): number {
    return this.seq
  }

  hasCollection(name: string): boolean {
    return this.statements.hasCollection.get(name) === 1
  }

  /** Returns false when the collection already existed. */
  addCollection(name: string): boolean {
    return this.statements.addCollection.run(name, Date.now()).changes === 1
  }

  listCollections(): string[] {
    return this.statements.listCollections.all() as string[]
  }

  countDocuments(collection: string): number {
    return this.statements.countDocs.get(collection) as number
  }

  /** The bytes a collection's documents take as stored, and their ids (the `_id_` index). */
  documentBytes(collection: string): { documents: number; ids: number } {
    return this.statements.docBytes.get(collection) as { documents: number; ids: number }
  }

  indexesOf(collection: string): IndexState[] {
    return this.indexes.of(collection)
  }

  geoIndexesOf(collection: string): GeoIndex[] {
    return this.indexes.geoOf(collection)
  }

  /** Every secondary index of a collection in the shape of `db/<collection>.json`, geo indexes last. */
  indexSpecs(collection: string): IndexSpec[] {
    return [
      ...this.indexes.of(collection).map(({ name, unique, keys }) => ({ name, unique, keys: keys.map(({ field, direction }) => ({ field, direction })) })),
      ...this.indexes.geoOf(collection).map(({ name, field }) => ({ name, unique: false, keys: [{ field, direction: '2dsphere' as const }] })),
    ]
  }

  /** The bytes an index's entries take. */
  indexBytes(collection: string, index: string): number {
    return this.indexes.bytes(collection, index)
  }

  /**
   * Makes the collection's secondary indexes exactly the declared ones,
   * building entries for documents already stored. A declared unique index
   * that existing documents violate fails loudly.
   */
  syncIndexes(collection: string, declared: IndexDeclaration[], geo: GeoIndex[] = []): void {
    this.atomically(() => this.indexes.sync(collection, declared, geo, () => this.scan(collection)))
  }

  /**
   * Drops the named indexes, then creates the others, all or nothing: a unique
   * index that the stored documents violate fails the change and leaves every index as it was.
   */
  changeIndexes(collection: string, drops: string[], creates: IndexDeclaration[], geoCreates: GeoIndex[]): void {
    this.atomically(() => this.indexes.change(collection, drops, creates, geoCreates, () => this.scan(collection)))
  }

  /**
   * Reads one document. Parsed documents are kept in a bounded cache, since
   * parsing dominates a read; callers must not change what they get (every
   * writer works on a copy).
   */
  get(collection: string, id: string): StoredDoc | undefined {
    const key = cacheKey(collection, id)
    const cached = this.cache.get(key)
    if (cached) return cached
    const row = this.statements.getDoc.get(collection, id) as { body: string; seq: number } | undefined
    if (!row) return undefined
    const stored = { id, doc: decodeDoc(row.body), seq: row.seq }
    this.remember(key, stored)
    return stored
  }

  private remember(key: string, stored: StoredDoc): void {
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(key, stored)
  }

  /** Document ids in `[from, to)` by id order (the implicit `_id` index). */
  idRange(collection: string, from: string, to: string, descending: boolean): Iterable<string> {
    const statement = descending ? this.statements.idsDesc : this.statements.idsAsc
    return statement.iterate(collection, from, to) as Iterable<string>
  }

  /** Document ids whose key in `index` lies in `[from, to)`, in key order. */
  keyRange(collection: string, index: string, from: Buffer, to: Buffer, descending: boolean): Iterable<string> {
    return this.indexes.range(collection, index, from, to, descending)
  }

  /** How many keys of `index` lie in `[from, to)`, reading no document. */
  countKeys(collection: string, index: string, from: Buffer, to: Buffer): number {
    return this.indexes.count(collection, index, from, to)
  }

  /**
   * Up to `limit` documents after the insertion position `after` (0: from the start), read as a
   * range of the natural-order index, and the position to continue from.
   */
  page(collection: string, after: number, limit: number): { docs: Doc[]; positions: number[]; next: number | null } {
    const rows = this.statements.pageNatural.all(collection, after, limit) as Array<{ body: string; ord: number }>
    return { docs: rows.map((row) => decodeDoc(row.body)), positions: rows.map((row) => row.ord), next: rows.length === limit ? rows[rows.length - 1]!.ord : null }
  }

  /** Every document of a collection in insertion order, as MongoDB's natural order returns them. */
  scan(collection: string): Iterable<StoredDoc> {
    const rows = this.statements.allNatural.iterate(collection) as Iterable<{ id: string; body: string; seq: number }>
    return (function* () {
      for (const row of rows) yield { id: row.id, doc: decodeDoc(row.body), seq: row.seq }
    })()
  }

  /** Calls `listener` with a document as it is, before each write to it (transactions keep their snapshots so). */
  beforePut(listener: (collection: string, id: string, previous: StoredDoc | undefined) => void): void {
    this.putListeners.push(listener)
  }

  /**
   * Writes (or with `doc === null` deletes) one document and its index entries.
   * Call inside `atomically` when several writes must land together.
   */
  put(collection: string, id: string, doc: Doc | null): void {
    const previous = this.get(collection, id)
    for (const listener of this.putListeners) listener(collection, id, previous)
    this.indexes.update(collection, id, previous?.doc, doc)
    const key = cacheKey(collection, id)
    this.cache.delete(key)
    if (doc === null) {
      this.statements.deleteDoc.run(collection, id)
      return
    }
    this.seq += 1
    this.statements.putDoc.run(collection, id, encodeDoc(doc), this.seq, this.seq)
    // Writers hand over a document of their own, so it can serve later reads as it is.
    this.remember(key, { id, doc, seq: this.seq })
  }
}
