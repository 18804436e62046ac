/**
 * Projects of other shapes than this one: functions only (no app.json), no
 * template registry, or no project.config.json at all (a CloudBase CLI
 * project, or a folder of functions). They still run; start-up says, once,
 * what WeChat will then answer, what was assumed, and how to declare what is missing.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXTURE_PROJECT, ROOT, spawnEmulator, withProjectCopy, type RunningEmulator } from '../test/support/emulator'
import { loadProject } from './project'
import { PLACEHOLDER_APPID } from './project-shape'

const orderData = { thing1: { value: '保温杯' }, character_string2: { value: 'SO-1' }, enum3: { value: '已发货' } }

/** The fixture project without some of its files, in a folder of its own, for one test. */
const withProjectLacking = (files: string[], use: (emulator: RunningEmulator) => Promise<void>) =>
  withProjectCopy((project) => files.forEach((file) => rmSync(join(project, file), { recursive: true, force: true })), [], use)

const warnings = (emulator: RunningEmulator) => emulator.output.filter((line) => line.startsWith('warning:'))

describe('a project of another shape', () => {
  it('without app.json: pages are not checked, and start-up says so once', async () => {
    await withProjectLacking(['miniprogram'], async (emulator) => {
      expect(warnings(emulator)).toEqual([expect.stringMatching(/^warning: no app\.json at .*a message's page is not checked/)])
      const user = 'oShapeA'
      expect((await emulator.request('POST', '/_emulator/wechat/subscribe', { openid: user, choices: { ONE_TIME_ORDER: 'accept' } })).status).toBe(200)
      const reply = await emulator.result('probe', {
        op: 'openapi',
        api: 'subscribeMessage.send',
        data: { touser: user, templateId: 'ONE_TIME_ORDER', data: orderData, page: 'pages/any/where?id=1' },
      })
      expect(reply.ok).toMatchObject({ errCode: 0 })
    })
  })

  it('without a template registry: start-up says what WeChat will answer and how to declare templates', async () => {
    await withProjectLacking(['templates.json'], async (emulator) => {
      expect(warnings(emulator)).toEqual([expect.stringMatching(/^warning: no templates at .*20001.*40037.*Declare your templates there/)])
      const popup = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid: 'oShapeB', choices: { ONE_TIME_ORDER: 'accept' } })
      expect(popup.body).toMatchObject({ errCode: 20001 })
    })
  })
})

describe('a project without project.config.json', () => {
  /** The fixture project `name`, served for one test. */
  const serving = async (name: string, use: (emulator: RunningEmulator) => Promise<void>) => {
    const emulator = await spawnEmulator({ project: join(ROOT, 'test/fixtures', name) })
    try {
      await use(emulator)
    } finally {
      await emulator.stop()
    }
  }
  /** It lists its one function, with the timeout `timeoutMs`, runs it as a user, and serves the env `envId`. */
  const servesHello = async (emulator: RunningEmulator, timeoutMs: number, envId: string) => {
    expect((await emulator.request('GET', '/_emulator/functions')).body.data).toEqual([{ name: 'hello', timer: null, timeoutMs }])
    expect(await emulator.result('hello', {}, { openid: 'oShapeC' })).toEqual({ hello: 'oShapeC', appId: PLACEHOLDER_APPID })
    expect((await emulator.request('GET', '/_emulator/health')).body).toMatchObject({ ok: true, envId })
  }
  const noConfig = 'warning: no project\\.config\\.json in \\S+'

  it("made with the CloudBase CLI: functions from cloudbaserc.json's functionRoot, each assumption said once", async () => {
    await serving('cli-shaped-project', async (emulator) => {
      expect(warnings(emulator)).toEqual([
        expect.stringMatching(/^warning: no templates at /),
        expect.stringMatching(/^warning: no app\.json at \S+miniprogram\/app\.json/),
        expect.stringMatching(new RegExp(`^${noConfig}: functions from cloudbaserc\\.json "functionRoot", functions/$`)),
        expect.stringMatching(new RegExp(`^${noConfig}: AppID ${PLACEHOLDER_APPID}, a placeholder`)),
      ])
      // The timeout and the env id come from its cloudbaserc.json.
      await servesHello(emulator, 5000, 'cli-env')
    })
  })

  it('of functions in cloudfunctions/ and a mini-program in miniprogram/: both found by convention', async () => {
    await serving('functions-only-project', async (emulator) => {
      expect(warnings(emulator)).toEqual([
        expect.stringMatching(/^warning: no templates at /),
        expect.stringMatching(new RegExp(`^${noConfig}: functions from cloudfunctions/, the tools' convention`)),
        expect.stringMatching(new RegExp(`^${noConfig}: the mini-program from miniprogram/$`)),
        expect.stringMatching(new RegExp(`^${noConfig}: AppID ${PLACEHOLDER_APPID}, a placeholder`)),
        expect.stringMatching(new RegExp(`^${noConfig}: env local, as neither --env nor cloudbaserc\\.json "envId" names one$`)),
      ])
      await servesHello(emulator, 3000, 'local')
    })
  })
})

describe('the console settings in emulator.config.json', () => {
  const withConfig = (config: unknown) => {
    const project = mkdtempSync(join(tmpdir(), 'console-config-'))
    cpSync(FIXTURE_PROJECT, project, { recursive: true })
    writeFileSync(join(project, 'emulator.config.json'), JSON.stringify(config))
    try {
      return loadProject(project).console
    } finally {
      rmSync(project, { recursive: true, force: true })
    }
  }

  it('are read as given, and none is no panel', () => {
    expect(withConfig({ console: { ledger: 'grants', cancel: { function: 'sender', data: { id: '{_id}' } } } })).toEqual({ ledger: 'grants', cancel: { function: 'sender', data: { id: '{_id}' } } })
    expect(withConfig({})).toEqual({})
  })

  it('refuse a cancel through a function the project lacks, or a collection that is not a name', () => {
    expect(() => withConfig({ console: { cancel: { function: 'nowhere', data: {} } } })).toThrow(/console\.cancel\.function must name a function of the project/)
    expect(() => withConfig({ console: { queue: '' } })).toThrow(/console\.queue must name a collection/)
  })

  it('read a campaign report and cancel as given, and refuse them without campaigns, a function or data', () => {
    const campaign = { function: 'sender', data: { action: 'campaign', campaignId: '{_id}' } }
    const cancelCampaign = { function: 'sender', data: { action: 'campaign', campaignId: '{_id}', cancel: true } }
    expect(withConfig({ console: { campaigns: 'campaigns', campaign, cancelCampaign } })).toEqual({ campaigns: 'campaigns', campaign, cancelCampaign })
    expect(() => withConfig({ console: { campaign } })).toThrow(/console\.campaign needs console\.campaigns/)
    expect(() => withConfig({ console: { campaigns: 'campaigns', campaign: { ...campaign, function: 'nowhere' } } })).toThrow(/console\.campaign\.function must name a function of the project/)
    expect(() => withConfig({ console: { campaigns: 'campaigns', cancelCampaign: { function: 'sender', data: [] } } })).toThrow(/console\.cancelCampaign\.data must be an object/)
    expect(() => withConfig({ console: { campaigns: 'campaigns', campaign: 'sender' } })).toThrow(/console\.campaign must be \{ "function"/)
  })
})
