/** The commands' one way to call send as a server-side caller, and to print what comes back. */
import type { CommandSpec, Io, OptionSpec } from './cli'
import { UsageError, type Connection } from './connect'

export async function callSend(connection: Connection, data: Record<string, unknown>): Promise<Record<string, any>> {
  const reply = await connection.app.callFunction({ name: 'send', data })
  if (reply.code) throw new Error(`send could not be called on ${connection.target}: ${reply.code} ${reply.message}`)
  return reply.result
}

/** One JSON document, indented, on stdout; exit 0. */
export function printJson(io: Io, document: unknown): 0 {
  io.out(JSON.stringify(document, null, 2))
  return 0
}

/** send's reply as it is; exit 1 when it is a refusal. */
export function printReply(io: Io, reply: Record<string, any>): number {
  printJson(io, reply)
  return reply.ok ? 0 : 1
}

/** A database reply of tcb-admin-node, which answers a failure rather than throwing it. */
export function checked<T extends { code?: unknown; message?: unknown }>(reply: T): T {
  if (reply.code) throw new Error(`${reply.code} ${reply.message}`)
  return reply
}

/** A command that passes one id to one of send's actions and prints the reply, which is JSON already. */
export function byId(command: string, action: string, field: 'messageId' | 'campaignId', summary: string, options: Record<string, OptionSpec> = {}): CommandSpec {
  const what = field === 'messageId' ? 'message' : 'campaign'
  return {
    summary,
    args: { synopsis: `<${field}>`, max: 1, description: `the ${what}'s id, as ${what === 'message' ? 'send' : 'broadcast'} gave it.` },
    options,
    examples: [`npm run admin -- ${command} ${what === 'message' ? 'msg_0123456789abcdef' : 'cmp_0123456789abcdef'}`],
    prepare: ({ positionals: [id] }, io) => {
      if (!id) throw new UsageError(`${command} needs a ${what} id`)
      return async (c) => printReply(io, await callSend(c, { action, [field]: id }))
    },
  }
}
