/**
 * The operator's commands, in the order help lists them. Each talks to the
 * project's functions as a server-side caller (no user), or reads the
 * database directly.
 */
import type { CommandSpec } from './cli'
import { READING } from './reading'
import { SENDING } from './sending'
import { UPKEEP } from './upkeep'

export const COMMANDS: Record<string, CommandSpec> = { ...SENDING, ...READING, ...UPKEEP }

/** The command the words start with, by its name of one word or two (`token status`). */
export function commandAt(words: string[]): { name: string; spec: CommandSpec } | undefined {
  const name = [words.slice(0, 2).join(' '), words[0] ?? ''].find((candidate) => Object.hasOwn(COMMANDS, candidate))
  return name === undefined ? undefined : { name, spec: COMMANDS[name]! }
}
