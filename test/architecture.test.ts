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

  it('the product has no folder cycle', () => {
    const folderOf = (path: string) => path.split('/').slice(0, 2).join('/')
    const graph = new Map<string, Set<string>>()
    for (const e of importsOf('src').filter((edge) => edge.relative && topOf(edge.target) === 'src' && !edge.file.endsWith('.test.ts'))) {
      const [from, to] = [folderOf(e.file), folderOf(e.target)]
      if (from !== to && from.includes('/') && to.includes('/') && !to.endsWith('.ts') && !from.endsWith('.ts')) {
        if (!graph.has(from)) graph.set(from, new Set())
        graph.get(from)!.add(to)
      }
    }
    const cycles: string[] = []
    for (const [from, tos] of graph) for (const to of tos) if (graph.get(to)?.has(from) && from < to) cycles.push(`${from} ⇄ ${to}`)
    expect(cycles).toEqual([])
  })
})
