/**
 * The operator's commands. Each talks to the project's functions as a
 * server-side caller (no user), or reads the database directly.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Connection } from './connect'
import { UsageError } from './connect'
import { doctor } from './doctor'
import { reportRequest, reportTable, type FunnelRow } from './report'
import { refreshLines, tokenLines } from './token'
import { parseSince, unknownListing, unknownMessages } from './unknown'

export interface Io {
  out: (line: string) => void
  /** Rewrites the current line (a progress bar); a plain line where there is no terminal. */
  progress: (line: string) => void
  root: string
  sleep: (ms: number) => Promise<void>
}

type Flags = Record<string, string | true>

export function parseFlags(args: string[]): { positional: string[]; flags: Flags } {
  const positional: string[] = []
  const flags: Flags = {}
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('--')) {
      positional.push(arg)
      continue
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s)
    if (inline !== undefined) flags[name!] = inline
    else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) flags[name!] = args[++i]!
    else flags[name!] = true
  }
  return { positional, flags }
}

const need = (flags: Flags, name: string): string => {
  const value = flags[name]
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`)
  return value
}

/** `--data '{"thing1":"…"}'` or `--data @file.json`. */
function dataFlag(flags: Flags, root: string): Record<string, string> {
  const raw = need(flags, 'data')
  const text = raw.startsWith('@') ? readFileSync(join(root, raw.slice(1)), 'utf8') : raw
  try {
    const parsed = JSON.parse(text)
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object')
    return parsed
  } catch (error) {
    throw new UsageError(`--data must be a JSON object of keyword values: ${(error as Error).message}`)
  }
}

/** `--audience '{"tags":"vip"}'`: a filter on fields of users documents, checked by send itself. */
function audienceFlag(flags: Flags): Record<string, unknown> {
  const raw = need(flags, 'audience')
  try {
    const parsed = JSON.parse(raw)
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object')
    return parsed
  } catch (error) {
    throw new UsageError(`--audience must be a JSON object, a filter on fields of users documents: ${(error as Error).message}`)
  }
}

async function callSend(connection: Connection, data: Record<string, unknown>): Promise<Record<string, any>> {
  const reply = await connection.app.callFunction({ name: 'send', data })
  if (reply.code) throw new Error(`send could not be called on ${connection.target}: ${reply.code} ${reply.message}`)
  return reply.result
}

function sendRequest(flags: Flags, root: string): Record<string, unknown> {
  return {
    touser: need(flags, 'to'),
    templateId: need(flags, 'template'),
    data: dataFlag(flags, root),
    ...(typeof flags.page === 'string' ? { page: flags.page } : {}),
    ...(typeof flags.key === 'string' ? { idempotencyKey: flags.key } : {}),
    ...(typeof flags.lang === 'string' ? { lang: flags.lang } : {}),
    ...(typeof flags.state === 'string' ? { miniprogramState: flags.state } : {}),
  }
}

function report(io: Io, reply: Record<string, any>): number {
  io.out(JSON.stringify(reply, null, 2))
  return reply.ok ? 0 : 1
}

/** A command that passes one id to one of send's actions and shows the reply. */
function byId(command: string, action: string, field: 'messageId' | 'campaignId') {
  const what = field === 'messageId' ? 'message' : 'campaign'
  return {
    usage: `${command} <${field}>`,
    run: async (c: Connection, [id]: string[], io: Io) => {
      if (!id) throw new UsageError(`${command} needs a ${what} id`)
      return report(io, await callSend(c, { action, [field]: id }))
    },
  }
}

function bar(done: number, total: number, width = 30): string {
  const filled = total === 0 ? width : Math.round((done / total) * width)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`
}

export const COMMANDS: Record<string, { usage: string; run: (c: Connection, args: string[], io: Io) => Promise<number> }> = {
  send: {
    usage: 'send --to <openid> --template <id> --data <json|@file> [--page <page>] [--key <idempotencyKey>]',
    run: async (c, args, io) => report(io, await callSend(c, sendRequest(parseFlags(args).flags, io.root))),
  },
  schedule: {
    usage: 'schedule --at <ISO 8601> --to <openid> --template <id> --data <json|@file> [--page <page>] [--key <key>]',
    run: async (c, args, io) => {
      const { flags } = parseFlags(args)
      return report(io, await callSend(c, { ...sendRequest(flags, io.root), sendAt: need(flags, 'at') }))
    },
  },
  cancel: byId('cancel', 'cancel', 'messageId'),
  message: byId('message', 'get', 'messageId'),
  broadcast: {
    usage: "broadcast --template <id> --data <json|@file> [--page <page>] [--audience '<json>'] [--at <ISO 8601>] [--key <idempotencyKey>] [--no-wait]",
    run: async (c, args, io) => {
      const { flags } = parseFlags(args)
      const reply = await callSend(c, {
        action: 'broadcast',
        templateId: need(flags, 'template'),
        data: dataFlag(flags, io.root),
        ...(typeof flags.page === 'string' ? { page: flags.page } : {}),
        ...(flags.audience !== undefined ? { audience: audienceFlag(flags) } : {}),
        ...(flags.at !== undefined ? { sendAt: need(flags, 'at') } : {}),
        ...(typeof flags.key === 'string' ? { idempotencyKey: flags.key } : {}),
      })
      if (!reply.ok) return report(io, reply)
      io.out(`campaign ${reply.campaignId}`)
      // A campaign that starts later has nothing to follow yet: `campaign <id>` shows it once it has.
      if (reply.sendAt && Date.parse(reply.sendAt) > Date.now()) {
        io.out(`scheduled: queuing starts at the first tick at or after ${reply.sendAt}`)
        return 0
      }
      if (flags['no-wait']) return 0
      // The timer sends the campaign's messages; show its progress until none is left to go out.
      for (;;) {
        const status = await callSend(c, { action: 'campaign', campaignId: reply.campaignId })
        const finished = status.sent + status.failed + status.skipped + status.unknown
        io.progress(`${bar(finished, status.total)} sent ${status.sent}, failed ${status.failed}, skipped ${status.skipped}`)
        if (status.status === 'queued' && status.remaining === 0) break
        await io.sleep(1000)
      }
      io.out('')
      return report(io, await callSend(c, { action: 'campaign', campaignId: reply.campaignId }))
    },
  },
  campaign: byId('campaign', 'campaign', 'campaignId'),
  unknown: {
    usage: 'unknown [--since <ISO 8601>]',
    run: async (c, args, io) => {
      const since = parseSince(parseFlags(args).flags.since)
      for (const line of unknownListing(await unknownMessages(c, since), since)) io.out(line)
      return 0
    },
  },
  resend: byId('resend', 'resend', 'messageId'),
  pause: {
    usage: 'pause [show | clear]',
    run: async (c, [what = 'show'], io) => {
      if (what !== 'show' && what !== 'clear') throw new UsageError(`pause takes show or clear, not ${what}`)
      const reply = await callSend(c, { action: 'pause', ...(what === 'clear' ? { clear: true } : {}) })
      if (!reply.ok) return report(io, reply)
      if (what === 'show') io.out(reply.pausedUntil ? `paused until ${reply.pausedUntil} (WeChat's daily limit): nothing is sent before then` : 'no pause')
      else io.out(reply.lifted ? `pause lifted (was until ${reply.lifted})` : 'no pause')
      return 0
    },
  },
  report: {
    usage: 'report [--days <1 to 31>] [--template <id>] [--json]',
    run: async (c, args, io) => {
      const { positional, flags } = parseFlags(args)
      const { request, json } = reportRequest(positional, flags)
      const reply = await callSend(c, request)
      if (!reply.ok) return report(io, reply)
      const days = reply.days as FunnelRow[]
      for (const line of json ? [JSON.stringify({ days }, null, 2)] : reportTable(days)) io.out(line)
      return 0
    },
  },
  grants: {
    usage: 'grants <openid>',
    run: async (c, [openid], io) => {
      if (!openid) throw new UsageError('grants needs an openid')
      const { data, code, message } = await c.app.database().collection('grants').where({ openid }).limit(100).get()
      if (code) throw new Error(`${code} ${message}`)
      // Uncertain: units whose outcome was never known, which WeChat may still hold on top of `available`.
      for (const g of data as Array<Record<string, unknown>>) io.out(`${g.templateId}  ${g.kind}  available ${g.available}  ${g.status}  uncertain ${g.uncertain ?? 0}`)
      if (data.length === 0) io.out(`no grants for ${openid}`)
      return 0
    },
  },
  stats: {
    usage: 'stats',
    run: async (c, _args, io) => {
      const db = c.app.database()
      const $ = db.command.aggregate
      const reply = await db.collection('messages').aggregate().group({ _id: { status: '$status', templateId: '$templateId' }, count: $.sum(1) }).sort({ '_id.templateId': 1, '_id.status': 1 }).end()
      if (reply.code) throw new Error(`${reply.code} ${reply.message}`)
      const rows = reply.data as Array<{ _id: { status: string; templateId: string }; count: number }>
      io.out('template                                      status      count')
      for (const row of rows) io.out(`${row._id.templateId.padEnd(45)} ${row._id.status.padEnd(11)} ${row.count}`)
      return 0
    },
  },
  'templates sync': {
    usage: 'templates sync',
    run: async (c, _args, io) => {
      const reply = await callSend(c, { action: 'templates' })
      if (!reply.ok) return report(io, reply)
      const path = join(io.root, 'templates.json')
      const current = JSON.parse(readFileSync(path, 'utf8')) as { templates: Array<Record<string, any>> } & Record<string, unknown>
      const known = new Map(current.templates.map((t) => [t.id, t]))
      const templates = (reply.templates as Array<Record<string, any>>).map((t) => {
        const before = known.get(t.id)
        const examples = new Map((before?.keywords ?? []).map((k: Record<string, unknown>) => [k.key, k.example]))
        return {
          id: t.id,
          title: t.title,
          kind: t.kind,
          keywords: t.keywords.map((k: Record<string, unknown>) => ({ ...k, ...(examples.get(k.key) ? { example: examples.get(k.key) } : {}) })),
          options: before?.options ?? { selfService: false, truncateThing: false },
        }
      })
      writeFileSync(path, `${JSON.stringify({ ...current, templates }, null, 2)}\n`)
      io.out(`templates.json: ${templates.length} templates (${templates.filter((t) => !known.has(t.id)).length} new); options kept for known ones`)
      return 0
    },
  },
  'token status': {
    usage: 'token status',
    run: async (c, _args, io) => {
      const reply = await callSend(c, { action: 'token' })
      if (!reply.ok) return report(io, reply)
      for (const line of tokenLines(reply)) io.out(line)
      return 0
    },
  },
  'token refresh': {
    usage: 'token refresh --force',
    run: async (c, args, io) => {
      // Force mode ends the token every instance uses, and WeChat allows it 20 times a day: never by accident.
      if (parseFlags(args).flags.force !== true) throw new UsageError('token refresh needs --force: it replaces the token every function uses (WeChat allows 20 a day, 30 s apart)')
      const { lines, code } = refreshLines(await callSend(c, { action: 'token', force: true }))
      for (const line of lines) io.out(line)
      return code
    },
  },
  doctor: {
    usage: 'doctor',
    run: async (c, _args, io) => {
      const started = Date.now()
      const { checks, notes } = await doctor(c.management(), io.root)
      for (const check of checks) io.out(`${check.ok ? '✓' : '✗'} ${check.line}`)
      for (const note of notes) io.out(`· ${note}`)
      const failed = checks.filter((check) => !check.ok).length
      io.out(`doctor: ${checks.length - failed} ✓, ${failed} ✗ on ${c.target} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
      return failed === 0 ? 0 : 1
    },
  },
}
