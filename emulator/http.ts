import type { IncomingMessage, ServerResponse } from 'node:http'

/** The names a browser on this machine reaches the emulator by. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']
const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

export const MAX_BODY_BYTES = 16 * 1024 * 1024

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk)
      // Answered 413 at once; the rest is read and dropped, so that the caller gets the answer rather than a reset.
      chunks.length = 0
      reject(new HttpError(413, `request body too large: more than ${MAX_BODY_BYTES} bytes`))
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** Deeper than any request means; past a few thousand levels the recursive walks behind (EJSON, structured clone) overflow the stack. */
const MAX_JSON_DEPTH = 256

/** Whether `value` nests objects or arrays deeper than `limit`: walked with a list, as it may nest deeper than the stack allows. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]]
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next
    if (item === null || typeof item !== 'object') continue
    if (depth > limit) return true
    for (const child of Object.values(item)) pending.push([child, depth + 1])
  }
  return false
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req)
  if (body.length === 0) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    throw new HttpError(400, 'the body is not valid JSON')
  }
  if (nestsDeeperThan(parsed, MAX_JSON_DEPTH)) throw new HttpError(400, `the body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`)
  return parsed
}

/**
 * Reads a multipart/form-data body into its fields. Parts stay bytes: the SDK
 * sends its protobuf as a part without a file name, so no part is decoded as text.
 */
export async function readForm(req: IncomingMessage): Promise<Record<string, Buffer>> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers['content-type'] ?? '')
  if (!boundary) throw new HttpError(400, 'multipart/form-data without a boundary')
  const body = await readBody(req)
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`)
  const fields: Record<string, Buffer> = {}
  let at = body.indexOf(delimiter)
  while (at >= 0) {
    const start = at + delimiter.length
    if (body.subarray(start, start + 2).toString() === '--') break
    const next = body.indexOf(delimiter, start)
    if (next < 0) throw new HttpError(400, 'unterminated multipart body')
    const part = body.subarray(start + 2, next - 2) // drop the CRLF after the delimiter and before the next
    const split = part.indexOf('\r\n\r\n')
    if (split < 0) throw new HttpError(400, 'multipart part without headers')
    const name = /name="([^"]*)"/i.exec(part.subarray(0, split).toString('utf8'))
    if (name) fields[name[1]!] = part.subarray(split + 4)
    at = next
  }
  return fields
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export function sendBytes(res: ServerResponse, status: number, body: Buffer, contentType: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': body.length })
  res.end(body)
}

/**
 * The emulator can change data, so a web page the developer happens to visit must not drive
 * it. A request must name the emulator's own loopback address as its Host (a page served
 * from a rebound DNS name names another), and a request that changes anything, from the
 * console or to the control API, is refused when its Origin is another site's. Tools and
 * SDKs send no Origin.
 */
export function localOnlyGuard(port: number): (req: IncomingMessage) => void {
  const own = LOOPBACK_NAMES.map((name) => `${name}:${port}`)
  const origins = own.map((address) => `http://${address}`)
  return (req) => {
    const host = (req.headers.host ?? '').toLowerCase()
    if (!own.includes(host)) throw new HttpError(403, `Host ${host || '(none)'} is not this emulator's address (${own[0]})`)
    const origin = req.headers.origin
    if (origin !== undefined && !READS.has(req.method ?? '') && !origins.includes(origin)) {
      throw new HttpError(403, `a request from ${origin} may not change the local cloud`)
    }
  }
}
