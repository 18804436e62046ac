/**
 * Transactions as the service runs them, with snapshot isolation:
 * - a transaction reads its own writes first, then every document as it was
 *   at the transaction's first read or write (MongoDB takes the snapshot
 *   then, not at the start), whatever was written since;
 * - a write locks its document: another transaction's write to it fails at
 *   once with a conflict, and so does a write to a document changed since the
 *   transaction began; either conflict ends the transaction, as MongoDB's
 *   write conflict aborts it;
 * - its writes land together at commit.
 * A plain write to a locked document is not held until the lock is released,
 * as on the service: it lands, and the transaction then fails at commit.
 */
import { docKey, newDocumentId } from './changes'
import { transactionConflict, transactionNotExist } from './errors'
import type { Store, StoredDoc } from './store'
import type { Doc } from './values'

/** The service forgets a transaction not committed or aborted within 30 s of its start (its own message says so). */
const TRANSACTION_LIFETIME_MS = 30_000

export interface Transaction {
  id: string
  startedAt: number
  /** Buffered writes: a document, or null for a removal. */
  writes: Map<string, { collection: string; id: string; doc: Doc | null }>
  /** Documents as they were at its first operation, kept once something else changes them. */
  snapshot: Map<string, Doc | null>
  /** Whether it has read or written yet: only then is its snapshot taken. */
  begun: boolean
}

export class Transactions {
  private readonly open = new Map<string, Transaction>()
  /** Which transaction holds each written document. */
  private readonly locks = new Map<string, string>()

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {
    store.beforePut((collection, id, previous) => this.keepSnapshots(docKey(collection, id), previous))
  }

  start(): string {
    this.expire()
    const id = `tx-${newDocumentId()}`
    this.open.set(id, { id, startedAt: this.now(), writes: new Map(), snapshot: new Map(), begun: false })
    return id
  }

  /** The open transaction with this id, or the service's refusal. */
  get(transactionId: unknown): Transaction {
    this.expire()
    const tx = typeof transactionId === 'string' ? this.open.get(transactionId) : undefined
    if (!tx) throw transactionNotExist()
    return tx
  }

  /**
   * Reads a document as the transaction sees it: its own writes first, then
   * the snapshot, then the store (`stored`, when the caller has just read it).
   */
  read(tx: Transaction, collection: string, id: string, stored?: Doc): Doc | null {
    tx.begun = true
    const key = docKey(collection, id)
    const buffered = tx.writes.get(key)
    if (buffered) return buffered.doc
    if (tx.snapshot.has(key)) return tx.snapshot.get(key)!
    return stored ?? this.store.get(collection, id)?.doc ?? null
  }

  /** The collection as the transaction sees it, in insertion order; documents it added come last. */
  view(tx: Transaction, collection: string): Doc[] {
    tx.begun = true
    const docs: Doc[] = []
    const seen = new Set<string>()
    const take = (key: string, doc: Doc | null) => {
      if (seen.has(key)) return
      seen.add(key)
      if (doc) docs.push(doc)
    }
    for (const { id, doc } of this.store.scan(collection)) take(docKey(collection, id), this.read(tx, collection, id, doc))
    // Documents removed since the transaction began, then those it added itself.
    const prefix = docKey(collection, '')
    for (const [key, doc] of tx.snapshot) if (key.startsWith(prefix) && !tx.writes.has(key)) take(key, doc)
    for (const [key, write] of tx.writes) if (key.startsWith(prefix)) take(key, write.doc)
    return docs
  }

  /** Buffers a write (a document, or null for a removal) until commit, after taking the document's lock. */
  write(tx: Transaction, collection: string, id: string, doc: Doc | null): void {
    tx.begun = true
    const key = docKey(collection, id)
    const holder = this.locks.get(key)
    if ((holder !== undefined && holder !== tx.id) || tx.snapshot.has(key)) {
      this.end(tx)
      throw transactionConflict()
    }
    this.locks.set(key, tx.id)
    tx.writes.set(key, { collection, id, doc })
  }

  commit(transactionId: unknown): void {
    const tx = this.get(transactionId)
    this.end(tx)
    // A plain write that reached a locked document since: the transaction's writes would undo it.
    for (const key of tx.writes.keys()) if (tx.snapshot.has(key)) throw transactionConflict()
    this.store.atomically(() => {
      for (const { collection, id, doc } of tx.writes.values()) this.store.put(collection, id, doc)
    })
  }

  abort(transactionId: unknown): void {
    this.end(this.get(transactionId))
  }

  private end(tx: Transaction): void {
    this.open.delete(tx.id)
    for (const key of tx.writes.keys()) if (this.locks.get(key) === tx.id) this.locks.delete(key)
  }

  /** Before a document changes, each begun transaction that has not kept it yet keeps it as it was. */
  private keepSnapshots(key: string, previous: StoredDoc | undefined): void {
    for (const tx of this.open.values()) {
      if (tx.begun && !tx.snapshot.has(key)) tx.snapshot.set(key, previous?.doc ?? null)
    }
  }

  private expire(): void {
    const now = this.now()
    for (const tx of [...this.open.values()]) if (now - tx.startedAt > TRANSACTION_LIFETIME_MS) this.end(tx)
  }
}
