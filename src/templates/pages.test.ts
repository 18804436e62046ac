import { describe, expect, it } from 'vitest'
import { isPage, pagesOf } from './pages'

describe('pagesOf', () => {
  it('reads the main pages and both spellings of subpackages, each under its root', () => {
    const pages = pagesOf({
      pages: ['pages/index/index'],
      subPackages: [{ root: 'packageA/', pages: ['pages/cat/cat'] }],
      subpackages: [{ root: 'packageB', pages: ['pages/dog/dog'] }],
    })
    expect([...pages].sort()).toEqual(['packageA/pages/cat/cat', 'packageB/pages/dog/dog', 'pages/index/index'])
  })

  it('checks a page of the project, query and leading slash allowed', () => {
    expect(isPage('pages/subscriptions/subscriptions?from=card')).toBe(true)
    expect(isPage('/pages/subscriptions/subscriptions')).toBe(true)
    expect(isPage('pages/nowhere/nowhere')).toBe(false)
  })
})
