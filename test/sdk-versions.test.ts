/**
 * Every wx-server-sdk from 1.5 on reaches the emulator unchanged. One probe
 * function per version line, the same plain JavaScript in each, gets its
 * exact SDK version as its own node_modules/wx-server-sdk: the versions are
 * this package's `wx-server-sdk-<line>` aliases, installed by `npm ci` from
 * the lockfile. Each probe reads its context, writes and reads the database
 * (serverDate and a command included), calls a function and sends a
 * subscription message; WeChat's oracle must hold the message.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXTURE_PROJECT, ROOT, spawnEmulator, type RunningEmulator } from './support/emulator'

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}

/** Each version line's package folder and exact version: the aliases, then the product's own SDK. */
const LINES = [
  ...Object.entries(manifest.devDependencies)
    .filter(([name]) => name.startsWith('wx-server-sdk-'))
    .map(([name, spec]) => ({ folder: name, version: spec.replace('npm:wx-server-sdk@', '') })),
  { folder: 'wx-server-sdk', version: manifest.dependencies['wx-server-sdk']! },
]

const functionName = (version: string) => `sdk-${version.replaceAll('.', '-')}`
const APPID = 'wx5d1c2b3a4f6e7d80'

let project: string
let emulator: RunningEmulator

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'sdk-versions-'))
  writeFileSync(join(project, 'project.config.json'), JSON.stringify({ appid: APPID, cloudfunctionRoot: 'cloudfunctions/' }))
  writeFileSync(join(project, 'cloudbaserc.json'), JSON.stringify({ envId: 'sdk-env', functions: LINES.map(({ version }) => ({ name: functionName(version), timeout: 20 })) }))
  cpSync(join(FIXTURE_PROJECT, 'templates.json'), join(project, 'templates.json'))
  mkdirSync(join(project, 'db'))
  writeFileSync(join(project, 'db/probe_notes.json'), JSON.stringify({ collection: 'probe_notes', indexes: [] }))
  for (const { folder, version } of LINES) {
    const dir = join(project, 'cloudfunctions', functionName(version))
    cpSync(join(ROOT, 'test/fixtures/sdk-probe'), dir, { recursive: true })
    mkdirSync(join(dir, 'node_modules'))
    // The installed package itself, so that its own dependencies resolve as npm laid them out.
    symlinkSync(realpathSync(join(ROOT, 'node_modules', folder)), join(dir, 'node_modules/wx-server-sdk'), 'dir')
  }
  emulator = await spawnEmulator({ project })
}, 60_000)

afterAll(async () => {
  await emulator?.stop()
  rmSync(project, { recursive: true, force: true })
})

describe('wx-server-sdk versions', () => {
  it('covers every line from 1.5 to the product’s own', () => {
    expect(LINES.map(({ version }) => version.split('.').slice(0, 2).join('.'))).toEqual(
      expect.arrayContaining(['1.5', '1.8', '2.0', '2.1', '2.2', '2.3', '2.4', '2.5', '2.6', '2.7', '3.0', '4.0']),
    )
  })

  it.each(LINES.map(({ version }) => version))('%s: context, database, function call and a delivered message', async (version) => {
    const name = functionName(version)
    const openid = `oSdk${version.replaceAll('.', '')}`
    const popup = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid, choices: { ONE_TIME_ORDER: 'accept' } })
    expect(popup.body).toMatchObject({ errMsg: 'requestSubscribeMessage:ok', ONE_TIME_ORDER: 'accept' })

    const reply = await emulator.result(name, { self: name }, { openid })

    expect(reply).toMatchObject({
      sdk: version,
      context: { OPENID: openid, APPID, ENV: 'sdk-env', SOURCE: 'wx_client' },
      updated: 1,
      doc: { n: 3, atIsDate: true },
      counted: 1,
      called: { echoed: 'hello', source: 'wx_client,scf' },
      sent: { errCode: 0 },
      removed: 1,
    })
    // db.serverDate() became the server's time at the write.
    expect(reply.doc.atAgeMs).toBeGreaterThanOrEqual(0)
    expect(reply.doc.atAgeMs).toBeLessThan(15_000)
    const delivered = await emulator.request('GET', `/_emulator/wechat/messages?touser=${openid}`)
    expect(delivered.body.data).toEqual([expect.objectContaining({ touser: openid, template_id: 'ONE_TIME_ORDER', data: expect.objectContaining({ thing1: { value: '保温杯' } }) })])
  })
})
