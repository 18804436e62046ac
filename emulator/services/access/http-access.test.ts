/**
 * CloudBase's HTTP access at `/_http/<path>`: a path that cloudbaserc.json
 * gives a function is served at a normal start, the request arrives as the
 * integration request (SOURCE wx_http, no OPENID) and the reply becomes the
 * HTTP response; in an --empty emulator, a deploy through manager-node binds
 * the path (CreateCloudBaseGWAPI), lists it and unbinds it on delete.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import CloudBase from '@cloudbase/manager-node'
import { describe, expect, it } from 'vitest'
import { FIXTURE_PROJECT, spawnEmulator } from '../../spawn'
import { withProject } from '../wechat/https-harness'

/** Answers by the query's `mode`: the integration response of the event it got, by default. */
const WEB = `exports.main = async (event) => {
  const mode = (event.queryStringParameters || {}).mode
  if (mode === 'throw') throw new Error('boom')
  if (mode === 'text') return 'hello gateway'
  if (mode === 'object') return { foo: 'bar' }
  if (mode === 'bytes') return { statusCode: 201, headers: { 'content-type': 'application/octet-stream', 'x-extra': 'yes' }, body: Buffer.from([255, 0, 1]).toString('base64'), isBase64Encoded: true }
  const seen = { event, source: process.env.TCB_SOURCE || null, openid: process.env.WX_OPENID || null }
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(seen) }
}
`

const files = {
  'cloudfunctions/web/index.js': WEB,
  'cloudfunctions/web/package.json': JSON.stringify({ name: 'web', main: 'index.js' }),
  'cloudbaserc.json': JSON.stringify({ envId: 'probe-env', functions: [{ name: 'probe', timeout: 10 }, { name: 'web', path: '/web' }] }),
}

describe('a path from cloudbaserc.json', () => {
  it('serves the function: the integration request in, the integration response out', async () => {
    await withProject(files, [], async (emulator) => {
      const get = await fetch(`${emulator.url}/_http/web/orders?id=7&tag=a`, { headers: { 'x-trace': 't1' } })
      expect(get.status).toBe(200)
      const seen = await get.json()
      expect(seen.source).toBe('wx_http')
      expect(seen.openid).toBeNull()
      expect(seen.event).toMatchObject({ path: '/web/orders', httpMethod: 'GET', queryStringParameters: { id: '7', tag: 'a' }, body: '', isBase64Encoded: false })
      expect(seen.event.headers).toMatchObject({ 'x-trace': 't1', host: new URL(emulator.url).host })
      // A mini-program call's userInfo is not added.
      expect(seen.event.userInfo).toBeUndefined()

      const post = await (await fetch(`${emulator.url}/_http/web`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":"中文"}' })).json()
      expect(post.event).toMatchObject({ path: '/web', httpMethod: 'POST', body: '{"a":"中文"}', isBase64Encoded: false })
      const binary = await (await fetch(`${emulator.url}/_http/web`, { method: 'PUT', body: new Uint8Array([0xff, 0xfe, 0x00]) })).json()
      expect(binary.event).toMatchObject({ httpMethod: 'PUT', body: Buffer.from([0xff, 0xfe, 0x00]).toString('base64'), isBase64Encoded: true })

      const invocations = (await emulator.request('GET', '/_emulator/invocations')).body.data
      expect(invocations.filter((entry: { function: string }) => entry.function === 'web').every((entry: { caller: { source: string; openid?: string } }) => entry.caller.source === 'wx_http' && !entry.caller.openid)).toBe(true)
    })
  })

  it('turns other replies into responses as CloudBase does, a failure into 502, an unbound path into 404', async () => {
    await withProject(files, [], async (emulator) => {
      const bytes = await fetch(`${emulator.url}/_http/web?mode=bytes`)
      expect(bytes.status).toBe(201)
      expect(bytes.headers.get('x-extra')).toBe('yes')
      expect([...new Uint8Array(await bytes.arrayBuffer())]).toEqual([255, 0, 1])
      const text = await fetch(`${emulator.url}/_http/web?mode=text`)
      expect(text.headers.get('content-type')).toMatch(/^text\/plain/)
      expect(await text.text()).toBe('hello gateway')
      const object = await fetch(`${emulator.url}/_http/web?mode=object`)
      expect(object.status).toBe(200)
      expect(object.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await object.json()).toEqual({ foo: 'bar' })
      const thrown = await fetch(`${emulator.url}/_http/web?mode=throw`)
      expect(thrown.status).toBe(502)
      expect(await thrown.json()).toMatchObject({ errCode: -504002, errMsg: expect.stringContaining('boom') })
      expect((await fetch(`${emulator.url}/_http/webshop`)).status).toBe(404)
      expect((await fetch(`${emulator.url}/_http/probe`)).status).toBe(404)
    })
  })
})

describe('an --empty emulator, deployed to by manager-node', () => {
  it('binds a function\'s path with CreateCloudBaseGWAPI, lists it, and unbinds it when the function is deleted', async () => {
    let url = ''
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { CloudService } = require('@cloudbase/manager-node/lib/utils/cloud-api-request') as { CloudService: { prototype: object } }
    Object.defineProperty(CloudService.prototype, 'baseUrl', { get: () => url, configurable: true })
    const work = mkdtempSync(join(tmpdir(), 'access-deploy-'))
    const emulator = await spawnEmulator({ project: FIXTURE_PROJECT, args: ['--empty', '--no-timers'] })
    url = emulator.url
    try {
      const manager = new CloudBase({ secretId: 'local', secretKey: 'local', envId: 'probe-env' })
      mkdirSync(join(work, 'hello'))
      writeFileSync(join(work, 'hello/index.js'), "exports.main = async (event) => ({ statusCode: 200, headers: {}, body: 'hi ' + event.path })\n")
      writeFileSync(join(work, 'hello/package.json'), JSON.stringify({ name: 'hello', main: 'index.js' }))
      const deploy = () =>
        manager.functions.createFunction({ func: { name: 'hello', runtime: 'Nodejs16.13', installDependency: false, path: '/hello' } as never, functionRootPath: work, force: true, deployMode: 'zip' })
      expect((await fetch(`${url}/_http/hello`)).status).toBe(404)
      await deploy()
      expect(await (await fetch(`${url}/_http/hello/there`)).text()).toBe('hi /hello/there')
      // A second deploy meets InvalidParameter.APICreated, which manager-node takes when the path is the function's.
      await deploy()
      const listed = await manager.access.getAccessList({ name: 'hello' })
      expect(listed).toMatchObject({ Total: 1, APISet: [{ Name: 'hello', Path: '/hello', Type: 1, ServiceId: 'probe-env' }] })
      const taken = await manager.access.createAccess({ name: 'other', path: '/hello' }).then(
        () => undefined,
        (error: { code: string }) => error.code,
      )
      expect(taken).toBe('InvalidParameter.APICreated')
      await manager.functions.deleteFunction('hello')
      expect((await manager.access.getAccessList({})).APISet).toEqual([])
      expect((await fetch(`${url}/_http/hello`)).status).toBe(404)
    } finally {
      await emulator.stop()
      rmSync(work, { recursive: true, force: true })
    }
  }, 40_000)
})
