/**
 * The commands that send or undo: send, schedule, cancel, broadcast and
 * resend, each through send's own actions as a server-side caller.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { text, type CommandSpec, type Input, type OptionSpec } from './cli'
import { UsageError } from './connect'
import { byId, callSend, printReply } from './replies'

const TEMPLATE: OptionSpec = { type: 'string', short: 't', value: '<id>', required: true, description: 'the template, by its id in templates.json.' }
const DATA: OptionSpec = {
  type: 'string',
  short: 'd',
  value: '<json|@file>',
  required: true,
  description: `the keyword values, a JSON object such as '{"thing1":"…"}', or @ and a file of one (relative to the project).`,
}
const PAGE: OptionSpec = { type: 'string', value: '<page>', description: 'the mini-program page the card opens, such as pages/index/index (with a query string if it takes one).' }
const KEY: OptionSpec = { type: 'string', value: '<idempotencyKey>', description: 'an idempotency key: asked again with it, send gives the first reply and sends nothing more.' }
const AT: OptionSpec = { type: 'string', value: '<ISO 8601>', description: 'when to send, a time with its offset such as 2026-12-01T09:00:00+08:00.' }
const MESSAGE_OPTIONS: Record<string, OptionSpec> = {
  to: { type: 'string', value: '<openid>', required: true, description: 'the openid of the user the message goes to.' },
  template: TEMPLATE,
  data: DATA,
  page: PAGE,
  key: KEY,
  lang: { type: 'string', value: '<lang>', description: 'the language of the card\'s "进入小程序查看": zh_CN (the default), en_US, zh_HK or zh_TW.' },
  state: { type: 'string', value: '<state>', description: "the version of the mini-program the card opens: formal, trial or developer; left out, the environment's default (settings.json: cards)." },
}
const EXAMPLE_DATA = `'{"character_string1":"SO20261127001","thing2":"保温杯 500ml","amount3":"¥128.00","name4":"张三","phrase5":"已发货"}'`

/** A JSON object given as the option's value, or as @file; anything else is a usage error. */
function jsonObject(raw: string, root: string, option: string, shape: string): Record<string, unknown> {
  let source = raw
  if (raw.startsWith('@')) {
    try {
      source = readFileSync(join(root, raw.slice(1)), 'utf8')
    } catch (error) {
      throw new UsageError(`${option} cannot read ${raw.slice(1)}: ${(error as Error).message}`)
    }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(source)
  } catch (error) {
    throw new UsageError(`${option} must be ${shape}: ${(error as Error).message}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`${option} must be ${shape}: not an object`)
  return parsed as Record<string, unknown>
}

/** The fields send takes from the options that name them, left out when the option is. */
function optional(input: Input, fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).flatMap(([option, field]) => {
    const value = text(input, option)
    return value === undefined ? [] : [[field, value]]
  }))
}

function messageRequest(input: Input, root: string): Record<string, unknown> {
  return {
    touser: text(input, 'to'),
    templateId: text(input, 'template'),
    data: jsonObject(text(input, 'data')!, root, '--data', 'a JSON object of keyword values'),
    ...optional(input, { page: 'page', key: 'idempotencyKey', lang: 'lang', state: 'miniprogramState' }),
  }
}

function bar(done: number, total: number, width = 30): string {
  const filled = total === 0 ? width : Math.round((done / total) * width)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`
}

export const SENDING: Record<string, CommandSpec> = {
  send: {
    summary: "one message to one user, now; prints send's reply",
    options: MESSAGE_OPTIONS,
    examples: [
      `npm run admin -- send --to oUser123 --template Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w --data ${EXAMPLE_DATA}`,
      'npm run admin -- send --to oUser123 -t Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w -d @shipped.json --page pages/index/index --key order-SO20261127001',
    ],
    prepare: (input, io) => {
      const request = messageRequest(input, io.root)
      return async (c) => printReply(io, await callSend(c, request))
    },
  },
  schedule: {
    summary: 'one message to one user, sent by the timer at a later time',
    options: { at: { ...AT, required: true }, ...MESSAGE_OPTIONS },
    examples: [`npm run admin -- schedule --at 2026-12-01T09:00:00+08:00 --to oUser123 --template Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w --data @shipped.json`],
    prepare: (input, io) => {
      const request = { ...messageRequest(input, io.root), sendAt: text(input, 'at') }
      return async (c) => printReply(io, await callSend(c, request))
    },
  },
  cancel: byId('cancel', 'cancel', 'messageId', 'a scheduled message cancelled before it goes out'),
  broadcast: {
    summary: 'one template to every holder of its grant, or an audience; follows the campaign with a progress bar',
    options: {
      template: TEMPLATE,
      data: DATA,
      page: PAGE,
      audience: { type: 'string', value: "'<json>'", description: `only the holders whose users document matches this filter, a JSON object such as '{"tags":"vip"}'.` },
      at: { ...AT, description: 'start the campaign at this time (ISO 8601 with its offset) and return without waiting.' },
      key: { ...KEY, description: "the broadcast's idempotency key: asked again with it, the same campaign." },
      'no-wait': { type: 'boolean', description: 'print the campaign id and return; campaign <campaignId> follows it.' },
    },
    examples: [
      `npm run admin -- broadcast --template Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w --data ${EXAMPLE_DATA}`,
      `npm run admin -- broadcast -t Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w -d @shipped.json --audience '{"tags":"vip"}' --at 2026-12-01T09:00:00+08:00`,
    ],
    prepare: (input, io) => {
      const audience = text(input, 'audience')
      const request = {
        action: 'broadcast',
        templateId: text(input, 'template'),
        data: jsonObject(text(input, 'data')!, io.root, '--data', 'a JSON object of keyword values'),
        ...(audience === undefined ? {} : { audience: jsonObject(audience, io.root, '--audience', 'a JSON object, a filter on fields of users documents') }),
        ...optional(input, { page: 'page', at: 'sendAt', key: 'idempotencyKey' }),
      }
      return async (c) => {
        const reply = await callSend(c, request)
        if (!reply.ok) return printReply(io, reply)
        io.out(`campaign ${reply.campaignId}`)
        // A campaign that starts later has nothing to follow yet: `campaign <id>` shows it once it has.
        if (reply.sendAt && Date.parse(reply.sendAt) > Date.now()) {
          io.out(`scheduled: queuing starts at the first tick at or after ${reply.sendAt}`)
          return 0
        }
        if (input.values['no-wait']) return 0
        // The timer sends the campaign's messages; show its progress until none is left to go out.
        for (;;) {
          const status = await callSend(c, { action: 'campaign', campaignId: reply.campaignId })
          const finished = status.sent + status.failed + status.skipped + status.unknown
          io.progress(`${bar(finished, status.total)} sent ${status.sent}, failed ${status.failed}, skipped ${status.skipped}`)
          if (status.status === 'queued' && status.remaining === 0) break
          await io.sleep(1000)
        }
        io.out('')
        return printReply(io, await callSend(c, { action: 'campaign', campaignId: reply.campaignId }))
      }
    },
  },
  resend: byId('resend', 'resend', 'messageId', 'an unknown message sent again, knowingly, once'),
}
