/**
 * The rules of what may import what (docs/architecture.md), read from the
 * sources themselves: every import, export-from and require of every
 * TypeScript file, resolved to the folder it reaches.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './support/emulator'

const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (name === 'node_modules' || name === 'generated') return []
    if (statSync(path).isDirectory()) return files(path)
    return name.endsWith('.ts') ? [path] : []
  })
}

interface Edge {
  file: string
  /** The repository-relative path an import reaches, or the package it names. */
  target: string
  relative: boolean
}

function importsOf(top: string): Edge[] {
  return files(join(ROOT, top)).flatMap((path) => {
    const file = relative(ROOT, path)
    return [...readFileSync(path, 'utf8').matchAll(SPECIFIER)].map(([, specifier]) => {
      const isRelative = specifier!.startsWith('.')
      return { file, target: isRelative ? relative(ROOT, resolve(dirname(path), specifier!)) : specifier!, relative: isRelative }
    })
  })
}

const topOf = (target: string) => target.split('/')[0]!
const breaking = (edges: Edge[], allowed: (edge: Edge) => boolean) => edges.filter((edge) => !allowed(edge)).map((e) => `${e.file} → ${e.target}`)

describe('what may import what', () => {
  it('the emulator never imports the product, the scripts or the benchmarks', () => {
    const edges = importsOf('emulator').filter((e) => e.relative)
    expect(edges.length).toBeGreaterThan(50)
    expect(breaking(edges, (e) => !['src', 'scripts', 'bench', 'cloudfunctions'].includes(topOf(e.target)))).toEqual([])
  })

  it('the product never imports the emulator, the scripts, the functions or the benchmarks', () => {
    const edges = importsOf('src').filter((e) => e.relative)
    expect(edges.length).toBeGreaterThan(50)
    expect(breaking(edges, (e) => !['emulator', 'scripts', 'bench', 'cloudfunctions'].includes(topOf(e.target)))).toEqual([])
  })

  it('a function imports only the product, and wx-server-sdk only through src/cloud.ts', () => {
    const functions = importsOf('cloudfunctions')
    expect(functions.length).toBeGreaterThan(4)
    expect(breaking(functions, (e) => e.relative && topOf(e.target) === 'src')).toEqual([])
    const sdk = [...importsOf('src'), ...functions, ...importsOf('bench')].filter((e) => e.target === 'wx-server-sdk')
    expect(sdk.map((e) => e.file)).toEqual(['src/cloud.ts'])
  })

  it('the mini-program imports only itself and what the build writes in it', () => {
    const edges = importsOf('miniprogram')
    expect(edges.length).toBeGreaterThan(3)
    expect(breaking(edges, (e) => e.relative && topOf(e.target) === 'miniprogram')).toEqual([])
  })

  it('the product has no import cycle, between folders or between files, of any length', () => {
    const edges = importsOf('src').filter((edge) => edge.relative && topOf(edge.target) === 'src' && !edge.file.endsWith('.test.ts'))
    const folderOf = (path: string) => path.split('/').slice(0, -1).join('/')
    const fileOf = (target: string) => (target.endsWith('.ts') ? target : `${target}.ts`)
    const byFile = edges.map((e) => [e.file, fileOf(e.target)] as const)
    const byFolder = byFile.map(([from, to]) => [folderOf(from), folderOf(to)] as const).filter(([from, to]) => from !== to)
    expect(byFile.length).toBeGreaterThan(50)
    expect(cyclesIn(byFile)).toEqual([])
    expect(cyclesIn(byFolder)).toEqual([])
  })

  it('finds a cycle however long it is', () => {
    expect(cyclesIn([['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'b'], ['a', 'e']])).toEqual([['b', 'c', 'd']])
    expect(cyclesIn([['a', 'b'], ['b', 'c']])).toEqual([])
  })
})

/** Every strongly connected set of more than one node (Tarjan's algorithm), each as its sorted members. */
function cyclesIn(edges: ReadonlyArray<readonly [string, string]>): string[][] {
  const next = new Map<string, string[]>()
  for (const [from, to] of edges) next.set(from, [...(next.get(from) ?? []), to])
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const visit = (node: string) => {
    index.set(node, index.size)
    low.set(node, index.get(node)!)
    stack.push(node)
    onStack.add(node)
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to)
        low.set(node, Math.min(low.get(node)!, low.get(to)!))
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!))
    }
    if (low.get(node) !== index.get(node)) return
    const members: string[] = []
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      onStack.delete(member)
      members.push(member)
      if (member === node) break
    }
    if (members.length > 1) cycles.push(members.sort())
  }
  for (const node of next.keys()) if (!index.has(node)) visit(node)
  return cycles
}

/** The house's rule: a source file says one thing, in at most this many lines. Tests may run longer. */
const MAX_LINES = 300

describe('file length', () => {
  it(`no source file is over ${MAX_LINES} lines`, () => {
    const sources = ['src', 'emulator', 'scripts', 'bench', 'cloudfunctions', 'miniprogram'].flatMap((top) => files(join(ROOT, top)))
    const long = sources
      .filter((path) => !path.endsWith('.test.ts'))
      .map((path) => ({ file: relative(ROOT, path), lines: readFileSync(path, 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES)
    expect(sources.length).toBeGreaterThan(100)
    expect(long).toEqual([])
  })
})
