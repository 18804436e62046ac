/**
 * Bad input, end to end: a corpus of malformed, hostile and oversized events
 * thrown at `login`, `subscribe-record` and `send` through the emulator, as a
 * mini-program user and as a server. Every case must get a reply (HTTP 200,
 * no crash) `{ ok: false, code, message }` with the contract's code, and must
 * write nothing: the `users`, `grants`, `grant_reports`, `messages`,
 * `campaigns` and `dispatch_state` collections and WeChat's delivered messages are compared after each case
 * and after the whole corpus.
 *
 * The users hold real grants (seeded in beforeAll), and each case is one field
 * away from a valid request, so a validation that let a case through would
 * show as a write or a delivered message, not only as a wrong reply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnEmulator, type RunningEmulator, type User } from './support/emulator'

// ---------------------------------------------------------------------------
// The project: templates (templates.json) and the callers.

/** One-time, self-service: 预约提醒. */
const APPOINTMENT = 'bK3nQ7xR2mV9pL4sT8wY1cF6hJ0dG5aE3uZ7iO2kN9r'
/** One-time, not self-service: 订单发货通知. */
const ORDER = 'Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w'
/** Long-term, not self-service: 课程上课提醒. */
const CLASS = 'Lt5kR9mW3xC7vB1nQ4zS8dF2gH6jA0eY3uI7oP1tK5r'
/** Well formed, but no template of the registry (nor of WeChat). */
const UNKNOWN_TEMPLATE = 'zZ9unknownTemplateId0000000000000000000000000'

const APPOINTMENT_DATA = {
  thing1: { value: '口腔检查' },
  time2: '2026-12-01 09:30',
  thing3: { value: '二楼 3 号诊室' },
  phone_number4: '021-12345678',
  character_string5: 'RSV-20261201-007',
}
const ORDER_DATA = { character_string1: 'SO20261127001', thing2: '保温杯 500ml', amount3: '¥128.00', name4: '张三', phrase5: '已发货' }
const CLASS_DATA = { thing1: '初二数学', time2: '2026-12-02 19:00~20:30', name3: '李老师', thing4: '请提前 10 分钟进入教室' }

const USER: User = { openid: 'oBadInputUser', unionid: 'uBadInputUser' }
const OTHER: User = { openid: 'oBadInputOther' }
/** Calls login as a user in the last block only, after the no-write checks. */
const LOGIN_PROBE: User = { openid: 'oBadInputLoginProbe' }

// ---------------------------------------------------------------------------
// The corpus's building blocks.

const KB100 = 'x'.repeat(100 * 1024)
const manyKeys = (count: number, value: unknown = 'x', prefix = 'k') =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, value]))
const HUGE_OBJECT = manyKeys(10_000)
function nested(depth: number, leaf: unknown = 'x', key = 'a'): unknown {
  let value = leaf
  for (let i = 0; i < depth; i++) value = { [key]: value }
  return value
}
const DEEP = nested(200)
const DEEP_ARRAY = (() => {
  let value: unknown = 'x'
  for (let i = 0; i < 200; i++) value = [value]
  return value
})()
/** JSON.parse makes `__proto__` an own key, as the wire does (an object literal would set the prototype). */
const PROTO = JSON.parse('{"__proto__":{"polluted":"yes","ok":true}}') as Record<string, unknown>
const CONSTRUCTOR = JSON.parse('{"constructor":{"prototype":{"polluted":"yes"}}}') as Record<string, unknown>

type Row = [description: string, value: unknown]

/** Values that are not a string, for a field that takes one. */
const NOT_A_STRING: Row[] = [
  ['a number', 42],
  ['zero', 0],
  ['true', true],
  ['false', false],
  ['null', null],
  ['an array', ['x']],
  ['an empty array', []],
  ['an object', { value: 'x' }],
  ['an empty object', {}],
  ['{ $gt: "" }', { $gt: '' }],
  ['{ $ne: null }', { $ne: null }],
  ['{ $where: "1" }', { $where: '1' }],
  ['an object with a $set key', { $set: { available: 99 } }],
  ['an object of 10,000 keys', HUGE_OBJECT],
  ['an object nested 200 deep', DEEP],
  ['an array nested 200 deep', DEEP_ARRAY],
  ['an object with a __proto__ key', PROTO],
  ['an object with a constructor key', CONSTRUCTOR],
]
const EMPTY_AND_HUGE: Row[] = [
  ['an empty string', ''],
  ['a 100 KB string', KB100],
]
/** Strings shaped like operators or queries, for a field with a strict pattern. */
const OPERATOR_STRINGS: Row[] = [
  ['the string "$ne"', '$ne'],
  ['a JSON operator string', '{"$gt":""}'],
  ['the string "$where: 1"', '$where: 1'],
]
/** Values that are not an object, for a field that takes one. */
const NOT_AN_OBJECT: Row[] = [
  ['a string', 'x'],
  ['an empty string', ''],
  ['a 100 KB string', KB100],
  ['a number', 42],
  ['zero', 0],
  ['true', true],
  ['false', false],
  ['null', null],
  ['an empty array', []],
  ['an array of objects', [{ thing1: 'x' }]],
  ['an array of entries', [['thing1', 'x']]],
  ['an array nested 200 deep', DEEP_ARRAY],
]
/** Events that are not an object at all. */
const NOT_AN_OBJECT_EVENT: Row[] = [
  ['a string event', 'hello'],
  ['an empty string event', ''],
  ['a 100 KB string event', KB100],
  ['a number event', 42],
  ['a zero event', 0],
  ['a true event', true],
  ['a false event', false],
  ['an empty array event', []],
  ['an array event', [{ touser: USER.openid }]],
  ['a null event', null],
]

// ---------------------------------------------------------------------------
// Cases.

type Fn = 'login' | 'subscribe-record' | 'send' | 'wechat-events'
type Code = 'INVALID_ARGUMENT' | 'FORBIDDEN' | 'INVALID_DATA'
/** A mini-program user; a server; WeChat's message push, which carries the OPENID of the user it is about. */
type As = 'user' | 'server' | 'push'

interface Case {
  name: string
  fn: Fn
  as: As
  event: unknown
  code: Code
  /** For INVALID_DATA: the field the reply names (any one of them, when several are at fault). */
  field?: string | string[]
}

const INVALID_ARGUMENT = 'INVALID_ARGUMENT' as const
const FORBIDDEN = 'FORBIDDEN' as const
const INVALID_DATA = 'INVALID_DATA' as const

const row = (fn: Fn, as: As, description: string, event: unknown, code: Code, field?: string | string[]): Case => ({
  name: `${fn} as ${as}: ${description} → ${code}`,
  fn,
  as,
  event,
  code,
  ...(field ? { field } : {}),
})

/** Unknown fields added to an otherwise valid event. */
function unknownFields(base: Record<string, unknown>): Row[] {
  return [
    ['an unknown field "openid"', { ...base, openid: OTHER.openid }],
    ['an unknown field "unionid"', { ...base, unionid: 'uForged' }],
    ['an unknown field "_id"', { ...base, _id: 'forged' }],
    ['a $set field', { ...base, $set: { available: 99 } }],
    ['a $where field', { ...base, $where: '1' }],
    ['a __proto__ field', { ...base, ...PROTO }],
    ['a constructor field', { ...base, ...CONSTRUCTOR }],
    ['an unknown field nested 200 deep', { ...base, extra: DEEP }],
    ['10,000 unknown fields', { ...base, ...HUGE_OBJECT }],
    ['an unknown field with a 100 KB string', { ...base, note: KB100 }],
  ]
}

// send ----------------------------------------------------------------------

const SEND_BASE = { touser: USER.openid, templateId: APPOINTMENT, data: APPOINTMENT_DATA }

function sendCases(as: As): Case[] {
  const cases: Case[] = []
  const add = (description: string, event: unknown, code: Code, field?: string | string[]) => cases.push(row('send', as, description, event, code, field))
  const withField = (field: string, value: unknown) => ({ ...SEND_BASE, [field]: value })

  for (const [d, event] of NOT_AN_OBJECT_EVENT) add(d, event, INVALID_ARGUMENT)
  add('an empty event', {}, INVALID_ARGUMENT)
  add('an event of 10,000 unknown keys', HUGE_OBJECT, INVALID_ARGUMENT)
  add('an event nested 200 deep', DEEP, INVALID_ARGUMENT)
  for (const [d, event] of unknownFields(SEND_BASE)) add(d, event, INVALID_ARGUMENT)

  // Required strings with a strict pattern; optional idempotencyKey likewise.
  for (const field of ['touser', 'templateId', 'idempotencyKey']) {
    for (const [d, value] of [...NOT_A_STRING, ...EMPTY_AND_HUGE, ...OPERATOR_STRINGS]) add(`${field} is ${d}`, withField(field, value), INVALID_ARGUMENT)
  }
  for (const field of ['touser', 'templateId']) {
    const { [field as 'touser']: _left, ...without } = SEND_BASE
    add(`${field} is missing`, without, INVALID_ARGUMENT)
  }
  add('idempotencyKey has a space', withField('idempotencyKey', 'key with space'), INVALID_ARGUMENT)

  // page: a string of 1 to 512 characters; one that is well formed but not in app.json breaks the template's link.
  for (const [d, value] of [...NOT_A_STRING, ...EMPTY_AND_HUGE]) add(`page is ${d}`, withField('page', value), INVALID_ARGUMENT)
  add('page is not in app.json', withField('page', 'pages/nowhere/nowhere'), INVALID_DATA, 'page')
  add('page is "$where"', withField('page', '$where'), INVALID_DATA, 'page')
  add('page climbs out of the mini-program', withField('page', '../../../etc/passwd'), INVALID_DATA, 'page')

  // Enumerations.
  for (const field of ['miniprogramState', 'lang']) {
    for (const [d, value] of [...NOT_A_STRING, ...EMPTY_AND_HUGE, ...OPERATOR_STRINGS]) add(`${field} is ${d}`, withField(field, value), INVALID_ARGUMENT)
  }
  add('miniprogramState is "FORMAL"', withField('miniprogramState', 'FORMAL'), INVALID_ARGUMENT)
  add('miniprogramState is "release"', withField('miniprogramState', 'release'), INVALID_ARGUMENT)
  add('lang is "en"', withField('lang', 'en'), INVALID_ARGUMENT)
  add('lang is "zh_cn"', withField('lang', 'zh_cn'), INVALID_ARGUMENT)

  // data: an object of keyword values.
  add('data is missing', { touser: USER.openid, templateId: APPOINTMENT }, INVALID_ARGUMENT)
  for (const [d, value] of NOT_AN_OBJECT) add(`data is ${d}`, withField('data', value), INVALID_ARGUMENT)
  add('data is the JSON text of the data', withField('data', JSON.stringify(APPOINTMENT_DATA)), INVALID_ARGUMENT)
  add('data has 10,000 keys', withField('data', { ...APPOINTMENT_DATA, ...manyKeys(10_000, 'x', 'thing') }), INVALID_ARGUMENT)
  add('data is nested 200 deep', withField('data', nested(200, 'x', 'thing1')), INVALID_ARGUMENT)
  add('data is { $gt: "" }', withField('data', { $gt: '' }), INVALID_ARGUMENT)
  add('data is { $ne: null }', withField('data', { $ne: null }), INVALID_ARGUMENT)
  add('data is { $where: "1" }', withField('data', { $where: '1' }), INVALID_ARGUMENT)
  // Keys that are not keyword keys at all: malformed, whatever the template.
  const extraKey = (key: string, value: unknown = 'x') => withField('data', { ...APPOINTMENT_DATA, ...JSON.parse(JSON.stringify({ [key]: value })) })
  add('data has a $set key', extraKey('$set', { thing1: 'x' }), INVALID_ARGUMENT)
  add('data has a $where key', extraKey('$where', '1'), INVALID_ARGUMENT)
  add('data has a __proto__ key', withField('data', { ...APPOINTMENT_DATA, ...PROTO }), INVALID_ARGUMENT)
  add('data has a constructor key', withField('data', { ...APPOINTMENT_DATA, ...CONSTRUCTOR }), INVALID_ARGUMENT)
  add('data has an empty key', extraKey(''), INVALID_ARGUMENT)
  add('data has a dotted key', extraKey('thing1.value'), INVALID_ARGUMENT)
  add('data has a 100 KB key', extraKey(`thing${'x'.repeat(100 * 1024)}1`), INVALID_ARGUMENT)

  // A keyword's value: a string or { value: string }.
  const keyword = (value: unknown) => withField('data', { ...APPOINTMENT_DATA, thing1: value })
  const notAKeywordValue: Row[] = [
    ...NOT_A_STRING.filter(([d]) => d !== 'an object'),
    ['{ value: 42 }', { value: 42 }],
    ['{ value: null }', { value: null }],
    ['{ value: true }', { value: true }],
    ['{ value: ["x"] }', { value: ['x'] }],
    ['{ value: { $gt: "" } }', { value: { $gt: '' } }],
    ['{ value: { $ne: null } }', { value: { $ne: null } }],
    ['{ value, and an unknown key }', { value: 'x', color: '#ff0000' }],
    ['{ Value: "x" }', { Value: 'x' }],
    ['{ value } nested 200 deep', nested(200, 'x', 'value')],
    ['a 100 KB string', KB100],
    ['{ value: a 100 KB string }', { value: KB100 }],
  ]
  for (const [d, value] of notAKeywordValue) add(`data.thing1 is ${d}`, keyword(value), INVALID_ARGUMENT)
  for (const [d, value] of notAKeywordValue.slice(0, 8)) {
    add(`data.phone_number4 is ${d}`, withField('data', { ...APPOINTMENT_DATA, phone_number4: value }), INVALID_ARGUMENT)
  }

  // Well-formed data that breaks the template.
  add('data.thing1 is an empty string', keyword(''), INVALID_DATA, 'thing1')
  add('data.thing1 is { value: "" }', keyword({ value: '' }), INVALID_DATA, 'thing1')
  add('data.thing1 has a line break', keyword('a\nb'), INVALID_DATA, 'thing1')
  const { time2: _time2, ...withoutTime } = APPOINTMENT_DATA
  add('data lacks time2', withField('data', withoutTime), INVALID_DATA, 'time2')
  add('data.time2 is not a time', withField('data', { ...APPOINTMENT_DATA, time2: 'tomorrow' }), INVALID_DATA, 'time2')
  add('data.time2 is "$gt"', withField('data', { ...APPOINTMENT_DATA, time2: '$gt' }), INVALID_DATA, 'time2')
  add('data.phone_number4 is not a phone number', withField('data', { ...APPOINTMENT_DATA, phone_number4: 'call me' }), INVALID_DATA, 'phone_number4')
  add('data.character_string5 is Chinese', withField('data', { ...APPOINTMENT_DATA, character_string5: '预约编号' }), INVALID_DATA, 'character_string5')
  add('data has a keyword the template lacks', withField('data', { ...APPOINTMENT_DATA, thing9: 'x' }), INVALID_DATA, 'thing9')
  add("data is another template's", withField('data', ORDER_DATA), INVALID_DATA, [...Object.keys(APPOINTMENT_DATA), ...Object.keys(ORDER_DATA)])

  if (as === 'user') {
    // A mini-program user may send only to itself, and only a self-service template.
    add('touser is another user', withField('touser', OTHER.openid), FORBIDDEN)
    add('touser is another user, with an idempotency key', { ...withField('touser', OTHER.openid), idempotencyKey: 'k-forbidden' }, FORBIDDEN)
    add('a template that is not self-service', { touser: USER.openid, templateId: ORDER, data: ORDER_DATA }, FORBIDDEN)
    add('a long-term template that is not self-service', { touser: USER.openid, templateId: CLASS, data: CLASS_DATA }, FORBIDDEN)
    add('another user and a template that is not self-service', { touser: OTHER.openid, templateId: ORDER, data: ORDER_DATA }, FORBIDDEN)
  }
  return cases
}

// subscribe-record ------------------------------------------------------------

const POPUP_OK = { errMsg: 'requestSubscribeMessage:ok', [APPOINTMENT]: 'accept' }
const RECORD_BASE = { results: POPUP_OK }
const STATUS_BASE = { action: 'status', templateIds: [APPOINTMENT] }

/** Bad events for subscribe-record, each refused with INVALID_ARGUMENT when a user sends it. */
function subscribeRecordCorpus(): Row[] {
  const rows: Row[] = []
  const add = (d: string, event: unknown) => rows.push([d, event])
  const results = (value: unknown) => ({ results: value })
  const outcome = (value: unknown) => results({ errMsg: 'requestSubscribeMessage:ok', [APPOINTMENT]: value })

  for (const [d, event] of NOT_AN_OBJECT_EVENT) add(d, event)
  add('an empty event', {})
  add('an event of 10,000 unknown keys', HUGE_OBJECT)
  add('an event nested 200 deep', DEEP)
  for (const [d, event] of unknownFields(RECORD_BASE)) add(d, event)

  // results: the object wx.requestSubscribeMessage resolved with.
  for (const [d, value] of NOT_AN_OBJECT) add(`results is ${d}`, results(value))
  add('results is the JSON text of a popup', results(JSON.stringify(POPUP_OK)))
  add('results is an array of template ids', results([APPOINTMENT]))
  add('results is an empty object', results({}))
  add('results holds only errMsg', results({ errMsg: 'requestSubscribeMessage:ok' }))
  add('results has 10,000 keys', results(manyKeys(10_000, 'accept')))
  add('results is nested 200 deep', results(nested(200, 'accept', APPOINTMENT)))
  add('results names an unknown template', results({ [UNKNOWN_TEMPLATE]: 'accept' }))
  add('results names a known and an unknown template', results({ [APPOINTMENT]: 'accept', [UNKNOWN_TEMPLATE]: 'accept' }))
  add('results names 6 templates', results({ ...POPUP_OK, ...manyKeys(5, 'accept', 'zZ9unknownTemplate') }))
  add('results names all 5 templates and one more', results({
    [APPOINTMENT]: 'accept',
    [ORDER]: 'accept',
    Zx4cV8bN1mQ6wE3rT9yU2iO7pA5sD0fG4hJ8kL1zX6c: 'accept',
    Pm2nB6vC0xZ4lK8jH3gF7dS1aQ5wE9rT2yU6iO0pL4m: 'accept',
    [CLASS]: 'accept',
    [UNKNOWN_TEMPLATE]: 'accept',
  }))
  add('results has a $set key', results({ ...POPUP_OK, $set: { available: 99 } }))
  add('results has a $where key', results({ ...POPUP_OK, $where: '1' }))
  add('results is { $gt: "" }', results({ $gt: '' }))
  add('results is { $ne: null }', results({ $ne: null }))
  add('results has a __proto__ key', results({ ...POPUP_OK, ...JSON.parse('{"__proto__":"accept"}') }))
  add('results has a constructor key', results({ ...POPUP_OK, constructor: 'accept' }))
  add('results has an empty key', results({ ...POPUP_OK, '': 'accept' }))
  add('results has a 100 KB key', results({ ...POPUP_OK, [KB100]: 'accept' }))

  // A template's outcome: one of accept, acceptWithAudio, acceptWithAlert, reject, ban, filter.
  for (const [d, value] of [...NOT_A_STRING, ...EMPTY_AND_HUGE]) add(`a template's outcome is ${d}`, outcome(value))
  add(`a template's outcome is "ACCEPT"`, outcome('ACCEPT'))
  add(`a template's outcome is "accepted"`, outcome('accepted'))
  add(`a template's outcome is "$set"`, outcome('$set'))
  add(`a template's outcome is "__proto__"`, outcome('__proto__'))

  // errMsg: the popup's string "requestSubscribeMessage:ok".
  for (const [d, value] of [
    ['a number', 42],
    ['null', null],
    ['{ $gt: "" }', { $gt: '' }],
    ['an array', ['requestSubscribeMessage:ok']],
    ['an object nested 200 deep', DEEP],
    ['an object of 10,000 keys', HUGE_OBJECT],
  ] as Row[]) {
    add(`results.errMsg is ${d}`, results({ ...POPUP_OK, errMsg: value }))
  }

  // requestId: an optional key of 1 to 128 letters, digits, _ . : -
  for (const [d, value] of [...NOT_A_STRING, ...EMPTY_AND_HUGE, ...OPERATOR_STRINGS]) add(`requestId is ${d}`, { ...RECORD_BASE, requestId: value })
  add('requestId has a space', { ...RECORD_BASE, requestId: 'a b' })

  // action: "status" or left out.
  for (const [d, value] of [...NOT_A_STRING, ...EMPTY_AND_HUGE]) add(`action is ${d}`, { ...RECORD_BASE, action: value })
  add('action is "STATUS"', { action: 'STATUS' })
  add('action is "record"', { ...RECORD_BASE, action: 'record' })
  add('action is ["status"]', { action: ['status'] })
  add('action is { $ne: null }, with nothing else', { action: { $ne: null } })

  // status: templateIds, an optional array of 1 to 50 known template ids.
  for (const [d, value] of [...NOT_A_STRING, ...EMPTY_AND_HUGE]) {
    if (Array.isArray(value) && value.length === 0) continue // covered below
    add(`status: templateIds is ${d}`, { action: 'status', templateIds: value })
  }
  add('status: templateIds is one id as a string', { action: 'status', templateIds: APPOINTMENT })
  add('status: templateIds is empty', { action: 'status', templateIds: [] })
  add('status: templateIds holds a number', { action: 'status', templateIds: [42] })
  add('status: templateIds holds null', { action: 'status', templateIds: [null] })
  add('status: templateIds holds { $gt: "" }', { action: 'status', templateIds: [{ $gt: '' }] })
  add('status: templateIds holds { $ne: null }', { action: 'status', templateIds: [APPOINTMENT, { $ne: null }] })
  add('status: templateIds holds an array', { action: 'status', templateIds: [[APPOINTMENT]] })
  add('status: templateIds holds an empty string', { action: 'status', templateIds: [''] })
  add('status: templateIds holds a 100 KB string', { action: 'status', templateIds: [KB100] })
  add('status: templateIds holds "$where"', { action: 'status', templateIds: ['$where'] })
  add('status: templateIds holds "__proto__"', { action: 'status', templateIds: ['__proto__'] })
  add('status: templateIds holds "constructor"', { action: 'status', templateIds: ['constructor'] })
  add('status: templateIds holds an unknown template', { action: 'status', templateIds: [APPOINTMENT, UNKNOWN_TEMPLATE] })
  add('status: templateIds holds 10,000 ids', { action: 'status', templateIds: Array.from({ length: 10_000 }, () => APPOINTMENT) })
  add('status: templateIds nested 200 deep', { action: 'status', templateIds: DEEP_ARRAY })
  add('status with results', { ...STATUS_BASE, results: POPUP_OK })
  add('status with a requestId', { ...STATUS_BASE, requestId: 'r1' })
  for (const [d, event] of unknownFields(STATUS_BASE)) add(`status with ${d}`, event)
  add('templateIds without action "status"', { ...RECORD_BASE, templateIds: [APPOINTMENT] })
  return rows
}

// login -----------------------------------------------------------------------

/** Events for login, which takes no fields: each ignored, so a server call is FORBIDDEN whatever it carries. */
const LOGIN_EVENTS: Row[] = [
  ...NOT_AN_OBJECT_EVENT,
  ['an empty event', {}],
  ['an event of 10,000 keys', HUGE_OBJECT],
  ['an event nested 200 deep', DEEP],
  ['an event claiming an openid', { openid: USER.openid, unionid: 'uForged' }],
  ['an event claiming a userInfo', { userInfo: { appId: 'wx8e4f0c1d2a3b5c67', openId: USER.openid } }],
  ['an event with OPENID', { OPENID: USER.openid, SOURCE: 'wx_client' }],
  ['an event with { $gt: "" }', { openid: { $gt: '' } }],
  ['an event with { $ne: null }', { _id: { $ne: null } }],
  ['an event with { $where: "1" }', { $where: '1' }],
  ['an event with a $set key', { $set: { logins: 1000 } }],
  ['an event with a __proto__ key', PROTO],
  ['an event with a constructor key', CONSTRUCTOR],
  ['an event with a 100 KB string', { note: KB100 }],
]

// send's other actions, and the message-push receiver -------------------------

const BROADCAST_BASE = { action: 'broadcast', templateId: ORDER, data: ORDER_DATA }
const MESSAGE_ID_VALUES: Row[] = [...NOT_A_STRING, ...EMPTY_AND_HUGE, ...OPERATOR_STRINGS, ['a space', 'msg a'], ['a slash', 'msg/../x']]

/** cancel, get, resend, broadcast, campaign, templates, pause and dispatch, each one field away from valid. */
function actionCases(as: 'user' | 'server'): Case[] {
  const cases: Case[] = []
  const add = (d: string, event: unknown, code: Code, field?: string) => cases.push(row('send', as, d, event, code, field))
  for (const action of as === 'server' ? ['cancel', 'get', 'resend'] : ['cancel', 'get']) {
    for (const [d, value] of MESSAGE_ID_VALUES) add(`${action}: messageId is ${d}`, { action, messageId: value }, INVALID_ARGUMENT)
    add(`${action}: no messageId`, { action }, INVALID_ARGUMENT)
    add(`${action}: an unknown field "openid"`, { action, messageId: 'msg_x', openid: OTHER.openid }, INVALID_ARGUMENT)
  }
  if (as === 'user') {
    // Server-side actions: refused for a user whatever they carry.
    add('broadcast, valid', BROADCAST_BASE, FORBIDDEN)
    add('campaign, valid', { action: 'campaign', campaignId: 'cmp_x' }, FORBIDDEN)
    add('templates', { action: 'templates' }, FORBIDDEN)
    add('resend, valid', { action: 'resend', messageId: 'msg_x' }, FORBIDDEN)
    add('pause', { action: 'pause' }, FORBIDDEN)
    add('pause, clear', { action: 'pause', clear: true }, FORBIDDEN)
    add('dispatch, valid', { action: 'dispatch', shard: 0, deadline: Date.now(), until: Date.now() }, FORBIDDEN)
    add('a timer event', { Type: 'timer', TriggerName: 'dispatch', Time: new Date().toISOString() }, INVALID_ARGUMENT)
    return cases
  }
  for (const [d, value] of [...NOT_A_STRING, ...EMPTY_AND_HUGE]) add(`broadcast: templateId is ${d}`, { ...BROADCAST_BASE, templateId: value }, INVALID_ARGUMENT)
  add('broadcast: an unknown template', { ...BROADCAST_BASE, templateId: UNKNOWN_TEMPLATE }, INVALID_DATA)
  add('broadcast: data is not an object', { ...BROADCAST_BASE, data: 'x' }, INVALID_ARGUMENT)
  add('broadcast: data misses a keyword', { ...BROADCAST_BASE, data: { ...ORDER_DATA, phrase5: undefined } }, INVALID_DATA)
  add('broadcast: a thing over 20 characters', { ...BROADCAST_BASE, data: { ...ORDER_DATA, thing2: '这是一段超过二十个字符的商品名称需要被拒绝的' } }, INVALID_DATA)
  add('broadcast: a page not in app.json', { ...BROADCAST_BASE, page: 'pages/nowhere/nowhere' }, INVALID_DATA)
  add('broadcast: an unknown field "touser"', { ...BROADCAST_BASE, touser: USER.openid }, INVALID_ARGUMENT)
  add('broadcast: lang is "fr_FR"', { ...BROADCAST_BASE, lang: 'fr_FR' }, INVALID_ARGUMENT)
  for (const [d, value] of [...NOT_A_STRING, ...EMPTY_AND_HUGE, ...OPERATOR_STRINGS, ['a space', 'key with space']] as Row[]) {
    add(`broadcast: idempotencyKey is ${d}`, { ...BROADCAST_BASE, idempotencyKey: value }, INVALID_ARGUMENT, 'idempotencyKey')
  }
  for (const [d, value] of MESSAGE_ID_VALUES) add(`campaign: campaignId is ${d}`, { action: 'campaign', campaignId: value }, INVALID_ARGUMENT)
  add('campaign: an unknown field', { action: 'campaign', campaignId: 'cmp_x', extra: 1 }, INVALID_ARGUMENT)
  // cancel is true or absent; anything else, even of a campaign that does not exist, is refused for what it is.
  for (const [d, value] of [...NOT_A_STRING.filter(([, v]) => v !== true), ['the string "true"', 'true']] as Row[]) {
    add(`campaign: cancel is ${d}`, { action: 'campaign', campaignId: 'cmp_x', cancel: value }, INVALID_ARGUMENT, 'cancel')
  }
  add('templates: an unknown field', { action: 'templates', templateId: ORDER }, INVALID_ARGUMENT)
  // clear is true or absent, as a campaign's cancel is.
  for (const [d, value] of [...NOT_A_STRING.filter(([, v]) => v !== true), ['the string "true"', 'true']] as Row[]) {
    add(`pause: clear is ${d}`, { action: 'pause', clear: value }, INVALID_ARGUMENT, 'clear')
  }
  add('pause: an unknown field "until"', { action: 'pause', until: new Date().toISOString() }, INVALID_ARGUMENT)
  // Shards are the whole numbers 0 to 7 (0 is the one valid value of NOT_A_STRING).
  for (const [d, value] of [...NOT_A_STRING.filter(([, v]) => v !== 0), ['-1', -1], ['8', 8], ['1.5', 1.5], ['NaN text', 'NaN']] as Row[]) {
    add(`dispatch: shard is ${d}`, { action: 'dispatch', shard: value, deadline: Date.now(), until: Date.now() }, INVALID_ARGUMENT)
  }
  add('dispatch: no deadline', { action: 'dispatch', shard: 0, until: Date.now() }, INVALID_ARGUMENT)
  add('dispatch: until is text', { action: 'dispatch', shard: 0, deadline: Date.now(), until: 'later' }, INVALID_ARGUMENT)
  add('dispatch: an unknown field "clockAhead"', { action: 'dispatch', shard: 0, deadline: Date.now(), until: Date.now(), clockAhead: 604_800_000 }, INVALID_ARGUMENT)
  return cases
}

/** A card's reject about USER, as WeChat would push it. */
const CHANGE_EVENT = {
  ToUserName: 'gh_0123456789ab',
  FromUserName: USER.openid,
  CreateTime: 1_764_000_000,
  MsgType: 'event',
  Event: 'subscribe_msg_change_event',
  List: { TemplateId: APPOINTMENT, SubscribeStatusString: 'reject' },
}

function eventCases(): Case[] {
  const cases: Case[] = []
  // Only WeChat's push about the user it names may change anything.
  for (const as of ['user', 'server'] as const) cases.push(row('wechat-events', as, 'a valid card reject', CHANGE_EVENT, FORBIDDEN))
  cases.push(row('wechat-events', 'push', 'a card reject about another user than the push', { ...CHANGE_EVENT, FromUserName: OTHER.openid }, FORBIDDEN))
  const add = (d: string, event: unknown) => cases.push(row('wechat-events', 'push', d, event, INVALID_ARGUMENT))
  for (const [d, event] of NOT_AN_OBJECT_EVENT) add(d, event)
  add('an empty event', {})
  add('MsgType "text"', { ...CHANGE_EVENT, MsgType: 'text' })
  add('an unknown Event', { ...CHANGE_EVENT, Event: 'subscribe_msg_delete_event' })
  add('Event is { $ne: null }', { ...CHANGE_EVENT, Event: { $ne: null } })
  for (const [d, value] of [...NOT_A_STRING, ...EMPTY_AND_HUGE, ...OPERATOR_STRINGS]) add(`FromUserName is ${d}`, { ...CHANGE_EVENT, FromUserName: value })
  return cases
}

/**
 * Shaped as WeChat's message push (the user's OPENID, no client's SOURCE):
 * only the receiver takes a push, so everywhere else it is refused, valid or not.
 */
function pushCases(): Case[] {
  const now = Date.now()
  return [
    row('send', 'push', 'a valid send to another user', { ...SEND_BASE, touser: OTHER.openid }, FORBIDDEN),
    row('send', 'push', 'a valid send to its own user', SEND_BASE, FORBIDDEN),
    row('send', 'push', 'a valid send of a template that is not self-service', { touser: OTHER.openid, templateId: ORDER, data: ORDER_DATA }, FORBIDDEN),
    row('send', 'push', 'a valid broadcast', BROADCAST_BASE, FORBIDDEN),
    row('send', 'push', 'a timer event', { Type: 'timer', TriggerName: 'dispatch', Time: new Date(now).toISOString() }, FORBIDDEN),
    row('send', 'push', 'a resend', { action: 'resend', messageId: 'msg_x' }, FORBIDDEN),
    row('send', 'push', 'a pause clear', { action: 'pause', clear: true }, FORBIDDEN),
    row('send', 'push', 'a valid dispatch', { action: 'dispatch', shard: 0, deadline: now + 20_000, until: now + 25_000 }, FORBIDDEN),
    row('send', 'push', 'an empty event', {}, FORBIDDEN),
    row('login', 'push', 'an empty event', {}, FORBIDDEN),
    row('subscribe-record', 'push', 'a valid popup report', RECORD_BASE, FORBIDDEN),
    row('subscribe-record', 'push', 'a valid status request', STATUS_BASE, FORBIDDEN),
  ]
}

const CASES: Case[] = [
  ...LOGIN_EVENTS.map(([d, event]) => row('login', 'server', d, event, FORBIDDEN)),
  ...subscribeRecordCorpus().map(([d, event]) => row('subscribe-record', 'user', d, event, INVALID_ARGUMENT)),
  // A server has no user whose subscriptions these could be: FORBIDDEN, valid or not.
  row('subscribe-record', 'server', 'a valid popup report', RECORD_BASE, FORBIDDEN),
  row('subscribe-record', 'server', 'a valid status request', STATUS_BASE, FORBIDDEN),
  row('subscribe-record', 'server', 'a popup report naming a user', { ...RECORD_BASE, openid: USER.openid }, FORBIDDEN),
  row('subscribe-record', 'server', 'a popup report with a forged userInfo', { ...RECORD_BASE, userInfo: { openId: USER.openid } }, FORBIDDEN),
  ...subscribeRecordCorpus().map(([d, event]) => row('subscribe-record', 'server', d, event, FORBIDDEN)),
  ...sendCases('user'),
  ...sendCases('server'),
  ...actionCases('user'),
  ...actionCases('server'),
  ...eventCases(),
  ...pushCases(),
]

// ---------------------------------------------------------------------------
// The run.

const COLLECTIONS = ['users', 'grants', 'grant_reports', 'messages', 'campaigns', 'dispatch_state'] as const

interface Snapshot {
  counts: Record<string, number>
  contents: Record<string, unknown[]>
}

let emulator: RunningEmulator
let baseline: Snapshot

async function snapshot(): Promise<Snapshot> {
  const [delivered, ...collections] = await Promise.all([
    emulator.request('GET', '/_emulator/wechat/messages'),
    ...COLLECTIONS.map((name) => emulator.request('GET', `/_emulator/db/${name}?limit=1000`)),
  ])
  const contents: Record<string, unknown[]> = {}
  for (const [i, name] of COLLECTIONS.entries()) {
    if (collections[i]!.status !== 200) throw new Error(`GET /_emulator/db/${name}: ${collections[i]!.status}`)
    contents[name] = collections[i]!.body.data
  }
  if (delivered.status !== 200) throw new Error(`GET /_emulator/wechat/messages: ${delivered.status}`)
  contents['wechat messages'] = delivered.body.data
  return { counts: Object.fromEntries(Object.entries(contents).map(([name, docs]) => [name, docs.length])), contents }
}

async function popup(user: User, choices: Record<string, 'accept'>) {
  const answered = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid: user.openid, choices })
  expect(answered.status, JSON.stringify(answered.body)).toBe(200)
  const recorded = await emulator.result('subscribe-record', { results: answered.body, requestId: `seed-${user.openid}-${Object.keys(choices).length}` }, user)
  expect(recorded.ok, JSON.stringify(recorded)).toBe(true)
}

beforeAll(async () => {
  emulator = await spawnEmulator()
  // Real users with real grants, in the ledger and at WeChat: a refusal that
  // failed open would reach a write or a delivery.
  for (const user of [USER, OTHER]) {
    expect((await emulator.result('login', {}, user)).ok).toBe(true)
    await popup(user, { [APPOINTMENT]: 'accept', [ORDER]: 'accept' })
  }
  await popup(USER, { [CLASS]: 'accept' })
  baseline = await snapshot()
  expect(baseline.counts).toMatchObject({ users: 2, grants: 5, grant_reports: 3, messages: 0, 'wechat messages': 0 })
})
afterAll(() => emulator?.stop())

const preview = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 600 ? `${text.slice(0, 600)}…` : text
}

describe('bad input: a reply with the contract code, and nothing written', () => {
  let last: Snapshot
  beforeAll(() => {
    last = baseline
  })

  it('names every case once', () => {
    const names = CASES.map((c) => c.name)
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([])
  })

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const reply = await emulator.call(c.fn, c.event, c.as === 'server' ? undefined : USER, c.as === 'push' ? { source: 'wx_unknown' } : {})
    const after = await snapshot()
    const before = last
    last = after

    // Soft: a failing case reports its reply and what it wrote, together.
    expect.soft(reply.status, `the function crashed: ${preview(reply.body)}`).toBe(200)
    const result = ((reply.body as { result?: Record<string, unknown> } | undefined)?.result ?? {}) as Record<string, unknown>
    const observed = `observed reply: ${preview(result)}`
    expect.soft(result.ok, observed).toBe(false)
    expect.soft(result.code, observed).toBe(c.code)
    expect.soft(typeof result.message === 'string' && result.message.length > 0, `message must be a non-empty string; ${observed}`).toBe(true)
    if (c.field !== undefined) expect.soft([c.field].flat(), observed).toContain(result.field)
    expect.soft(after.counts, `collection and delivery counts; ${observed}`).toEqual(before.counts)
    expect.soft(after.contents, `documents and deliveries; ${observed}`).toEqual(before.contents)
  })

  it('left every collection and WeChat as they were before the corpus', async () => {
    const after = await snapshot()
    expect(after.counts).toEqual(baseline.counts)
    expect(after.contents).toEqual(baseline.contents)
  })
})

describe('login as a mini-program user, which takes no fields', () => {
  // login reads nothing from its event (test/login.test.ts: an identity claimed
  // in the data is ignored), so odd events are not refused: the call answers
  // the caller's own identity, does not crash, and writes only the caller's
  // users document.
  const events = LOGIN_EVENTS.map(([description, event]) => [`login as user: ${description} → the caller, nothing else`, event] as const)

  it.each(events)('%s', async (_name, event) => {
    const before = await snapshot()
    const reply = await emulator.call('login', event, LOGIN_PROBE)
    expect(reply.status, `the function crashed: ${preview(reply.body)}`).toBe(200)
    expect(reply.body.result).toEqual({ ok: true, openid: LOGIN_PROBE.openid, appid: 'wx8e4f0c1d2a3b5c67' })
    const after = await snapshot()
    for (const name of ['grants', 'grant_reports', 'messages', 'wechat messages']) expect(after.contents[name], name).toEqual(before.contents[name])
    const others = (snap: Snapshot) => (snap.contents.users as Array<{ _id: string }>).filter((u) => u._id !== LOGIN_PROBE.openid)
    expect(others(after)).toEqual(others(before))
    const probe = (after.contents.users as Array<Record<string, unknown>>).find((u) => u._id === LOGIN_PROBE.openid)
    expect(probe).toBeDefined()
    expect(probe!.unionid).toBeUndefined()
  })
})

describe('the corpus is one field away from a real write', () => {
  it('the base send, as the user, is delivered', async () => {
    const result = await emulator.result('send', { ...SEND_BASE, page: 'pages/reminder/reminder', idempotencyKey: 'bad-input-control' }, USER)
    expect(result, preview(result)).toMatchObject({ ok: true, status: 'sent' })
    const delivered = (await emulator.request('GET', `/_emulator/wechat/messages?touser=${USER.openid}`)).body.data
    expect(delivered).toHaveLength(1)
  })

  it('the base popup report, as the user, is recorded', async () => {
    const result = await emulator.result('subscribe-record', RECORD_BASE, USER)
    expect(result).toMatchObject({ ok: true, grants: { [APPOINTMENT]: { status: 'accept' } } })
  })
})
