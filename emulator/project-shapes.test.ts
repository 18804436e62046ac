/**
 * Projects of other shapes than this one: functions only (no app.json), or
 * no template registry. They still run; start-up says, once, what WeChat will
 * then answer and how to declare what is missing.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXTURE_PROJECT, withProjectCopy, type RunningEmulator } from '../test/support/emulator'
import { loadProject } from './project'

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
})
