/**
 * A null CloudBase: answers every `/admin` request at once with a fixed reply
 * of the right shape, doing no work. The SDK's own per-request cost against
 * it is the ceiling the emulator is measured against.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

const DOC = JSON.stringify({ _id: 'null-doc', n: 0 })

const REPLIES: Record<string, unknown> = {
  'database.getDocument': { data: { list: [DOC], limit: 100, offset: 0 } },
  'database.modifyDocument': { data: { updated: 1 } },
  'database.insertDocument': { data: { insertedIds: ['null-doc'] } },
}

export async function startNullServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const action = /"action":"([^"]+)"/.exec(Buffer.concat(chunks).toString())?.[1] ?? ''
      const body = JSON.stringify({ ...((REPLIES[action] as object) ?? { code: 'INVALID_ACTION', message: action }), requestId: 'null' })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}
