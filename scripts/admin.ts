/**
 * npm run admin -- [--emulator <url>] <command> …
 * The operator's tool: send, schedule, cancel, message, broadcast, campaign,
 * unknown, resend, pause, grants, stats, report, templates sync, token status, token refresh, doctor. Without --emulator it talks to the
 * environment named by TCB_ENV_ID with TCB_SECRET_ID and TCB_SECRET_KEY.
 */
import { resolve } from 'node:path'
import { COMMANDS, type Io } from './admin/commands'
import { UsageError, connect, unreachable } from './admin/connect'

export function usage(): string {
  return ['usage: npm run admin -- [--emulator <url>] <command>', ...Object.values(COMMANDS).map((c) => `  ${c.usage}`)].join('\n')
}

export async function runAdmin(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const args = [...argv]
  let emulator: string | undefined
  const at = args.indexOf('--emulator')
  if (at >= 0) {
    emulator = args[at + 1]
    args.splice(at, 2)
  }
  const two = `${args[0]} ${args[1]}`
  const name = COMMANDS[two] ? two : args[0]
  const command = name ? COMMANDS[name] : undefined
  if (!command) {
    io.out(`${name ? `unknown command: ${name}\n` : ''}${usage()}`)
    return 2
  }
  const rest = args.slice(name!.split(' ').length)
  let connection
  try {
    connection = connect(emulator, env)
    return await command.run(connection, rest, io)
  } catch (error) {
    if (error instanceof UsageError) {
      io.out(`${error.message}\nusage: npm run admin -- ${command.usage}`)
      return 2
    }
    const network = connection && unreachable(error, connection.target)
    io.out(network ?? `failed: ${(error as Error).message ?? error}`)
    return 1
  }
}

if (require.main === module) {
  const tty = process.stdout.isTTY
  runAdmin(process.argv.slice(2), {
    out: (line) => console.log(line),
    progress: (line) => (tty ? process.stdout.write(`\r${line}`) : console.log(line)),
    root: resolve(__dirname, '..'),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  }).then((code) => process.exit(code))
}
