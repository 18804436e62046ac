/**
 * Broadcasts that are aimed and timed, through `send` in the emulator: an
 * audience filters the holders by their `users` documents, a sendAt holds the
 * campaign until the first tick at or after it, and WeChat's oracle says who
 * got what. The emulator moves the function's clock to each trigger's time.
 */
import { describe, expect, it } from 'vitest'
import { APPOINTMENT, EVENT, ORDER, exampleData, newOpenid, useProduct } from './support/product'

const FIELDS = 'tags,city,level'
const { emulator, product } = useProduct(['--no-timers', '--max-instances', '20', '--time-travel', '--function-env', `send:CAMPAIGN_AUDIENCE_FIELDS=${FIELDS}`])

const HOUR = 3_600_000
const DAY = 24 * HOUR
let seq = 0
/** A tag, city or key no other test uses, so that only this test's users match it. */
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${(seq++).toString(36)}`
/** The time as UTC+8 writes it, with its offset. */
const inBeijing = (ms: number) => new Date(ms + 8 * HOUR).toISOString().replace('Z', '+08:00')

/** Users who accept the template, each with the `users` document given (none for null). */
async function holders(templateId: string, documents: Array<Record<string, unknown> | null>): Promise<string[]> {
  const openids = documents.map(() => newOpenid('oA'))
  for (const openid of openids) await product.subscribe(openid, { [templateId]: 'accept' })
  const users = documents.flatMap((doc, i) => (doc ? [{ _id: openids[i], ...doc }] : []))
  const imported = await emulator.request('POST', '/_emulator/db/users/import', users)
  if (imported.status !== 200) throw new Error(`users import failed: ${JSON.stringify(imported.body)}`)
  return openids
}

const report = (campaignId: string) => product.send({ action: 'campaign', campaignId })
const broadcast = (templateId: string, extra: Record<string, unknown>) => product.send({ action: 'broadcast', templateId, data: exampleData(templateId), ...extra })
const messagesOf = async (campaignId: string) => product.where('messages', { campaignId })
const holding = async (templateId: string) => (await product.where('grants', { templateId, holding: true })).length
/** What a refused broadcast must leave as it was. */
const records = async () => ({ campaigns: await product.collection('campaigns'), messages: await product.collection('messages') })

/** Ticks at the time `at` gives until the campaign is queued and has nothing left to go out; fails past the deadline. */
async function drain(campaignId: string, at: () => number = () => Date.now() + 1000): Promise<any> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const now = await report(campaignId)
    if (now.status === 'queued' && now.remaining === 0) return now
    if (Date.now() > deadline) throw new Error(`campaign ${campaignId} still has messages to go: ${JSON.stringify(now)}`)
    await product.tick(at())
  }
}

async function deliveredTo(openids: string[]): Promise<number[]> {
  return Promise.all(openids.map(async (openid) => (await product.delivered(openid)).length))
}

describe('a broadcast with an audience', () => {
  it('queues and delivers only to the holders the audience matches, and counts the rest as excluded', async () => {
    const tag = unique('vip')
    const [a, b, c, ...others] = await holders(ORDER, [{ tags: [tag, 'beijing'] }, { tags: [tag] }, { tags: ['x', tag], city: '北京' }, { tags: ['x'] }, { city: '北京' }, null])
    // Tagged, but holds no grant of the template: not a holder, so not reached.
    const outsider = newOpenid('oA')
    await product.subscribe(outsider, { [ORDER]: 'reject', [APPOINTMENT]: 'accept' })
    await emulator.request('POST', '/_emulator/db/users/import', [{ _id: outsider, tags: [tag] }])
    const audience = { tags: tag }
    const reply = await broadcast(ORDER, { audience, page: 'pages/index/index' })
    expect(reply).toEqual({ ok: true, campaignId: expect.stringMatching(/^cmp_/) })
    const { campaignId } = reply
    const excluded = (await holding(ORDER)) - 3
    expect(await report(campaignId)).toEqual({
      ok: true,
      campaignId,
      status: 'queued',
      sendAt: null,
      audience,
      total: 3,
      queued: 3,
      remaining: 3,
      sent: 0,
      failed: 0,
      skipped: 0,
      unknown: 0,
      cancelled: 0,
      excluded,
    })
    expect((await messagesOf(campaignId)).map((m) => m.touser).sort()).toEqual([a, b, c].sort())
    expect(await drain(campaignId)).toMatchObject({ total: 3, sent: 3, remaining: 0, queued: 0, failed: 0, skipped: 0, unknown: 0, excluded })
    expect(await deliveredTo([a!, b!, c!])).toEqual([1, 1, 1])
    expect(await deliveredTo([...others, outsider])).toEqual([0, 0, 0, 0])
    expect((await product.delivered(a)).map((m) => [m.template_id, m.page])).toEqual([[ORDER, 'pages/index/index']])
  })

  it('takes $in, $nin, $eq, $ne, ranges and $exists under $or and $and, as the database reads them', async () => {
    const [tagA, tagB, city] = [unique('a'), unique('b'), unique('城')]
    const users = await holders(EVENT, [
      { tags: [tagA], level: 5 }, // the first branch
      { tags: [tagB, 'x'], level: 3 }, // the first branch
      { tags: [tagA, 'churned'], level: 9 }, // $nin
      { tags: [tagA], level: 2 }, // $gte
      { city, level: 0 }, // the second branch
      { city, level: 1 }, // $ne
      { city, level: 0, tags: ['z'] }, // $exists
      { city: `${city}-2`, level: 0 }, // $eq
    ])
    const audience = {
      $or: [
        { tags: { $in: [tagA, tagB], $nin: ['churned'] }, level: { $gte: 3 } },
        { $and: [{ city: { $eq: city } }, { tags: { $exists: false } }, { level: { $lt: 2, $ne: 1 } }] },
      ],
    }
    const { campaignId } = await broadcast(EVENT, { audience })
    expect((await messagesOf(campaignId)).map((m) => m.touser).sort()).toEqual([users[0], users[1], users[4]].sort())
    expect(await drain(campaignId)).toMatchObject({ total: 3, sent: 3, remaining: 0, audience })
    expect(await deliveredTo(users)).toEqual([1, 1, 0, 0, 1, 0, 0, 0])
  })

  it('refuses a filter on a field the settings do not name, and writes nothing, not even its key', async () => {
    const idempotencyKey = unique('key')
    await holders(ORDER, [{ tags: ['x'], phone: '13800000000' }])
    const before = await records()
    for (const [audience, field] of [
      [{ phone: '13800000000' }, 'audience.phone'],
      [{ _id: 'oUser' }, 'audience._id'],
      [{ tags: 'x', $or: [{ city: '北京' }, { openid: { $in: ['o1'] } }] }, 'audience.$or[1].openid'],
      [{ 'tags.0': 'x' }, 'audience.tags.0'],
    ] as const) {
      const reply = await broadcast(ORDER, { audience, idempotencyKey })
      expect(reply).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', field, message: expect.stringContaining(`campaigns.audienceFields: ${FIELDS.split(',').join(', ')}`) })
    }
    expect(await records()).toEqual(before)
    // The key was never taken: a valid broadcast under it is a new campaign (one that reaches no one).
    const reply = await broadcast(ORDER, { audience: { tags: unique('nobody') }, idempotencyKey })
    expect(reply).toMatchObject({ ok: true })
    expect(await report(reply.campaignId)).toMatchObject({ status: 'queued', total: 0, remaining: 0 })
  })

  it('refuses each malformed audience or sendAt with INVALID_ARGUMENT naming it, and writes nothing', async () => {
    await holders(ORDER, [{ tags: ['x'] }])
    const nested = (depth: number): Record<string, unknown> => (depth === 0 ? { tags: 'x' } : { $or: [nested(depth - 1)] })
    const many = (n: number) => Object.fromEntries([['$and', Array.from({ length: n }, (_, i) => ({ level: { $ne: i } }))]])
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['a string', { audience: 'vip' }, 'audience'],
      ['a list', { audience: [{ tags: 'x' }] }, 'audience'],
      ['empty', { audience: {} }, 'audience'],
      ['null', { audience: null }, 'audience'],
      ['a null value', { audience: { tags: null } }, 'audience.tags'],
      ['a list as a value', { audience: { tags: ['x'] } }, 'audience.tags'],
      ['an object as a value', { audience: { city: { name: '北京' } } }, 'audience.city.name'],
      ['$in of a string', { audience: { tags: { $in: 'x' } } }, 'audience.tags.$in'],
      ['$in of an object', { audience: { tags: { $in: ['x', { $gt: '' }] } } }, 'audience.tags.$in[1]'],
      ['$gt of true', { audience: { level: { $gt: true } } }, 'audience.level.$gt'],
      ['$exists of a string', { audience: { tags: { $exists: 'yes' } } }, 'audience.tags.$exists'],
      ['$regex', { audience: { tags: { $regex: '^v' } } }, 'audience.tags.$regex'],
      ['$nor', { audience: { $nor: [{ tags: 'x' }] } }, 'audience.$nor'],
      ['$where', { audience: { $where: 'sleep(1000)' } }, 'audience.$where'],
      ['$or of an object', { audience: { $or: { tags: 'x' } } }, 'audience.$or'],
      ['$and and $or four deep', { audience: nested(4) }, 'audience.$or[0].$or[0].$or[0].$or'],
      ['$or of 11', { audience: { $or: Array.from({ length: 11 }, () => ({ tags: 'x' })) } }, 'audience.$or'],
      ['$in of 101', { audience: { tags: { $in: Array.from({ length: 101 }, (_, i) => `t${i}`) } } }, 'audience.tags.$in'],
      ['more than 20 conditions', { audience: { tags: 'x', ...many(10), city: { $in: ['a'] }, $or: many(10).$and } }, 'audience'],
      ['a value over 200 characters', { audience: { tags: 'x'.repeat(201) } }, 'audience.tags'],
      ['sendAt not a string', { sendAt: Date.now() + HOUR }, 'sendAt'],
      ['sendAt in words', { sendAt: 'tomorrow' }, 'sendAt'],
      ['sendAt without an offset', { sendAt: new Date(Date.now() + HOUR).toISOString().replace('Z', '') }, 'sendAt'],
      ['sendAt without a T', { sendAt: inBeijing(Date.now() + HOUR).replace('T', ' ') }, 'sendAt'],
      ['sendAt a month 13', { sendAt: '2031-13-01T10:00:00+08:00' }, 'sendAt'],
      ['sendAt more than a year ahead', { sendAt: inBeijing(Date.now() + 367 * DAY) }, 'sendAt'],
    ]
    const before = await records()
    for (const [what, extra, field] of cases) {
      const reply = await broadcast(ORDER, { ...extra, idempotencyKey: unique('bad') })
      expect({ what, ...reply }).toMatchObject({ what, ok: false, code: 'INVALID_ARGUMENT', field, message: expect.stringMatching(new RegExp(`^${field.replace(/[$.[\]]/g, '\\$&')} `)) })
    }
    expect(await records()).toEqual(before)
  })
})

describe('a broadcast with a sendAt', () => {
  it('queues nothing until the first tick at or after it, then delivers to its audience', async () => {
    const tag = unique('later')
    const users = await holders(ORDER, [{ tags: [tag] }, { tags: [tag] }, { tags: [tag, 'y'] }, { tags: ['y'] }])
    const sendAt = Date.now() + 2 * HOUR
    const audience = { tags: tag }
    const request = { audience, sendAt: inBeijing(sendAt), idempotencyKey: unique('later') }
    const reply = await broadcast(ORDER, request)
    expect(reply).toEqual({ ok: true, campaignId: expect.stringMatching(/^cmp_/), sendAt: new Date(sendAt).toISOString() })
    const { campaignId } = reply
    const waiting = { status: 'scheduled', sendAt: new Date(sendAt).toISOString(), audience, total: 0, queued: 0, remaining: 0, sent: 0 }
    expect(await report(campaignId)).toMatchObject(waiting)
    // Asked again: the same campaign; another audience or time under the key is another broadcast.
    expect(await broadcast(ORDER, request)).toEqual(reply)
    for (const other of [{ ...request, audience: { tags: 'y' } }, { ...request, sendAt: inBeijing(sendAt + 60_000) }, { ...request, sendAt: undefined }]) {
      expect(await broadcast(ORDER, other)).toMatchObject({ ok: false, code: 'IDEMPOTENCY_MISMATCH', campaignId })
    }
    // Ticks before the time leave it waiting, with nothing queued.
    for (const early of [Date.now() + 1000, sendAt - 60_000]) {
      await product.tick(early)
      expect(await report(campaignId)).toMatchObject(waiting)
    }
    expect(await messagesOf(campaignId)).toEqual([])
    expect(await deliveredTo(users)).toEqual([0, 0, 0, 0])
    // The tick at the time starts it: queued and, in the same tick, sent.
    const tick = await product.tick(sendAt)
    expect(tick.campaignQueued).toBeGreaterThanOrEqual(3)
    expect(await drain(campaignId, () => sendAt + 1000)).toMatchObject({ status: 'queued', total: 3, sent: 3, remaining: 0, sendAt: new Date(sendAt).toISOString() })
    expect(await deliveredTo(users)).toEqual([1, 1, 1, 0])
  })

  it('starts at once when its time is already past', async () => {
    const tag = unique('past')
    const users = await holders(EVENT, [{ tags: [tag] }, { tags: [tag] }])
    const sendAt = Date.now() - 60_000
    const { campaignId } = await broadcast(EVENT, { audience: { tags: tag }, sendAt: inBeijing(sendAt) })
    expect(await report(campaignId)).toMatchObject({ status: 'queued', sendAt: new Date(sendAt).toISOString(), total: 2, remaining: 2 })
    expect(await drain(campaignId)).toMatchObject({ sent: 2, remaining: 0 })
    expect(await deliveredTo(users)).toEqual([1, 1])
  })

  it('when cancelled while it waits, never starts', async () => {
    const tag = unique('off')
    const users = await holders(ORDER, [{ tags: [tag] }])
    const sendAt = Date.now() + 3 * HOUR
    const { campaignId } = await broadcast(ORDER, { audience: { tags: tag }, sendAt: inBeijing(sendAt) })
    expect(await product.send({ action: 'campaign', campaignId, cancel: true })).toEqual({ ok: true, campaignId, status: 'cancelled', cancelled: 0 })
    await product.tick(sendAt + 1000)
    expect(await report(campaignId)).toMatchObject({ status: 'cancelled', total: 0, remaining: 0 })
    expect(await deliveredTo(users)).toEqual([0])
  })
})
