/**
 * The commands that only read: a message, a campaign, the unknown messages,
 * a user's grants, the message counts and the funnel. Each prints its table
 * as before, or with --json one JSON document of the same figures.
 */
import { jsonOption, text, type CommandSpec } from './cli'
import { UsageError } from './connect'
import { byId, callSend, checked, printJson, printReply } from './replies'
import { reportRequest, reportTable, type FunnelRow } from './report'
import { parseSince, unknownListing, unknownMessages } from './unknown'

interface GrantRow {
  templateId: string
  kind: string
  available: number
  status: string
  uncertain: number
}

interface CountRow {
  templateId: string
  status: string
  count: number
}

export const READING: Record<string, CommandSpec> = {
  message: byId('message', 'get', 'messageId', 'a message as send holds it: status, times, the reply WeChat gave', { json: jsonOption("send's reply (as without --json)") }),
  campaign: byId('campaign', 'campaign', 'campaignId', 'a campaign: its status and how many of its messages are sent, failed, skipped or left', {
    json: jsonOption("send's reply (as without --json)"),
  }),
  unknown: {
    summary: 'the messages whose outcome was never known, newest first (at most 1000)',
    options: {
      since: { type: 'string', value: '<ISO 8601>', description: 'only those that became unknown at or after this time, with its offset, such as 2026-12-01T09:00:00+08:00.' },
      json: jsonOption('{ since, total, messages }'),
    },
    examples: ['npm run admin -- unknown', 'npm run admin -- unknown --since 2026-12-01T00:00:00+08:00 --json'],
    prepare: (input, io) => {
      const since = parseSince(text(input, 'since'))
      return async (c) => {
        const found = await unknownMessages(c, since)
        if (input.values.json) return printJson(io, { since: since ?? null, total: found.total, messages: found.rows })
        for (const line of unknownListing(found, since)) io.out(line)
        return 0
      }
    },
  },
  grants: {
    summary: "a user's grants from the ledger: template, kind, units available, status, uncertain units",
    args: { synopsis: '<openid>', max: 1, description: 'the openid of the user.' },
    options: { json: jsonOption('{ openid, grants }') },
    examples: ['npm run admin -- grants oUser123', 'npm run admin -- grants oUser123 --json'],
    prepare: ({ positionals: [openid], values }, io) => {
      if (!openid) throw new UsageError('grants needs an openid')
      return async (c) => {
        const { data } = checked(await c.app.database().collection('grants').where({ openid }).limit(100).get())
        // Uncertain: units whose outcome was never known, which WeChat may still hold on top of `available`.
        const grants = (data as Array<Record<string, unknown>>).map((g) => ({ ...g, uncertain: g.uncertain ?? 0 }) as GrantRow)
        if (values.json) return printJson(io, { openid, grants })
        for (const g of grants) io.out(`${g.templateId}  ${g.kind}  available ${g.available}  ${g.status}  uncertain ${g.uncertain}`)
        if (grants.length === 0) io.out(`no grants for ${openid}`)
        return 0
      }
    },
  },
  stats: {
    summary: 'messages counted by template and status',
    options: { json: jsonOption('{ counts: [{ templateId, status, count }] }') },
    examples: ['npm run admin -- stats', 'npm run admin -- stats --json'],
    prepare: ({ values }, io) => async (c) => {
      const db = c.app.database()
      const $ = db.command.aggregate
      const reply = checked(await db.collection('messages').aggregate().group({ _id: { status: '$status', templateId: '$templateId' }, count: $.sum(1) }).sort({ '_id.templateId': 1, '_id.status': 1 }).end())
      const counts: CountRow[] = (reply.data as Array<{ _id: { status: string; templateId: string }; count: number }>).map(({ _id, count }) => ({ ..._id, count }))
      if (values.json) return printJson(io, { counts })
      io.out('template                                      status      count')
      for (const row of counts) io.out(`${row.templateId.padEnd(45)} ${row.status.padEnd(11)} ${row.count}`)
      return 0
    },
  },
  report: {
    summary: 'the funnel per day (UTC+8) and template: asked, accepted, sent, delivered and what was lost',
    options: {
      days: { type: 'string', value: '<1 to 31>', description: 'how many days, today the last (default 7).' },
      template: { type: 'string', short: 't', value: '<id>', description: 'only this template.' },
      json: jsonOption('{ days: [rows] }'),
    },
    examples: ['npm run admin -- report', 'npm run admin -- report --days 1 --template Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w --json'],
    prepare: (input, io) => {
      const request = reportRequest(input)
      return async (c) => {
        const reply = await callSend(c, request)
        if (!reply.ok) return printReply(io, reply)
        const days = reply.days as FunnelRow[]
        if (input.values.json) return printJson(io, { days })
        for (const line of reportTable(days)) io.out(line)
        return 0
      }
    },
  },
}
