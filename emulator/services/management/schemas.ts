/**
 * The management actions' parameters, read and checked before anything is
 * done: a bad one answers InvalidParameter (or InvalidParameterValue,
 * MissingParameter) naming it, and changes nothing.
 */
import type { TimerTrigger } from '../../project'
import type { IndexSpec } from '../database/store'
import { isPlainObject } from '../database/values'
import { triggerProblem } from '../functions/cron-rules'
import { invalidParameter, invalidValue, missingParameter, unsupported } from './errors'

export type Params = Record<string, unknown>

export function requiredText(params: Params, name: string): string {
  const value = params[name]
  if (value === undefined || value === null || value === '') throw missingParameter(name)
  if (typeof value !== 'string') throw invalidParameter(`${name} must be a string`)
  return value
}

export function optionalText(params: Params, name: string): string | undefined {
  const value = params[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw invalidParameter(`${name} must be a string`)
  return value
}

/** A whole number in [min, max]; numbers sent as text are taken too, as the API's form encoding sends them. */
export function optionalInteger(params: Params, name: string, min: number, max: number): number | undefined {
  const value = params[name]
  if (value === undefined || value === null || value === '') return undefined
  const n = typeof value === 'string' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw invalidValue(`${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`)
  return n
}

/** SCF's rule: 2 to 60 letters, digits, "-" and "_", starting with a letter, ending with a letter or digit. */
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$/

export function newFunctionName(params: Params): string {
  const name = requiredText(params, 'FunctionName')
  if (!FUNCTION_NAME.test(name)) {
    throw invalidValue(`FunctionName ${name} is invalid: 2 to 60 letters, digits, "-" or "_", starting with a letter and ending with a letter or digit`)
  }
  return name
}

/** `Environment.Variables` as a map; undefined when absent (the variables then stay as they are). */
export function environment(params: Params): Record<string, string> | undefined {
  const raw = params.Environment
  if (raw === undefined || raw === null) return undefined
  if (!isPlainObject(raw)) throw invalidParameter('Environment must be an object { Variables: [{ Key, Value }] }')
  const variables = raw.Variables ?? []
  if (!Array.isArray(variables)) throw invalidParameter('Environment.Variables must be an array of { Key, Value }')
  const out: Record<string, string> = {}
  for (const [i, entry] of variables.entries()) {
    const { Key, Value } = (isPlainObject(entry) ? entry : {}) as { Key?: unknown; Value?: unknown }
    if (typeof Key !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(Key)) throw invalidValue(`Environment.Variables[${i}].Key must be a letter, then letters, digits or "_"`)
    out[Key] = Value === undefined || Value === null ? '' : String(Value)
  }
  return out
}

/** The code as a zip, inline: the emulator has no COS to fetch an upload from. */
export function zipFile(params: Params): Buffer {
  const code = params.Code
  if (!isPlainObject(code)) throw missingParameter('Code')
  if (code.CosBucketName !== undefined || code.TempCosObjectName !== undefined || code.CosObjectName !== undefined) {
    throw unsupported('the local emulator takes code only inline, as Code.ZipFile (base64): deploy with deployMode "zip", not through COS')
  }
  if (code.ImageConfig !== undefined) throw unsupported('the local emulator runs code, not images: deploy the code with deployMode "zip"')
  if (typeof code.ZipFile !== 'string' || code.ZipFile === '') throw missingParameter('Code.ZipFile')
  if (!/^[A-Za-z0-9+/]+=*$/.test(code.ZipFile)) throw invalidValue('Code.ZipFile must be base64')
  return Buffer.from(code.ZipFile, 'base64')
}

/** The instances load `index.js` and call its `main`, so that is the one handler served. */
export function handler(params: Params): string | undefined {
  const value = optionalText(params, 'Handler')
  if (value !== undefined && value !== 'index.main') throw invalidParameter(`Handler ${value} is not served: the local emulator calls index.main (main exported by index.js)`)
  return value
}

export function runtime(params: Params): string | undefined {
  const value = optionalText(params, 'Runtime')
  if (value !== undefined && !/^Nodejs\d+(\.\d+)*$/.test(value)) throw unsupported(`Runtime ${value} is not served: the local emulator runs Node.js functions only`)
  return value
}

/** A timer's TriggerDesc: the cron itself, or `{"cron": …}` as GetFunction shows it. */
function cronOf(desc: unknown): string | undefined {
  if (typeof desc !== 'string') return undefined
  try {
    const parsed = JSON.parse(desc) as unknown
    if (isPlainObject(parsed) && typeof parsed.cron === 'string') return parsed.cron.trim()
  } catch {
    // Not JSON: the cron itself.
  }
  return desc.trim()
}

/**
 * BatchCreateTrigger's `Triggers` (JSON text of an array): timers only, by the
 * rules a project's own triggers meet (cron-rules.ts). One that breaks a rule
 * fails the call naming it and changes nothing; the function stays deployed,
 * as on the platform, where its deploy then reports the trigger's failure.
 */
export function timerTriggers(params: Params): TimerTrigger[] {
  const raw = params.Triggers
  if (raw === undefined || raw === null || raw === '') throw missingParameter('Triggers')
  let list: unknown = raw
  if (typeof raw === 'string') {
    try {
      list = JSON.parse(raw)
    } catch {
      throw invalidParameter('Triggers must be a JSON array of { TriggerName, Type, TriggerDesc }')
    }
  }
  if (!Array.isArray(list) || list.length === 0) throw invalidParameter('Triggers must be a non-empty JSON array of { TriggerName, Type, TriggerDesc }')
  return list.map((entry, i) => {
    const { TriggerName: name, Type: type, TriggerDesc: desc } = (isPlainObject(entry) ? entry : {}) as Params
    const cron = cronOf(desc)
    const problem = triggerProblem({ name, type, config: cron })
    if (problem?.part === 'type') throw invalidParameter(`trigger ${String(name)}: ${problem.rule} (the local emulator runs timer triggers only)`)
    if (problem?.part === 'name') throw invalidValue(`Triggers[${i}].TriggerName ${JSON.stringify(name ?? null)}: ${problem.rule}`)
    if (problem) throw invalidValue(`trigger ${String(name)}: TriggerDesc ${JSON.stringify(desc ?? null)}: ${problem.rule}`)
    return { name: name as string, cron: cron! }
  })
}

const INDEX_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/

function direction(raw: unknown, where: string): 1 | -1 | '2dsphere' {
  if (raw === '2dsphere') return '2dsphere'
  if (raw === 1 || raw === '1') return 1
  if (raw === -1 || raw === '-1') return -1
  throw invalidValue(`${where}.Direction must be "1", "-1" or "2dsphere", not ${JSON.stringify(raw)}`)
}

function createdIndex(entry: unknown, i: number): IndexSpec {
  const where = `CreateIndexes[${i}]`
  const { IndexName: name, MgoKeySchema: schema } = (isPlainObject(entry) ? entry : {}) as Params
  if (name === '_id_') throw invalidParameter(`${where}: the index _id_ exists on every collection and cannot be made`)
  if (typeof name !== 'string' || !INDEX_NAME.test(name)) throw invalidValue(`${where}.IndexName must start with a letter and have at most 64 letters, digits, "-" or "_"`)
  if (!isPlainObject(schema)) throw missingParameter(`${where}.MgoKeySchema`)
  const rawKeys = schema.MgoIndexKeys
  if (!Array.isArray(rawKeys) || rawKeys.length === 0) throw invalidParameter(`index ${name}: MgoKeySchema.MgoIndexKeys must be a non-empty array of { Name, Direction }`)
  const keys = rawKeys.map((key, k) => {
    const { Name: field, Direction: raw } = (isPlainObject(key) ? key : {}) as Params
    if (typeof field !== 'string' || field === '' || field.startsWith('$')) throw invalidValue(`index ${name}: MgoIndexKeys[${k}].Name must be a field name`)
    return { field, direction: direction(raw, `index ${name}: MgoIndexKeys[${k}]`) }
  })
  const unique = schema.MgoIsUnique === true || schema.MgoIsUnique === 'true'
  if (keys.some((key) => key.direction === '2dsphere')) {
    if (keys.length !== 1) throw invalidParameter(`index ${name}: a 2dsphere key stands alone in its index in the local emulator`)
    if (unique) throw invalidParameter(`index ${name}: a 2dsphere index cannot be unique`)
  }
  if (new Set(keys.map((key) => key.field)).size !== keys.length) throw invalidParameter(`index ${name}: a field appears twice in its keys`)
  return { name, unique, keys }
}

/** UpdateTable's changes: the indexes to drop (by name), then those to create. */
export function indexChanges(params: Params): { drops: string[]; creates: IndexSpec[] } {
  const drops = params.DropIndexes ?? []
  const creates = params.CreateIndexes ?? []
  if (!Array.isArray(drops)) throw invalidParameter('DropIndexes must be an array of { IndexName }')
  if (!Array.isArray(creates)) throw invalidParameter('CreateIndexes must be an array of { IndexName, MgoKeySchema }')
  const dropNames = drops.map((entry, i) => {
    const name = isPlainObject(entry) ? entry.IndexName : undefined
    if (typeof name !== 'string' || name === '') throw missingParameter(`DropIndexes[${i}].IndexName`)
    if (name === '_id_') throw invalidParameter('the index _id_ cannot be dropped')
    return name
  })
  const created = creates.map(createdIndex)
  const names = created.map((index) => index.name)
  const twice = names.find((name, i) => names.indexOf(name) !== i)
  if (twice) throw invalidParameter(`CreateIndexes names the index ${twice} twice`)
  return { drops: dropNames, creates: created }
}
