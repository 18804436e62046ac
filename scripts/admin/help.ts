/**
 * Every help text, made from the commands' declarations: the top usage (a
 * line per command), a command's usage (its options and examples), and the
 * README's command table, so that the README says what the CLI says.
 */
import { GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from './cli'
import { COMMANDS } from './commands'

const RUN = 'npm run admin --'

const flag = (name: string, option: OptionSpec) => `--${name}${option.value ? ` ${option.value}` : ''}`

/** `send --to <openid> … [--page <page>]`: required options bare, the others in brackets. */
export function synopsis(name: string, spec: CommandSpec): string {
  const options = Object.entries(spec.options).map(([option, o]) => (o.required ? flag(option, o) : `[${flag(option, o)}]`))
  return [name, spec.args?.synopsis, ...options].filter(Boolean).join(' ')
}

/** Two columns, the first as wide as its widest entry. */
function columns(rows: Array<[string, string]>, indent = '  '): string[] {
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}  ${right}`)
}

export function topUsage(): string {
  return [
    `usage: ${RUN} [--emulator <url>] <command> [arguments] [options]`,
    '',
    'commands:',
    ...columns(Object.entries(COMMANDS).map(([name, spec]) => [name, spec.summary])),
    '',
    ...columns([
      ['--emulator <url>', GLOBAL_OPTIONS.emulator!.description],
      ['<command> --help', "the command's arguments, options and examples (also: help <command>)"],
      ['help --markdown', "the README's table of commands"],
    ]),
  ].join('\n')
}

export function commandHelp(name: string): string {
  const spec = COMMANDS[name]!
  const options = Object.entries({ ...spec.options, ...GLOBAL_OPTIONS }).map(([option, o]): [string, string] => [
    `${o.short ? `-${o.short}, ` : '    '}${flag(option, o)}`,
    o.description,
  ])
  return [
    `usage: ${RUN} ${synopsis(name, spec)}`,
    '',
    `${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.`,
    ...(spec.args ? ['', 'arguments:', ...columns([[spec.args.synopsis, spec.args.description]])] : []),
    '',
    'options:',
    ...columns(options),
    '',
    'examples:',
    ...spec.examples.map((example) => `  ${example}`),
  ].join('\n')
}

/** A table cell: a pipe would end it. */
const cell = (text: string) => text.replaceAll('|', '\\|')

/** The README's table: each command's usage and what it does, as the CLI prints them. */
export function usageMarkdown(): string {
  return [
    '| command | what it does |',
    '| --- | --- |',
    ...Object.entries(COMMANDS).map(([name, spec]) => `| \`${cell(`${RUN} ${synopsis(name, spec)}`)}\` | ${cell(spec.summary)} |`),
  ].join('\n')
}
