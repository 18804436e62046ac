/**
 * The commands that look after the environment: the daily-limit pause, the
 * template registry, the shared access token, and the doctor's checks.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { jsonOption, type CommandSpec } from './cli'
import { UsageError } from './connect'
import { doctor } from './doctor'
import { callSend, printJson, printReply } from './replies'
import { refreshLines, tokenLines } from './token'

export const UPKEEP: Record<string, CommandSpec> = {
  pause: {
    summary: "WeChat's daily-limit pause: show says whether sends wait for it, clear lifts it",
    args: { synopsis: '[show | clear]', max: 1, description: 'show (the default) prints until when sends are paused; clear lifts the pause now.' },
    options: { json: jsonOption("send's reply") },
    examples: ['npm run admin -- pause', 'npm run admin -- pause clear'],
    prepare: ({ positionals: [what = 'show'], values }, io) => {
      if (what !== 'show' && what !== 'clear') throw new UsageError(`pause takes show or clear, not ${what}`)
      return async (c) => {
        const reply = await callSend(c, { action: 'pause', ...(what === 'clear' ? { clear: true } : {}) })
        if (!reply.ok || values.json) return printReply(io, reply)
        if (what === 'show') io.out(reply.pausedUntil ? `paused until ${reply.pausedUntil} (WeChat's daily limit): nothing is sent before then` : 'no pause')
        else io.out(reply.lifted ? `pause lifted (was until ${reply.lifted})` : 'no pause')
        return 0
      }
    },
  },
  'templates sync': {
    summary: "the account's templates into templates.json, keeping the options of known ones",
    options: {},
    examples: ['npm run admin -- templates sync'],
    prepare: (_input, io) => async (c) => {
      const reply = await callSend(c, { action: 'templates' })
      if (!reply.ok) return printReply(io, reply)
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
    summary: 'the shared access token (HTTPS transport): its digest, never itself, its times and the fetches today',
    options: { json: jsonOption("send's reply") },
    examples: ['npm run admin -- token status', 'npm run admin -- token status --json'],
    prepare: ({ values }, io) => async (c) => {
      const reply = await callSend(c, { action: 'token' })
      if (!reply.ok || values.json) return printReply(io, reply)
      for (const line of tokenLines(reply)) io.out(line)
      return 0
    },
  },
  'token refresh': {
    summary: 'a new access token in force mode, for one that leaked (WeChat allows 20 a day, 30 s apart)',
    options: {
      // Force mode ends the token every instance uses, and WeChat allows it 20 times a day: never by accident.
      force: {
        type: 'boolean',
        required: 'token refresh needs --force: it replaces the token every function uses (WeChat allows 20 a day, 30 s apart)',
        description: 'say that the token every function uses is to be replaced now.',
      },
    },
    examples: ['npm run admin -- token refresh --force'],
    prepare: (_input, io) => async (c) => {
      const { lines, code } = refreshLines(await callSend(c, { action: 'token', force: true }))
      for (const line of lines) io.out(line)
      return code
    },
  },
  doctor: {
    summary: 'the environment checked against what the project needs, one line per check, ✓ or ✗ with what to do',
    options: { json: jsonOption('{ target, ok, checks, notes }') },
    examples: ['npm run admin -- doctor', 'npm run admin -- --emulator http://127.0.0.1:8900 doctor --json'],
    prepare: ({ values }, io) => async (c) => {
      const started = Date.now()
      const { checks, notes } = await doctor(c.management(), io.root)
      const failed = checks.filter((check) => !check.ok).length
      if (values.json) printJson(io, { target: c.target, ok: failed === 0, checks, notes })
      else {
        for (const check of checks) io.out(`${check.ok ? '✓' : '✗'} ${check.line}`)
        for (const note of notes) io.out(`· ${note}`)
        io.out(`doctor: ${checks.length - failed} ✓, ${failed} ✗ on ${c.target} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
      }
      return failed === 0 ? 0 : 1
    },
  },
}
