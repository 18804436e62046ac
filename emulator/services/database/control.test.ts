/** The control API's view of the database: a collection's indexes in the shape `db/` declares them. */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, useEmulator } from '../../../test/support/emulator'

const emulator = useEmulator({ args: ['--no-timers'] })

describe('GET /_emulator/db/{collection}/indexes', () => {
  it("lists each collection's indexes as db/ declares them", async () => {
    const files = readdirSync(join(ROOT, 'db')).filter((name) => name.endsWith('.json'))
    expect(files.length).toBeGreaterThan(3)
    for (const file of files) {
      const declared = JSON.parse(readFileSync(join(ROOT, 'db', file), 'utf8')) as { collection: string; indexes: Array<{ name: string; unique?: boolean; keys: unknown[] }> }
      const reply = await emulator.request('GET', `/_emulator/db/${declared.collection}/indexes`)
      expect(reply.status).toBe(200)
      expect(reply.body.data).toEqual(declared.indexes.map(({ name, unique, keys }) => ({ name, unique: unique ?? false, keys })))
    }
    const messages = (await emulator.request('GET', '/_emulator/db/messages/indexes')).body.data
    expect(messages).toContainEqual({ name: 'idempotencyKey', unique: true, keys: [{ field: 'idempotencyKey', direction: 1 }] })
  })

  it('answers 404 for a collection that does not exist', async () => {
    const reply = await emulator.request('GET', '/_emulator/db/nothing_here/indexes')
    expect(reply.status).toBe(404)
    expect(reply.body.error).toMatch(/nothing_here/)
  })
})

describe('GET /_emulator/db/{collection} with a filter', () => {
  const docs = [
    { _id: 'filter-a', status: 'sent' },
    { _id: 'filter-b', status: 'scheduled' },
  ]
  const page = (query: string) => emulator.request('GET', `/_emulator/db/users?${query}`)
  const filter = `filter=${encodeURIComponent(JSON.stringify({ status: 'scheduled' }))}`

  it('filters without "after" too, reading from the start', async () => {
    const imported = await emulator.request('POST', '/_emulator/db/users/import', docs)
    expect(imported.body).toEqual({ inserted: 2 })
    const reply = await page(filter)
    expect(reply.status).toBe(200)
    expect(reply.body.data.map((doc: { _id: string }) => doc._id)).toEqual(['filter-b'])
    expect((await page(`${filter}&after=0`)).body.data).toEqual(reply.body.data)
  })

  it('refuses a filter with "offset", which skips without filtering', async () => {
    const reply = await page(`${filter}&offset=1`)
    expect(reply.status).toBe(400)
    expect(reply.body.error).toBe('"filter" pages with "after", not "offset"')
  })
})
