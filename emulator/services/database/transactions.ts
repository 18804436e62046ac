/**
 * Transactions isolated optimistically: a transaction reads its own writes
 * first, then the store as of its start, and fails with a conflict when a
 * document it touches changed since it began; its writes land together at
 * commit. One left open longer than MongoDB allows is forgotten.
 */
import { docKey, newDocumentId } from './changes'
import { DatabaseError, transactionConflict } from './errors'
import type { Store } from './store'
import type { Doc } from './values'

/** MongoDB ends a transaction left open for 60 s; so does the emulator. */
const TRANSACTION_LIFETIME_MS = 60_000

export interface Transaction {
  id: string
  startSeq: number
  lastUsed: number
  /** Buffered writes: a document, or null for a removal. */
  writes: Map<string, { collection: string; id: string; doc: Doc | null }>
  /** The sequence number each touched document had when first read (0: absent). */
  observed: Map<string, number>
}

export class Transactions {
  private readonly open = new Map<string, Transaction>()

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** Buffers a write (a document, or null for a removal) until commit. */
  write(tx: Transaction, collection: string, id: string, doc: Doc | null): void {
    tx.writes.set(docKey(collection, id), { collection, id, doc })
  }

  start(): string {
    this.expire()
    const id = `tx-${newDocumentId()}`
    this.open.set(id, {
      id,
      startSeq: this.store.currentSeq,
      lastUsed: this.now(),
      writes: new Map(),
      observed: new Map(),
    })
    return id
  }

  commit(transactionId: unknown): void {
    const tx = this.get(transactionId)
    this.open.delete(tx.id)
    this.store.atomically(() => {
      for (const [key, seq] of tx.observed) {
        const [collection, id] = key.split('\u0000') as [string, string]
        if ((this.store.get(collection, id)?.seq ?? 0) !== seq) {
          throw transactionConflict(`document ${id} in ${collection} changed outside the transaction`)
        }
      }
      for (const { collection, id, doc } of tx.writes.values()) this.store.put(collection, id, doc)
    })
  }

  abort(transactionId: unknown): void {
    this.get(transactionId)
    this.open.delete(transactionId as string)
  }

  /** The open transaction with this id, or a refusal. */
  get(transactionId: unknown): Transaction {
    this.expire()
    const tx = typeof transactionId === 'string' ? this.open.get(transactionId) : undefined
    if (!tx) throw new DatabaseError('DATABASE_TRANSACTION_FAIL', `transaction ${String(transactionId)} is not active`)
    tx.lastUsed = this.now()
    return tx
  }

  private expire(): void {
    const now = this.now()
    for (const [id, tx] of this.open) {
      if (now - tx.lastUsed > TRANSACTION_LIFETIME_MS) this.open.delete(id)
    }
  }

  /** Reads a document as the transaction sees it: its own writes first, then the store as of its start. */
  read(tx: Transaction, collection: string, id: string): Doc | null {
    const key = docKey(collection, id)
    const buffered = tx.writes.get(key)
    if (buffered) return buffered.doc
    const stored = this.store.get(collection, id)
    const seq = stored?.seq ?? 0
    const seen = tx.observed.get(key)
    if (seen === undefined) {
      if (seq > tx.startSeq) {
        this.open.delete(tx.id)
        throw transactionConflict(`document ${id} in ${collection} changed after the transaction began`)
      }
      tx.observed.set(key, seq)
    } else if (seen !== seq) {
      this.open.delete(tx.id)
      throw transactionConflict(`document ${id} in ${collection} changed outside the transaction`)
    }
    return stored?.doc ?? null
  }
}
