/**
 * The management API's collections ("tables") and their indexes, over the
 * database service's store: what a deploy's migration creates and reads back.
 * An index change is one transaction: a unique index that the documents
 * violate fails the whole request, as MongoDB fails the index build, and
 * every index stays as it was.
 */
import { DatabaseError } from '../database/errors'
import type { DatabaseGateway } from '../database/gateway'
import type { GeoIndex, IndexDeclaration } from '../database/schema'
import type { IndexSpec, Store } from '../database/store'
import { failedOperation, indexNotFound, invalidParameter, invalidValue, tableExists, tableNotExist } from './errors'
import { indexChanges, optionalInteger, requiredText, type Params } from './schemas'

/** The index every collection has. */
const ID_INDEX: IndexSpec = { name: '_id_', unique: true, keys: [{ field: '_id', direction: 1 }] }

const sameKeys = (a: IndexSpec, b: IndexSpec) => JSON.stringify(a.keys) === JSON.stringify(b.keys)
const sameSpec = (a: IndexSpec, b: IndexSpec) => sameKeys(a, b) && a.unique === b.unique
const describeSpec = (index: IndexSpec) => `${index.unique ? 'unique ' : ''}${index.keys.map((key) => `${key.field} ${key.direction}`).join(', ')}`

export class TablesGateway {
  constructor(
    private readonly store: Store,
    private readonly database: DatabaseGateway,
    /** Since when the indexes' access counts run: the emulator's start, as it counts none. */
    private readonly since: string,
  ) {}

  createTable(params: Params) {
    const name = requiredText(params, 'TableName')
    try {
      this.database.addCollection(name)
    } catch (error) {
      if (!(error instanceof DatabaseError)) throw error
      throw error.code === 'DATABASE_COLLECTION_ALREADY_EXIST' ? tableExists(name) : invalidValue(`TableName: ${error.message}`)
    }
    return {}
  }

  describeTable(params: Params) {
    const name = this.existing(params)
    const bytes = this.store.documentBytes(name)
    const indexes = [ID_INDEX, ...this.store.indexSpecs(name)].map((index) => ({
      Name: index.name,
      Size: index.name === ID_INDEX.name ? bytes.ids : this.store.indexBytes(name, index.name),
      Unique: index.unique,
      Keys: index.keys.map((key) => ({ Name: key.field, Direction: String(key.direction) })),
      Accesses: { Ops: 0, Since: this.since },
    }))
    return { IndexNum: indexes.length, Indexes: indexes }
  }

  listTables(params: Params) {
    const limit = optionalInteger(params, 'MgoLimit', 1, 1000) ?? 100
    const offset = optionalInteger(params, 'MgoOffset', 0, Number.MAX_SAFE_INTEGER) ?? 0
    const names = this.store.listCollections()
    const tables = names.slice(offset, offset + limit).map((name) => {
      const indexes = this.store.indexSpecs(name)
      return {
        TableName: name,
        Count: this.store.countDocuments(name),
        Size: this.store.documentBytes(name).documents,
        IndexCount: indexes.length + 1,
        IndexSize: indexes.reduce((sum, index) => sum + this.store.indexBytes(name, index.name), this.store.documentBytes(name).ids),
      }
    })
    return { Tables: tables, Pager: { Offset: offset, Limit: limit, Total: names.length } }
  }

  /** Drops, then creates; an index already there as asked is left as it is. */
  updateTable(params: Params) {
    const name = this.existing(params)
    const { drops, creates } = indexChanges(params)
    const present = this.store.indexSpecs(name)
    for (const drop of drops) if (!present.some((index) => index.name === drop)) throw indexNotFound(name, drop)
    const kept = [ID_INDEX, ...present.filter((index) => !drops.includes(index.name))]
    const made: IndexSpec[] = []
    for (const index of creates) {
      const named = kept.find((other) => other.name === index.name)
      if (named) {
        if (sameSpec(named, index)) continue
        throw invalidParameter(`index ${index.name} already exists on ${name} as ${describeSpec(named)}, not ${describeSpec(index)}: drop it first`)
      }
      const twin = [...kept, ...made].find((other) => sameKeys(other, index))
      if (twin) throw invalidParameter(`index ${index.name} has the keys of index ${twin.name} on ${name} (${describeSpec(twin)}): an index exists once, under one name`)
      made.push(index)
    }
    const isGeo = (index: IndexSpec) => index.keys[0]!.direction === '2dsphere'
    const geo: GeoIndex[] = made.filter(isGeo).map((index) => ({ name: index.name, field: index.keys[0]!.field }))
    const ordered = made.filter((index) => !isGeo(index)) as IndexDeclaration[]
    try {
      this.store.changeIndexes(name, drops, ordered, geo)
    } catch (error) {
      // A unique index that the documents violate (E11000, naming it), or parallel arrays in a compound key.
      if (error instanceof DatabaseError) throw failedOperation(error.message)
      throw error
    }
    return {}
  }

  private existing(params: Params): string {
    const name = requiredText(params, 'TableName')
    if (!this.store.hasCollection(name)) throw tableNotExist(name)
    return name
  }
}
