/**
 * The reply codes are a contract, listed in the README and in its Chinese
 * version: every code of src/replies.ts must be named in both, and the
 * README must lead to the Chinese one.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CODES } from '../src/replies'

const ROOT = resolve(__dirname, '..')
const read = (name: string) => readFileSync(join(ROOT, name), 'utf8')
const codes = Object.values(CODES)

/** The codes a document never names in backticks (`CODE`). */
const missingFrom = (text: string) => codes.filter((code) => !text.includes(`\`${code}\``))

describe('the READMEs list every reply code', () => {
  it('reads the codes from src/replies.ts', () => {
    expect(codes.length).toBeGreaterThan(20)
    expect(new Set(codes).size).toBe(codes.length)
  })

  it('README.md names every code', () => {
    expect(missingFrom(read('README.md'))).toEqual([])
  })

  it('README.zh-CN.md names every code', () => {
    expect(missingFrom(read('README.zh-CN.md'))).toEqual([])
  })

  it('README.zh-CN.md gives every code a row of its table', () => {
    const rows = read('README.zh-CN.md')
      .split('\n')
      .map((line) => /^\| `([A-Z_]+)` \|/.exec(line)?.[1])
      .filter((code): code is string => code !== undefined)
    expect(codes.filter((code) => !rows.includes(code))).toEqual([])
  })

  it('finds a code a document lacks', () => {
    const lacking = read('README.md').split('`NOT_RESENDABLE`').join('NOT_RESENDABLE')
    expect(missingFrom(lacking)).toEqual(['NOT_RESENDABLE'])
  })

  it('README.md links to README.zh-CN.md', () => {
    expect(read('README.md')).toMatch(/\]\(README\.zh-CN\.md\)/)
  })
})
