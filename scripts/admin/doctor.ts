/**
 * `npm run admin -- doctor`: a live environment (the cloud, or an emulator)
 * held against what the project needs, one line per check, ✓ or ✗ with what
 * to do. Exit 0 only when every line is ✓.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Target } from '../deploy/management'
import { collectionsOf, declarations, readCurrent, readSchemaRecord, sameIndex, type IndexSpec } from '../deploy/migration'
import { isSecret } from '../../src/settings'
import { secretsNeeded } from '../deploy/plan'
import { SCHEMA_RECORD } from '../schema-version'

export interface Check {
  ok: boolean
  line: string
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))
const DEPLOY = 'run npm run deploy'

interface Deployed {
  Runtime?: string
  Timeout?: number
  MemorySize?: number
  Environment?: { Variables?: Array<{ Key: string; Value: string }> }
  Triggers?: Array<{ TriggerName?: string; Type?: string; TriggerDesc?: string }>
}

async function deployedFunction(target: Target, name: string): Promise<Deployed | null> {
  try {
    return (await target.manager.functions.getFunctionDetail(name)) as Deployed
  } catch (error) {
    if (/ResourceNotFound/.test(String((error as { code?: string }).code))) return null
    throw error
  }
}

/** The function's HTTP access path, bound to it. */
async function accessCheck(target: Target, name: string, path: string): Promise<Check> {
  const { APISet } = await target.manager.access.getAccessList({ path })
  const bound = APISet.find((api) => api.Path === path)
  const to = bound?.Name
  return {
    ok: to === name,
    line: `http path ${path}: ${to === name ? name : bound ? `bound to ${to}, not ${name}: ${DEPLOY}` : `missing: ${DEPLOY}`}`,
  }
}

/** Each function of cloudbaserc.json deployed with its settings, and its timer trigger. */
async function functionChecks(target: Target, root: string): Promise<{ checks: Check[]; notes: string[]; sendTimeout?: number }> {
  const rc = readJson(join(root, 'cloudbaserc.json')) as { functions: Array<Record<string, any>> }
  const settingsFile = readJson(join(root, 'settings.json')) as unknown
  const checks: Check[] = []
  const notes: string[] = []
  let sendTimeout: number | undefined
  for (const wanted of rc.functions) {
    const name = String(wanted.name)
    const found = await deployedFunction(target, name)
    if (!found) {
      checks.push({ ok: false, line: `function ${name}: not deployed: ${DEPLOY}` })
      continue
    }
    if (name === 'send') sendTimeout = found.Timeout
    // Secrets are judged by their presence alone, and their values never printed.
    const all = found.Environment?.Variables ?? []
    const variables = Object.fromEntries(all.filter((v) => !isSecret(v.Key)).map((v) => [v.Key, v.Value]))
    const differences = [
      found.Runtime !== (wanted.runtime ?? 'Nodejs16.13') && `runtime ${found.Runtime}, not ${wanted.runtime}`,
      found.Timeout !== (wanted.timeout ?? 3) && `timeout ${found.Timeout} s, not ${wanted.timeout} s`,
      found.MemorySize !== (wanted.memorySize ?? 256) && `memory ${found.MemorySize} MB, not ${wanted.memorySize} MB`,
      JSON.stringify(variables) !== JSON.stringify(Object.fromEntries(Object.entries(wanted.envVariables ?? {}).map(([k, v]) => [k, String(v)]))) &&
        `environment variables ${JSON.stringify(variables)}, not ${JSON.stringify(wanted.envVariables ?? {})}`,
    ].filter(Boolean)
    checks.push({
      ok: differences.length === 0,
      line: `function ${name}: ${differences.length ? `${differences.join('; ')}: ${DEPLOY}` : `${found.Runtime}, ${found.Timeout} s, ${found.MemorySize} MB`}`,
    })
    const needs = secretsNeeded(settingsFile, wanted)
    if (needs.length) {
      const absent = needs.filter((secret) => !all.some((v) => v.Key === secret && v.Value))
      checks.push({
        ok: absent.length === 0,
        line: `secrets ${name}: ${absent.length ? `${absent.join(', ')} not set: run npm run deploy with it in the environment` : `${needs.join(', ')} set`}`,
      })
    }
    if (typeof wanted.path === 'string') {
      checks.push(await accessCheck(target, name, wanted.path))
      if (!all.some((v) => v.Key === 'SESSION_SECRET' && v.Value)) notes.push(`${name} has no SESSION_SECRET: over HTTP access its code login answers NOT_CONFIGURED (deploy with SESSION_SECRET set to serve HTTP callers)`)
    }
    const config = readJson(join(root, 'cloudfunctions', name, 'config.json')) as { triggers?: Array<{ name: string; config: string }> }
    for (const trigger of config.triggers ?? []) {
      const present = (found.Triggers ?? []).find((t) => t.TriggerName === trigger.name)
      const same = present && String(present.TriggerDesc ?? '').includes(trigger.config)
      checks.push({
        ok: Boolean(same),
        line: `timer ${name}/${trigger.name}: ${same ? `"${trigger.config}"` : present ? `fires on ${present.TriggerDesc}, not "${trigger.config}": ${DEPLOY}` : `missing: ${DEPLOY}`}`,
      })
    }
  }
  return { checks, notes, sendTimeout }
}

const describeKeys = (index: IndexSpec) => `${index.unique ? 'unique ' : ''}${index.keys.map((k) => `${k.field} ${k.direction}`).join(', ')}`

/** Each collection and index of db/, and the schema record at the version db/ makes. */
async function databaseChecks(target: Target, root: string): Promise<Check[]> {
  const { version, declared } = declarations(join(root, 'db'))
  const current = await readCurrent(target, collectionsOf(declared))
  const checks: Check[] = []
  for (const { collection, indexes } of declared) {
    const present = current.get(collection)
    if (!present) {
      checks.push({ ok: false, line: `collection ${collection}: missing: ${DEPLOY}` })
      for (const index of indexes) checks.push({ ok: false, line: `index ${collection}.${index.name}: missing (${describeKeys(index)}): ${DEPLOY}` })
      continue
    }
    checks.push({ ok: true, line: `collection ${collection}` })
    for (const index of indexes) {
      const found = present.find((p) => p.name === index.name)
      const same = found && sameIndex(found, index)
      checks.push({
        ok: Boolean(same),
        line: `index ${collection}.${index.name}: ${same ? describeKeys(index) : found ? `is ${describeKeys(found)}, declared ${describeKeys(index)}: ${DEPLOY}` : `missing (${describeKeys(index)}): ${DEPLOY}`}`,
      })
    }
  }
  const record = current.get(SCHEMA_RECORD.collection) ? await readSchemaRecord(target) : null
  checks.push({
    ok: record?.version === version,
    line: `schema record ${SCHEMA_RECORD.collection}/${SCHEMA_RECORD.id}: ${record?.version === version ? version : record ? `at ${record.version}, db/ is ${version}: ${DEPLOY}` : `missing, so every function answers NOT_READY: ${DEPLOY}`}`,
  })
  return checks
}

const keywordType = (key: string) => key.replace(/\d+$/, '')

/** The openapi permission (send's `templates` answers) and the registry against WeChat's own list. */
async function wechatChecks(target: Target, root: string): Promise<Check[]> {
  const reply = await target.app.callFunction({ name: 'send', data: { action: 'templates' } })
  const result = (reply.result ?? {}) as { ok?: boolean; code?: string; message?: string; templates?: Array<Record<string, any>> }
  if (reply.code || !result.ok) {
    const why = reply.code ? `${reply.code} ${reply.message}` : `${result.code} ${result.message}`
    const fix =
      result.code === 'NO_PERMISSION'
        ? 'upload send with WeChat DevTools (its config.json lists subscribeMessage.getTemplateList and subscribeMessage.send) or grant them in the console'
        : DEPLOY
    return [{ ok: false, line: `openapi permission (send → getTemplateList): ${why}: ${fix}` }]
  }
  const checks: Check[] = [{ ok: true, line: 'openapi permission (send → getTemplateList)' }]
  const account = new Map((result.templates ?? []).map((t) => [t.id, t]))
  const registry = readJson(join(root, 'templates.json')) as { templates: Array<{ id: string; title: string; kind: string; keywords: Array<{ key: string; name: string }> }> }
  for (const template of registry.templates) {
    const theirs = account.get(template.id)
    const words = (list: Array<{ key: string; name: string }>) => list.map((k) => `${k.name}:${keywordType(k.key)}`).join(', ')
    const problems = !theirs
      ? ['not on the account (add it in the console, then npm run admin -- templates sync)']
      : [
          theirs.kind !== template.kind && `kind ${theirs.kind} on the account, ${template.kind} in templates.json`,
          words(theirs.keywords) !== words(template.keywords) && `keywords ${words(theirs.keywords)} on the account, ${words(template.keywords)} in templates.json`,
        ].filter(Boolean)
    checks.push({ ok: problems.length === 0, line: `template ${template.title} (${template.id}): ${problems.length ? problems.join('; ') : `${template.kind}, as on the account`}` })
  }
  return checks
}

export async function doctor(target: Target, root: string): Promise<{ checks: Check[]; notes: string[] }> {
  const { checks: functions, notes: functionNotes, sendTimeout } = await functionChecks(target, root)
  const settings = readJson(join(root, 'settings.json')) as { acceptsFrom: string; timing: { functionTimeoutMs: number } }
  const timeout: Check = {
    ok: sendTimeout !== undefined && sendTimeout * 1000 === settings.timing.functionTimeoutMs,
    line: `timing.functionTimeoutMs ${settings.timing.functionTimeoutMs} ms: ${sendTimeout === undefined ? 'send is not deployed' : sendTimeout * 1000 === settings.timing.functionTimeoutMs ? "send's timeout" : `send's timeout is ${sendTimeout} s: ${DEPLOY}`}`,
  }
  const checks = [...functions, timeout, ...(await databaseChecks(target, root)), ...(await wechatChecks(target, root))]
  const notes = [
    ...functionNotes,
    ...(settings.acceptsFrom === 'events'
      ? [
          'message push (no API reads it, so check it by hand): acceptsFrom is "events", so in the console (云开发 → 设置 → 其他设置 → 消息推送) add, for MsgType event, each of subscribe_msg_popup_event, subscribe_msg_change_event and subscribe_msg_sent_event, pushed to the cloud function wechat-events.',
        ]
      : []),
  ]
  return { checks, notes }
}
