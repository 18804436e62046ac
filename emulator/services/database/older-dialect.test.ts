/**
 * tcb-admin-node's own public tests of the database, run against the
 * emulator: the older dialect's inserts in a transaction, a Date document's
 * life, and an aggregate `match` written with the aggregate commands.
 */
import tcb from 'tcb-admin-node'
import { beforeAll, describe, expect, it } from 'vitest'
import { useEmulator } from '../../../test/support/emulator'

// The project's own cloud: its env is any, and it has the collections these tests write to.
const emulator = useEmulator({})
let db: any

beforeAll(() => {
  const app = tcb.init({ secretId: 'local', secretKey: 'local', env: 'local', serviceUrl: `${emulator.url}/admin` })
  db = app.database()
})

describe('tcb-admin-node (the older dialect) as the service answers it', () => {
  it('answers an insert in a transaction with its id, with or without its own _id', async () => {
    const tx = await db.startTransaction()
    const generated = await tx.collection('users').add({ category: 'Web', date: new Date() })
    expect(generated.inserted).toBe(1)
    expect(typeof generated.id).toBe('string')
    const ownId = Date.now()
    const given = await tx.collection('users').add({ _id: ownId, category: 'Web' })
    expect(given).toMatchObject({ id: ownId, inserted: 1 })
    await tx.commit()
    expect((await db.collection('users').doc(generated.id).get()).data[0].category).toBe('Web')
    expect((await db.collection('users').where({ _id: ownId }).get()).data).toHaveLength(1)
  })

  it('creates, reads by Date commands, updates and removes a Date document', async () => {
    const users = db.collection('users')
    const _ = db.command
    const date = new Date()
    const timestamp = Math.floor(Date.now() / 1000)
    const added = await users.add({
      name: 'dated',
      date,
      serverDate1: db.serverDate(),
      serverDate2: db.serverDate({ offset: 60_000 }),
      timestamp: { $timestamp: timestamp },
      foo: { bar: db.serverDate({ offset: 60_000 }) },
    })
    expect(typeof added.id).toBe('string')
    const [stored] = (await users.where({ _id: added.id }).get()).data
    expect(stored.date.getTime()).toBe(date.getTime())
    expect(stored.foo.bar).toBeInstanceOf(Date)
    expect(stored.serverDate2.getTime() - stored.serverDate1.getTime()).toBe(60_000)
    expect(stored.timestamp.getTime()).toBe(timestamp * 1000)
    expect((await users.where({ date: _.eq(date) }).get()).data).toHaveLength(1)
    expect((await users.where({ date: _.lte(date) }).get()).data.length).toBeGreaterThan(0)
    const between = { date: _.lte(date).and(_.gte(date)) }
    expect((await users.where(between).get()).data).toHaveLength(1)
    const newDate = new Date(date.getTime() + 1)
    const updated = await users.where(between).update({ date: newDate, serverDate2: db.serverDate({ offset: 3_600_000 }) })
    expect(updated.updated).toBe(1)
    const [changed] = (await users.where({ _id: added.id }).get()).data
    expect(changed.date.getTime()).toBe(newDate.getTime())
    expect(changed.serverDate2.getTime() - changed.serverDate1.getTime()).toBeGreaterThanOrEqual(3_600_000)
    expect((await users.doc(added.id).remove()).deleted).toBe(1)
  })

  it('matches in an aggregate with the aggregate commands', async () => {
    const articles = db.collection('campaigns')
    for (const [author, score] of [['stark', 80], ['stark', 85], ['li', 94], ['bob', 60], ['justan', 95]] as const) {
      await articles.add({ author, score, kind: 'article' })
    }
    const { gt, sum } = db.command.aggregate
    const counted = await articles.aggregate().match({ kind: 'article', score: gt(80) }).group({ _id: null, count: sum(1) }).end()
    expect(counted.data).toEqual([{ _id: null, count: 3 }])
    const byCommand = await articles.aggregate().match({ score: db.command.gt(90) }).count('n').end()
    expect(byCommand.data).toEqual([{ n: 2 }])
    const date = new Date()
    await articles.add({ author: 'dated', score: 1, kind: 'dated', date })
    const _ = db.command
    for (const match of [{ date: _.eq(date) }, { date: _.lte(date).and(_.gte(date)) }, { kind: 'dated', author: db.RegExp({ regexp: 'DAT', options: 'i' }) }]) {
      expect((await articles.aggregate().match(match).project({ _id: 0, author: 1 }).end()).data).toEqual([{ author: 'dated' }])
    }
  })
})
