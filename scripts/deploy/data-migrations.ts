/**
 * Documents an earlier version of the functions left in a shape the current
 * one does not read, brought up to date by the deploy after the indexes and
 * before the schema record. Each step finds what it changes by a query, so a
 * second run finds nothing.
 */
import type { Target } from './management'

interface DataMigration {
  /** What it does, in words, for the deploy's output. */
  name: string
  collection: string
  run(target: Target): Promise<number>
}

/**
 * Before leases had a field of their own, a message being sent kept its lease's end in
 * `dueAt`; the dispatcher now takes over a `sending` message by `leaseUntil`, so one
 * without it would never be taken over. Its lease ends where its `dueAt` says.
 */
const leaseFromDueAt: DataMigration = {
  name: "messages left 'sending' without leaseUntil: leaseUntil set to their dueAt",
  collection: 'messages',
  async run(target) {
    const db = target.app.database()
    const messages = db.collection('messages')
    let changed = 0
    for (;;) {
      const page = (await messages.where({ status: 'sending', leaseUntil: db.command.exists(false) }).limit(100).get()) as {
        data?: Array<{ _id: string; dueAt?: unknown }>
        code?: string
        message?: string
      }
      if (page.code) throw new Error(`${this.name}: ${page.code} ${page.message}`)
      const found = page.data ?? []
      for (const message of found) {
        // Conditional, so a message a running dispatcher settled meanwhile is left as it is.
        const reply = (await messages
          .where({ _id: message._id, status: 'sending', leaseUntil: db.command.exists(false) })
          .update({ leaseUntil: message.dueAt ?? new Date(0) })) as { code?: string; message?: string }
        if (reply.code) throw new Error(`${this.name}: ${message._id}: ${reply.code} ${reply.message}`)
        changed++
      }
      if (found.length < 100) return changed
    }
  },
}

const DATA_MIGRATIONS: DataMigration[] = [leaseFromDueAt]

export async function migrateData(target: Target, collections: string[], log: (line: string) => void): Promise<void> {
  for (const step of DATA_MIGRATIONS.filter((m) => collections.includes(m.collection))) {
    const changed = await step.run(target)
    if (changed > 0) log(`  ${step.name}: ${changed}`)
  }
}
