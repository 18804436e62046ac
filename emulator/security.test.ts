/**
 * A web page the developer happens to visit must not drive the local cloud:
 * requests must name the emulator's own loopback address as their Host (no
 * DNS rebinding), and a request that changes anything is refused when its
 * Origin is another site's.
 */
import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { useEmulator } from '../test/support/emulator'

const emulator = useEmulator()

/** A raw request, so that Host and Origin are exactly what a browser would send. */
function send(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any }> {
  const { port } = new URL(emulator.url)
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }))
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
