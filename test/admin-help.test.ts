/**
 * The operator's CLI before it connects: help at the top and per command,
 * refusals of bad arguments, the README's table as the CLI prints it. No
 * emulator and no credentials: none of this may need a connection.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { runAdmin } from '../scripts/admin'
import { COMMANDS } from '../scripts/admin/commands'
import { ROOT } from './support/emulator'

/** The CLI with no credentials and no emulator: anything that tried to connect would say `missing credentials`. */
async function admin(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await runAdmin(args, { out: (l) => out.push(l), err: (l) => err.push(l), progress: () => undefined, root: ROOT, sleep: async () => undefined }, {})
  return { code, out: out.join('\n'), err: err.join('\n') }
}

const TOP = /^usage: npm run admin -- \[--emulator <url>\] <command>/

describe('npm run admin: help', () => {
  it('--help, -h and help print every command with what it does, and exit 0', async () => {
    const answers = await Promise.all([admin('--help'), admin('-h'), admin('help'), admin('--emulator', 'http://127.0.0.1:9', '--help')])
    for (const answer of answers) {
      expect(answer).toMatchObject({ code: 0, err: '' })
      expect(answer.out).toMatch(TOP)
      expect(answer.out).toBe(answers[0]!.out)
    }
    const lines = answers[0]!.out.split('\n')
    for (const [name, spec] of Object.entries(COMMANDS)) expect(lines.filter((l) => l.startsWith(`  ${name} `) && l.endsWith(`  ${spec.summary}`)), name).toHaveLength(1)
    expect(Object.keys(COMMANDS)).toEqual(expect.arrayContaining(['send', 'stats', 'token status', 'doctor']))
  })

  it('<command> --help, -h and help <command> print its usage, a sentence for each option, and an example, and exit 0', async () => {
    for (const [name, spec] of Object.entries(COMMANDS)) {
      const words = name.split(' ')
      const answers = await Promise.all([admin(...words, '--help'), admin(...words, '-h'), admin('help', ...words)])
      for (const answer of answers) {
        expect(answer, name).toMatchObject({ code: 0, err: '', out: answers[0]!.out })
        expect(answer.out.split('\n')[0]!.startsWith(`usage: npm run admin -- ${name}`), name).toBe(true)
      }
      const help = answers[0]!.out
      for (const [option, declared] of Object.entries({ ...spec.options, emulator: {}, help: {} })) {
        expect(help, `${name} --${option}`).toMatch(new RegExp(`^ +(-\\w, )?--${option}\\b.* {2}\\S.*\\.$`, 'm'))
        if ('required' in declared && declared.required) expect(help.split('\n')[0]).toContain(` --${option}`)
      }
      expect(help).toMatch(new RegExp(`\\nexamples:\\n  npm run admin -- ${name}`))
    }
  })

  it('send --help says what each option takes, with an example to copy', async () => {
    const { code, out } = await admin('send', '--help')
    expect(code).toBe(0)
    expect(out).toMatch(/^usage: npm run admin -- send --to <openid> --template <id> --data <json\|@file> \[--page <page>\]/)
    expect(out).toMatch(/^ +--to <openid> +the openid of the user the message goes to\.$/m)
    expect(out).toMatch(/^ +-d, --data <json\|@file> +the keyword values, a JSON object/m)
    expect(out).toMatch(/^ +--emulator <url> +talk to the local emulator/m)
    expect(out).toMatch(/^examples:\n {2}npm run admin -- send --to \S+ --template \S+ --data '\{/m)
  })

  it('help for an unknown command, or an unknown command, exits 2 with the top usage', async () => {
    for (const args of [['help', 'nope'], ['frobnicate'], ['token', 'renew'], ['help', 'token']]) {
      const refused = await admin(...args)
      expect(refused.code, args.join(' ')).toBe(2)
      expect(refused.out).toBe('')
      expect(refused.err).toMatch(/^unknown command: \S/)
      expect(refused.err.split('\n')[1]).toMatch(TOP)
    }
    expect((await admin('frobnicate')).err.split('\n')[0]).toBe('unknown command: frobnicate')
    expect((await admin()).code).toBe(2)
  })

  it("refuses an unknown option, a missing value or a stray argument, naming it, then the command's usage, before connecting", async () => {
    const cases: Array<[string[], string, string]> = [
      [['stats', '--no-such-flag'], 'unknown option --no-such-flag', 'stats'],
      [['stats', '-x'], 'unknown option -x', 'stats'],
      [['send', '--to'], 'option --to needs a value', 'send'],
      [['send', '--to', '--template', 'T', '--data', '{}'], 'option --to needs a value', 'send'],
      [['send', '--to', 'o1', '--template', 'T', '--data'], 'option --data needs a value', 'send'],
      [['grants', 'o1', '--json=yes'], 'option --json takes no value', 'grants'],
      [['cancel', 'msg_a', 'msg_b'], 'unexpected argument msg_b', 'cancel'],
      [['templates', 'sync', 'now'], 'unexpected argument now', 'templates sync'],
      [['send', '--to', 'o1'], '--template is required', 'send'],
      [['report', '--days', '40'], '--days takes a whole number from 1 to 31, not 40', 'report'],
      [['send', '--to', 'o1', '-t', 'T', '-d', '{oops'], '--data must be a JSON object of keyword values: ', 'send'],
      [['send', '--to', 'o1', '-t', 'T', '-d', '@no-such-file.json'], '--data cannot read no-such-file.json: ENOENT', 'send'],
      [['--emulator', 'http://127.0.0.1:9', 'stats', '--emulator'], 'option --emulator needs a value', 'stats'],
    ]
    for (const [args, error, command] of cases) {
      const refused = await admin(...args)
      expect(refused.code, args.join(' ')).toBe(2)
      expect(refused.out, args.join(' ')).toBe('')
      const [first, second] = refused.err.split('\n')
      expect(first, args.join(' ')).toContain(error)
      expect(second, args.join(' ')).toMatch(new RegExp(`^usage: npm run admin -- ${command}( |$)`))
    }
    // Before the command, only the global options.
    const global = await admin('--json', 'stats')
    expect(global).toMatchObject({ code: 2, out: '' })
    expect(global.err.split('\n')[0]).toBe('unknown option --json')
    // Good arguments go on to connect: with no credentials, that is where it stops.
    expect(await admin('stats', '--json')).toMatchObject({ code: 2, err: expect.stringMatching(/^missing credentials: set TCB_SECRET_ID/) })
  })

  it("README.md's command table is what help --markdown prints", async () => {
    const printed = await admin('help', '--markdown')
    expect(printed.code).toBe(0)
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const block = /\n<!-- admin-usage -->\n([\s\S]*?)\n<!-- \/admin-usage -->\n/.exec(readme)
    expect(block, 'README.md has the markers <!-- admin-usage --> and <!-- /admin-usage -->').not.toBeNull()
    // To mend: paste `npm run admin -- help --markdown` between the markers.
    expect(block![1]).toBe(printed.out)
    for (const name of Object.keys(COMMANDS)) expect(printed.out).toContain(`| \`npm run admin -- ${name}`)
  })

  it('runs as its own process: help exits 0 on stdout, a refusal exits 2 on stderr', () => {
    const run = (...args: string[]) => spawnSync('npx', ['tsx', 'scripts/admin.ts', ...args], { cwd: ROOT, encoding: 'utf8' })
    const help = run('--help')
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(TOP)
    const refused = run('stats', '--no-such-flag')
    expect(refused.status).toBe(2)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toMatch(/^unknown option --no-such-flag\nusage: npm run admin -- stats/)
  })
})
