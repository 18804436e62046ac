/**
 * A web page the developer happens to visit must not drive the local cloud:
 * requests must name the emulator's own loopback address as their Host (no
 * DNS rebinding), a request that changes anything is refused when its
 * Origin is another site's, and no other site may frame what it serves. A
 * malformed URL is the caller's error, not the emulator's.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { useEmulator } from '../test/support/emulator'

const emulator = useEmulator()

/** A raw request, so that Host and Origin are exactly what a browser would send. */
function send(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any; headers: IncomingHttpHeaders }> {
  const { port } = new URL(emulator.url)
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        const json = (res.headers['content-type'] ?? '').startsWith('application/json')
        resolve({ status: res.statusCode!, body: json ? JSON.parse(text || 'null') : text, headers: res.headers })
      })
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

const subscribe = { openid: 'oGuard', choices: { ONE_TIME_ORDER: 'accept' } }
const quota = async () => (await emulator.request('GET', '/_emulator/wechat/quota?openid=oGuard&templateId=ONE_TIME_ORDER')).body

describe('only this machine’s pages and tools drive the emulator', () => {
  it('answers a request whose Host is its own address, by any loopback name', async () => {
    const { host, port } = new URL(emulator.url)
    for (const name of [host, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await send('GET', '/_emulator/health', { host: name })).status).toBe(200)
    }
  })

  it('refuses another Host, as a rebound DNS name would send, and changes nothing', async () => {
    const { port } = new URL(emulator.url)
    const before = await quota()
    for (const name of [`evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, 'localhost']) {
      const reply = await send('POST', '/_emulator/wechat/subscribe', { host: name }, subscribe)
      expect(reply.status).toBe(403)
      expect(reply.body.error).toMatch(/is not this emulator's address/)
    }
    expect((await send('GET', '/_emulator/health', { host: `evil.example:${port}` })).status).toBe(403)
    expect(await quota()).toEqual(before)
  })

  it('refuses a change whose Origin is another site, to the control API and /admin alike', async () => {
    const { host } = new URL(emulator.url)
    const before = await quota()
    const refused = await send('POST', '/_emulator/wechat/subscribe', { host, origin: 'https://evil.example' }, subscribe)
    expect(refused.status).toBe(403)
    expect(refused.body.error).toMatch(/https:\/\/evil\.example may not change/)
    const admin = await send('POST', '/admin', { host, origin: 'http://localhost:3000' }, { action: 'database.addCollection', collectionName: 'evil' })
    expect(admin.status).toBe(403)
    expect(await quota()).toEqual(before)
    // Reading stays open to its own pages, and a change from its own origin is taken.
    expect((await send('GET', '/_emulator/health', { host, origin: 'https://evil.example' })).status).toBe(200)
    expect((await send('POST', '/_emulator/wechat/subscribe', { host, origin: `http://${host}` }, subscribe)).status).toBe(200)
    expect(await quota()).not.toEqual(before)
  })
})

describe('no other site frames what the emulator serves', () => {
  it('says so on every reply: the console, its files, the control API, /admin, and refusals', async () => {
    const { host } = new URL(emulator.url)
    const replies = [
      await send('GET', '/', { host }),
      await send('GET', '/_console/console.js', { host }),
      await send('GET', '/_emulator/health', { host }),
      await send('POST', '/admin', { host }, { action: 'database.getDocument', collectionName: 'docs', query: '{}' }),
      await send('GET', '/_emulator/no-such-route', { host }),
      await send('GET', '/', { host: 'evil.example' }),
    ]
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200, 404, 403])
    expect(replies[0]!.body).toMatch(/<html/i)
    for (const reply of replies) {
      expect(reply.headers['content-security-policy']).toBe("frame-ancestors 'none'")
      expect(reply.headers['x-frame-options']).toBe('DENY')
    }
  })
})

describe('a malformed URL', () => {
  it('answers HTTP 400 with a JSON error for a malformed % escape, and changes nothing', async () => {
    const { host } = new URL(emulator.url)
    for (const [method, path] of [
      ['GET', '/_emulator/db/%E0%A4%A'],
      ['GET', '/_emulator/db/%ZZ/count'],
      ['DELETE', '/_emulator/db/docs/doc/%E0%A4%A'],
    ] as const) {
      const reply = await send(method, path, { host })
      expect(reply.status, path).toBe(400)
      expect(reply.headers['content-type']).toMatch(/^application\/json/)
      expect(reply.body.error).toMatch(/malformed % escape/)
    }
    expect((await send('GET', '/_emulator/health', { host })).status).toBe(200)
  })
})
