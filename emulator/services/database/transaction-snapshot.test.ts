/**
 * A transaction's snapshot is taken at its first read or write, as MongoDB
 * takes it, not when the transaction starts: what lands in between is seen.
 * (wx-server-sdk 4 sends `.options({ raw: true })` queries and updates of a
 * transaction's collection with the same transactionId, so they meet the same reads.)
 */
import { describe, expect, it } from 'vitest'
import { Stats } from '../../stats'
import { DatabaseGateway } from './gateway'
import { Store } from './store'

function gatewayWith(docs: Array<Record<string, unknown>>) {
  const gateway = new DatabaseGateway(new Store(':memory:'), new Stats())
  gateway.applyDeclarations([{ collection: 'c', indexes: [] }])
  gateway.insert('c', docs)
  return gateway
}

const merge = { multi: true, merge: true, upsert: false }

describe('a transaction’s snapshot', () => {
  it('is taken at its first query, so a document added after the start and before it is seen', () => {
    const gateway = gatewayWith([{ _id: '1', n: 1 }])
    const tx = gateway.startTransaction()
    gateway.insert('c', [{ _id: '2', n: 2 }])
    gateway.modify('c', { _id: '1' }, { $set: { n: 10 } }, merge)
    expect(gateway.find('c', {}, {}, tx).map((d) => d.n)).toEqual([10, 2])
    // From then on, it reads its snapshot.
    gateway.insert('c', [{ _id: '3', n: 3 }])
    expect(gateway.find('c', {}, {}, tx).map((d) => d._id)).toEqual(['1', '2'])
    gateway.commitTransaction(tx)
  })

  it('is taken at its first named read, and at its first update', () => {
    const gateway = gatewayWith([{ _id: '1', n: 1 }])
    const reader = gateway.startTransaction()
    const writer = gateway.startTransaction()
    gateway.insert('c', [{ _id: '2', n: 2 }])
    expect(gateway.find('c', { _id: '2' }, {}, reader)).toEqual([{ _id: '2', n: 2 }])
    // A write to a document changed before the transaction's first operation is no conflict.
    gateway.modify('c', { _id: '1' }, { $set: { n: 5 } }, merge)
    expect(gateway.modify('c', { n: { $gte: 2 } }, { $inc: { n: 1 } }, merge, writer).updated).toBe(2)
    gateway.commitTransaction(writer)
    expect(gateway.find('c', {}, {}).map((d) => d.n)).toEqual([6, 3])
    // The reader's snapshot, taken at its read, keeps what it saw then.
    expect(gateway.find('c', { _id: '2' }, {}, reader)).toEqual([{ _id: '2', n: 2 }])
    gateway.abortTransaction(reader)
  })
})
