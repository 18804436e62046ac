import { find as findIn } from 'mingo'
import type { Stats } from '../../stats'
import { changeFunction, checkFieldNames, compileFilter, idKey, newDocumentId, seedFromFilter } from './changes'
import { DatabaseError, collectionNotExist, duplicateKey, invalidParam } from './errors'
import type { Matcher } from './fastpath'
import { coversFilter, planQuery, type Plan, type SortSpec } from './planner'
import type { CollectionDeclaration } from './schema'
import type { Store } from './store'
import { GeoIndexes, geoNearStage, nearQuery, sortByDistance } from './geo'
import { serviceAggregate } from './language'
import { Transactions, type Transaction } from './transactions'
import { isPlainObject, type Doc } from './values'

export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 1000

export interface FindOptions {
  sort?: SortSpec
  skip?: number
  limit?: number
  projection?: Record<string, unknown>
}

export interface ModifyOptions {
  multi: boolean
  /** true: `data` holds update operators; false: `data` replaces the document (`doc().set()`). */
  merge: boolean
  upsert: boolean
  /** `updated` counts the documents matched, changed or not, as the service reports `set()` and `updateAndReturn`. */
  countMatched?: boolean
}

/**
 * The database service's semantics over the store: Mongo query, update and
 * aggregation meaning (through mingo), CloudBase's limits, indexes used to
 * read little, and transactions with snapshot isolation (transactions.ts).
 */
export class DatabaseGateway {
  private readonly transactions: Transactions
  private readonly geoIndexes = new GeoIndexes((collection) => this.store.geoIndexesOf(collection).map((index) => index.field))

  constructor(
    private readonly store: Store,
    private readonly stats: Stats,
    now: () => number = Date.now,
  ) {
    this.transactions = new Transactions(store, now)
  }

  /** Creates the declared collections and makes their indexes exactly the declared ones. */
  applyDeclarations(declarations: CollectionDeclaration[]): void {
    for (const declaration of declarations) {
      this.store.addCollection(declaration.collection)
      this.store.syncIndexes(declaration.collection, declaration.indexes, declaration.geoIndexes ?? [])
    }
  }

  addCollection(name: string): void {
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw invalidParam(`invalid collection name: ${String(name)}`)
    if (!this.store.addCollection(name)) {
      throw new DatabaseError('DATABASE_COLLECTION_ALREADY_EXIST', `Table exist: ${name}`)
    }
  }

  private requireCollection(name: unknown): string {
    if (typeof name !== 'string' || name === '') throw invalidParam('collectionName is required')
    if (!this.store.hasCollection(name)) throw collectionNotExist(name)
    return name
  }

  // ---- reads -------------------------------------------------------------

  find(collectionName: unknown, filter: Record<string, unknown>, options: FindOptions, transactionId?: string): Doc[] {
    const collection = this.requireCollection(collectionName)
    const limit = Math.min(options.limit && options.limit > 0 ? options.limit : DEFAULT_LIMIT, MAX_LIMIT)
    const skip = Math.max(0, options.skip ?? 0)
    const sort = options.sort ?? []
    const query = compileFilter(filter)
    // A near query reads every match: it returns them nearest first, and needs a 2dsphere index.
    const near = nearQuery(filter)
    if (near) this.geoIndexes.keyFor(collection, near.field)
    const { docs, ordered } =
      transactionId === undefined
        ? this.select(collection, query, filter, sort, near ? undefined : skip + limit)
        : { docs: this.inTransaction(this.transactions.get(transactionId), collection, filter, query), ordered: false }
    const unsorted = near && sort.length === 0 ? sortByDistance(docs, near.field, near.center) : docs
    const sorted = ordered || sort.length === 0 ? unsorted : (findIn(docs, {}).sort(Object.fromEntries(sort)).all() as Doc[])
    return this.project(sorted.slice(skip, skip + limit), options.projection)
  }

  count(collectionName: unknown, filter: Record<string, unknown>): number {
    const collection = this.requireCollection(collectionName)
    const query = compileFilter(filter)
    const plan = planQuery(filter, [], this.store.indexesOf(collection), false)
    if (plan.kind === 'index' && coversFilter(plan, filter)) {
      return plan.ranges.reduce((total, [from, to]) => total + this.store.countKeys(collection, plan.index.name, from, to), 0)
    }
    return this.select(collection, query, filter, [], undefined).docs.length
  }

  /**
   * Reads the matching documents by the cheapest plan, counting each
   * document loaded. With `enough`, an ordered read stops after that many.
   */
  private select(
    collection: string,
    query: Matcher,
    filter: Record<string, unknown>,
    sort: SortSpec,
    enough: number | undefined,
  ): { docs: Doc[]; ordered: boolean } {
    const plan = planQuery(filter, sort, this.store.indexesOf(collection), enough !== undefined)
    const stopAt = plan.ordered && enough !== undefined ? enough : Number.POSITIVE_INFINITY
    const docs: Doc[] = []
    let examined = 0
    const consider = (doc: Doc | undefined): boolean => {
      if (!doc) return true
      examined += 1
      if (query.test(doc)) docs.push(doc)
      return docs.length < stopAt
    }
    try {
      if (plan.kind === 'scan') {
        for (const { doc } of this.store.scan(collection)) if (!consider(doc)) break
      } else {
        const seen = new Set<string>()
        for (const id of this.candidateIds(collection, plan)) {
          if (seen.has(id)) continue
          seen.add(id)
          if (!consider(this.store.get(collection, id)?.doc)) break
        }
      }
    } finally {
      this.stats.countExamined(examined)
    }
    return { docs, ordered: plan.ordered }
  }

  private *candidateIds(collection: string, plan: Exclude<Plan, { kind: 'scan' }>): Iterable<string> {
    if (plan.kind === 'ids') return yield* plan.ids
    if (plan.kind === 'idRange') return yield* this.store.idRange(collection, plan.from, plan.to, plan.descending)
    const ranges = plan.descending ? [...plan.ranges].reverse() : plan.ranges
    for (const [from, to] of ranges) yield* this.store.keyRange(collection, plan.index.name, from, to, plan.descending)
  }

  private project(docs: Doc[], projection: Record<string, unknown> | undefined): Doc[] {
    if (!projection || Object.keys(projection).length === 0) return docs
    try {
      return findIn(docs, {}, projection).all() as Doc[]
    } catch (error) {
      throw invalidParam(`invalid projection: ${(error as Error).message}`)
    }
  }

  aggregate(collectionName: unknown, pipeline: Array<Record<string, unknown>>): Doc[] {
    const collection = this.requireCollection(collectionName)
    if (pipeline.length === 0) throw invalidParam('aggregate needs at least one stage')
    const [first, ...rest] = pipeline
    // A leading $match (or $geoNear's query) reads through the planner, as MongoDB uses an index for it.
    const leadingMatch = first && Object.keys(first).length === 1 && isPlainObject(first.$match) ? first.$match : undefined
    const geoNear = first && Object.keys(first).length === 1 && isPlainObject(first.$geoNear) ? first.$geoNear : undefined
    const filter = leadingMatch ?? (geoNear && isPlainObject(geoNear.query) ? geoNear.query : {})
    // The pipeline may change what it is given: it works on copies of the stored documents.
    let input = this.select(collection, compileFilter(filter), filter, [], undefined).docs.map((doc) => structuredClone(doc))
    if (geoNear) input = geoNearStage(input, geoNear, this.geoIndexes.keyFor(collection, geoNear.key))
    try {
      return serviceAggregate(input, leadingMatch || geoNear ? rest : pipeline, (name: string) => {
        const other = this.requireCollection(name)
        return this.select(other, compileFilter({}), {}, [], undefined).docs
      }) as Doc[]
    } catch (error) {
      if (error instanceof DatabaseError) throw error
      throw new DatabaseError('DATABASE_INVALID_OPERRATOR', `invalid aggregation: ${(error as Error).message}`)
    }
  }

  // ---- writes ------------------------------------------------------------

  insert(collectionName: unknown, docs: unknown[], transactionId?: string): unknown[] {
    const collection = this.requireCollection(collectionName)
    if (!Array.isArray(docs) || docs.length === 0) throw invalidParam('data must be a non-empty array of documents')
    const prepared = docs.map((raw) => {
      if (!isPlainObject(raw)) throw invalidParam('each document must be an object')
      const doc: Doc = { ...raw }
      if (doc._id === undefined) doc._id = newDocumentId()
      // Every id and field name is checked before anything is written.
      const key = idKey(doc._id)
      checkFieldNames(doc)
      return { doc, key }
    })
    const space = this.space(collection, transactionId)
    space.run(() => {
      for (const { doc, key } of prepared) {
        if (space.get(key)) throw duplicateKey(collection, '_id_', `{ _id: ${JSON.stringify(doc._id)} }`)
        space.put(key, doc)
      }
    })
    return prepared.map(({ doc }) => doc._id)
  }

  modify(
    collectionName: unknown,
    filter: Record<string, unknown>,
    data: Record<string, unknown>,
    options: ModifyOptions,
    transactionId?: string,
  ): { updated: number; upsertId?: unknown; doc: Doc | null } {
    const collection = this.requireCollection(collectionName)
    if (!isPlainObject(data)) throw invalidParam('data must be an object')
    const change = changeFunction(data, options.merge)
    const space = this.space(collection, transactionId)
    return space.run(() => {
      const targets = space.match(filter, options.multi ? undefined : 1)
      let updated = 0
      let last: Doc | null = null
      for (const current of targets) {
        const next = change(current)
        last = next.doc
        if (next.changed) space.put(idKey(current._id), next.doc)
        if (next.changed || options.countMatched) updated += 1
      }
      if (targets.length === 0 && options.upsert) {
        const seed = seedFromFilter(filter)
        const id = seed._id === undefined ? newDocumentId() : seed._id
        const inserted = change({ ...seed, _id: id }, true).doc
        space.put(idKey(id), inserted)
        return { updated: 0, upsertId: id, doc: inserted }
      }
      return { updated, doc: last }
    })
  }

  remove(collectionName: unknown, filter: Record<string, unknown>, multi: boolean, transactionId?: string): number {
    const collection = this.requireCollection(collectionName)
    const space = this.space(collection, transactionId)
    return space.run(() => {
      const targets = space.match(filter, multi ? undefined : 1)
      for (const doc of targets) space.put(idKey(doc._id), null)
      return targets.length
    })
  }

  startTransaction(): string {
    return this.transactions.start()
  }

  commitTransaction(transactionId: unknown): void {
    this.transactions.commit(transactionId)
  }

  abortTransaction(transactionId: unknown): void {
    this.transactions.abort(transactionId)
  }

  /**
   * What a query in a transaction matches. A filter that names one document by `_id` (every
   * `doc()` call) reads that one; any other reads the transaction's view of the collection.
   */
  private inTransaction(tx: Transaction, collection: string, filter: Record<string, unknown>, query: Matcher): Doc[] {
    const id = isPlainObject(filter._id) && Object.keys(filter._id).length === 1 ? filter._id.$eq : filter._id
    const named = (typeof id === 'string' && id !== '') || typeof id === 'number'
    const docs = named ? [this.transactions.read(tx, collection, idKey(id))] : this.transactions.view(tx, collection)
    return docs.filter((doc): doc is Doc => doc !== null && query.test(doc))
  }

  /**
   * Where a write reads and lands: the store, all of it or nothing; or an
   * open transaction, which sees its snapshot and buffers until commit.
   */
  private space(collection: string, transactionId: string | undefined): WriteSpace {
    if (transactionId !== undefined) {
      const tx = this.transactions.get(transactionId)
      return {
        get: (key) => this.transactions.read(tx, collection, key),
        match: (filter, enough) => this.inTransaction(tx, collection, filter, compileFilter(filter)).slice(0, enough),
        put: (key, doc) => this.transactions.write(tx, collection, key, doc),
        run: (work) => work(),
      }
    }
    return {
      get: (key) => this.store.get(collection, key)?.doc ?? null,
      match: (filter, enough) => this.select(collection, compileFilter(filter), filter, [], enough).docs.slice(0, enough),
      put: (key, doc) => this.store.put(collection, key, doc),
      run: (work) => this.store.atomically(work),
    }
  }
}

interface WriteSpace {
  get(key: string): Doc | null
  /** The documents the filter matches, at most `enough` of them. */
  match(filter: Record<string, unknown>, enough: number | undefined): Doc[]
  /** Writes a document, or removes it with null. */
  put(key: string, doc: Doc | null): void
  run<T>(work: () => T): T
}
