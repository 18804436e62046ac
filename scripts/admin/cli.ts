/**
 * The CLI's grammar. Each command declares its arguments and options once,
 * with a sentence each and examples; parsing (node's util.parseArgs, strict)
 * and every help text are made from those declarations (help.ts).
 */
import { parseArgs } from 'node:util'
import { UsageError, type Connection } from './connect'

export interface Io {
  out: (line: string) => void
  /** Rewrites the current line (a progress bar); a plain line where there is no terminal. */
  progress: (line: string) => void
  /** Where errors and usage after a mistake go, so that stdout holds only what was asked for; `out` when absent. */
  err?: (line: string) => void
  root: string
  sleep: (ms: number) => Promise<void>
}

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  /** What the value is, as usage shows it (`<openid>`); string options only. */
  value?: string
  /** Shown without brackets, and checked before connecting; a string is the refusal to give when it is missing. */
  required?: true | string
  description: string
}

export interface Input {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
}

/** The work a command does once connected. */
export type Work = (c: Connection) => Promise<number>

export interface CommandSpec {
  summary: string
  /** Its positional arguments as usage shows them (`<messageId>`), how many at most, and a sentence. */
  args?: { synopsis: string; max: number; description: string }
  options: Record<string, OptionSpec>
  examples: string[]
  /** Checks the input and returns the work: a usage error is thrown here, before any connection is made. */
  prepare: (input: Input, io: Io) => Work
}

/** Options every command takes, before or after its name. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  emulator: {
    type: 'string',
    value: '<url>',
    description: 'talk to the local emulator at this URL, such as http://127.0.0.1:8900; without it, to the environment of TCB_ENV_ID with TCB_SECRET_ID and TCB_SECRET_KEY.',
  },
  help: { type: 'boolean', short: 'h', description: 'print this help and exit.' },
}

/** `--json`, for the commands that only read. */
export const jsonOption = (what: string): OptionSpec => ({ type: 'boolean', short: 'j', description: `print ${what} as one JSON document, and nothing else on stdout.` })

type Declared = Record<string, { type: 'string' | 'boolean'; short?: string }>
const declared = (options: Record<string, OptionSpec>): Declared =>
  Object.fromEntries(Object.entries(options).map(([name, { type, short }]) => [name, short ? { type, short } : { type }]))

/**
 * What parseArgs refused, naming the option: read again without strictness,
 * the first token that breaks a declaration is the one.
 */
function refusal(args: string[], options: Declared, allowPositionals: boolean): string {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true })
  for (const token of tokens) {
    if (token.kind === 'positional' && !allowPositionals) return `unexpected argument ${token.value}`
    if (token.kind !== 'option') continue
    const option = options[token.name]
    if (!option) return `unknown option ${token.rawName}`
    // A string option takes the next word, unless it looks like an option itself.
    if (option.type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))) return `option ${token.rawName} needs a value`
    if (option.type === 'boolean' && token.value !== undefined) return `option ${token.rawName} takes no value`
  }
  return 'the arguments do not parse'
}

/** The arguments against the declared options, strictly: an unknown option or a missing value is a usage error. */
export function parse(args: string[], options: Record<string, OptionSpec>, allowPositionals: boolean): Input {
  const config = { args, options: declared(options), allowPositionals }
  try {
    const { values, positionals } = parseArgs({ ...config, strict: true })
    return { values: values as Input['values'], positionals }
  } catch (error) {
    if (!String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) throw error
    throw new UsageError(refusal(args, config.options, allowPositionals))
  }
}

/** A command's arguments, its required options present and no more positionals than it takes; `--help` skips the checks. */
export function parseCommand(spec: CommandSpec, args: string[]): Input {
  const input = parse(args, { ...spec.options, ...GLOBAL_OPTIONS }, spec.args !== undefined)
  if (input.values.help) return input
  const extra = input.positionals[spec.args?.max ?? 0]
  if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`)
  for (const [name, option] of Object.entries(spec.options)) {
    const value = input.values[name]
    if (option.required && (value === undefined || value === '')) throw new UsageError(option.required === true ? `--${name} is required` : option.required)
  }
  return input
}

/** The global options before the command name, and the words from the name on. */
export function leadingOptions(argv: string[]): { emulator?: string; help: boolean; rest: string[] } {
  const { tokens } = parseArgs({ args: argv, options: declared(GLOBAL_OPTIONS), allowPositionals: true, strict: false, tokens: true })
  const name = tokens.find((token) => token.kind !== 'option')
  const at = name ? name.index : argv.length
  const { values } = parse(argv.slice(0, at), GLOBAL_OPTIONS, false)
  return { emulator: values.emulator as string | undefined, help: values.help === true, rest: argv.slice(at) }
}

/** A string option's value; undefined when absent. */
export const text = (input: Input, name: string): string | undefined => {
  const value = input.values[name]
  return typeof value === 'string' ? value : undefined
}
