/**
 * The baselines the dispatcher is measured against, written the way the
 * public CloudBase demo for subscription messages does it: read the due rows,
 * send each (one at a time, or all at once with an unbounded Promise.all),
 * then mark it done. No reservation, no lease, no paging beyond one read.
 * Bundled into the benchmark's project as the function `bench-baseline`.
 */
import * as cloud from 'wx-server-sdk'

cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string })

interface Row {
  _id: string
  touser: string
  templateId: string
  data: Record<string, { value: string }>
}

export async function main(event: { mode: 'sequential' | 'all' }) {
  const db = cloud.database()
  const rows = db.collection('baseline_messages')
  let sent = 0
  let failed = 0
  const one = async (row: Row) => {
    try {
      await cloud.openapi.subscribeMessage.send({ touser: row.touser, templateId: row.templateId, data: row.data })
      sent += 1
      await rows.doc(row._id).update({ data: { done: true } })
    } catch (error) {
      failed += 1
      await rows.doc(row._id).update({ data: { done: true, error: String((error as { errCode?: number }).errCode) } })
    }
  }
  for (;;) {
    const { data } = (await rows.where({ done: false }).limit(1000).get()) as unknown as { data: Row[] }
    if (data.length === 0) break
    if (event.mode === 'sequential') for (const row of data) await one(row)
    else await Promise.all(data.map(one))
  }
  return { sent, failed }
}
