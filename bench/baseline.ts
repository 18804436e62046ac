/**
 * The baselines the dispatcher is measured against, written the way the
 * public CloudBase demo for subscription messages does it: read the due rows,
 * send each (one at a time, or all at once with an unbounded Promise.all),
 * then mark it done. No reservation, no lease, no paging beyond one read.
 * A third way, 'bounded', is the same naive sender held to `concurrency`
 * sends in flight, the dispatcher's own bound: what the dispatcher's
 * guarantees cost is its rate against this one.
 * Bundled into the benchmark's project as the function `bench-baseline`; it
 * reaches the SDK through src/cloud.ts, as every function does.
 */
import { database, sendSubscribeMessage } from '../src/cloud'

interface Row {
  _id: string
  touser: string
  templateId: string
  data: Record<string, { value: string }>
}

export type BaselineEvent = { mode: 'sequential' } | { mode: 'all' } | { mode: 'bounded'; concurrency: number }

/** As long as the function may run: the demo waits for WeChat however long it takes. */
const NO_TIMEOUT_MS = 900_000

export async function main(event: BaselineEvent) {
  const rows = database().collection('baseline_messages')
  let sent = 0
  let failed = 0
  const one = async (row: Row) => {
    const outcome = await sendSubscribeMessage({ touser: row.touser, templateId: row.templateId, data: row.data }, NO_TIMEOUT_MS)
    if (outcome.kind === 'sent') {
      sent += 1
      await rows.doc(row._id).update({ data: { done: true } })
    } else {
      failed += 1
      await rows.doc(row._id).update({ data: { done: true, error: outcome.kind === 'refused' ? String(outcome.errcode) : outcome.reason } })
    }
  }
  for (;;) {
    const { data } = (await rows.where({ done: false }).limit(1000).get()) as unknown as { data: Row[] }
    if (data.length === 0) break
    if (event.mode === 'sequential') for (const row of data) await one(row)
    else if (event.mode === 'bounded') await inPool(data, event.concurrency, one)
    else await Promise.all(data.map(one))
  }
  return { sent, failed }
}

/** `size` workers take the rows in turn, so at most `size` are in flight; a worker takes the next as soon as its last is done. */
async function inPool<T>(items: T[], size: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await each(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker))
}
