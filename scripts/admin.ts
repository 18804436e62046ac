/**
 * npm run admin -- [--emulator <url>] <command> …   (npm run admin -- --help)
 * The operator's tool: send, schedule, cancel, broadcast, resend, message,
 * campaign, unknown, grants, stats, report, pause, templates sync, token
 * status, token refresh, doctor. Without --emulator it talks to the
 * environment named by TCB_ENV_ID with TCB_SECRET_ID and TCB_SECRET_KEY.
 * Help and usage errors are answered before any connection is made.
 */
import { resolve } from 'node:path'
import { GLOBAL_OPTIONS, leadingOptions, parse, parseCommand, type Io, type Work } from './admin/cli'
import { commandAt, COMMANDS } from './admin/commands'
import { UsageError, connect, unreachable } from './admin/connect'
import { commandHelp, topUsage, usageMarkdown } from './admin/help'

export const usage = topUsage

/** `help`, `help <command>`, `help --markdown`. */
function help(words: string[], io: Io): number {
  const { values, positionals } = parse(words, { markdown: { type: 'boolean', description: "the README's table" }, help: GLOBAL_OPTIONS.help! }, true)
  const name = positionals.join(' ')
  if (values.markdown) return show(io, usageMarkdown())
  if (name === '' || values.help) return show(io, topUsage())
  return Object.hasOwn(COMMANDS, name) ? show(io, commandHelp(name)) : refuse(io, `unknown command: ${name}`, topUsage())
}

/** Help asked for, on stdout; exit 0. */
function show(io: Io, text: string): 0 {
  io.out(text)
  return 0
}

/** A usage error: what is wrong, then the usage that says what is right; exit 2. */
function refuse(io: Io, error: string, usageText?: string): 2 {
  complain(io, usageText ? `${error}\n${usageText}` : error)
  return 2
}

const complain = (io: Io, text: string) => (io.err ?? io.out)(text)

export async function runAdmin(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let emulator: string | undefined
  let name: string | undefined
  let work: Work
  try {
    const lead = leadingOptions(argv)
    if (lead.help) return show(io, topUsage())
    if (lead.rest.length === 0) return refuse(io, 'no command given', topUsage())
    if (lead.rest[0] === 'help') return help(lead.rest.slice(1), io)
    const command = commandAt(lead.rest)
    if (!command) return refuse(io, `unknown command: ${lead.rest[0]}`, topUsage())
    name = command.name
    const input = parseCommand(command.spec, lead.rest.slice(name.split(' ').length))
    if (input.values.help) return show(io, commandHelp(name))
    work = command.spec.prepare(input, io)
    emulator = (input.values.emulator as string | undefined) ?? lead.emulator
  } catch (error) {
    if (error instanceof UsageError) return refuse(io, error.message, name ? commandHelp(name) : topUsage())
    throw error
  }
  let connection
  try {
    connection = connect(emulator, env)
    return await work(connection)
  } catch (error) {
    // A bad --emulator or missing credentials: the message says what to set.
    if (error instanceof UsageError) return refuse(io, error.message)
    const network = connection && unreachable(error, connection.target)
    complain(io, network ?? `failed: ${(error as Error).message ?? error}`)
    return 1
  }
}

if (require.main === module) {
  const tty = process.stdout.isTTY
  runAdmin(process.argv.slice(2), {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    progress: (line) => (tty ? process.stdout.write(`\r${line}`) : console.log(line)),
    root: resolve(__dirname, '..'),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  }).then((code) => process.exit(code))
}
