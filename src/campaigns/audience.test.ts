/** Reading a broadcast's audience, and its translation to the SDK's commands. */
import { describe, expect, it } from 'vitest'
import type { Database } from '../cloud'
import { Refusal } from '../replies'
import { AUDIENCE_CONDITIONS_MAX, AUDIENCE_LIST_MAX, AUDIENCE_VALUES_MAX, allOf, audienceClauses, readAudience } from './audience'

const FIELDS = ['tags', 'city', 'level', 'vip']

/** The field the refusal names, or the audience as read. */
function read(audience: unknown, fields: readonly string[] = FIELDS): unknown {
  try {
    return readAudience({ audience }, fields)
  } catch (error) {
    if (!(error instanceof Refusal)) throw error
    expect(error.reply.code).toBe('INVALID_ARGUMENT')
    return { refused: error.reply.field, message: error.reply.message }
  }
}

const refused = (audience: unknown, field: string, fields?: readonly string[]) => expect(read(audience, fields)).toMatchObject({ refused: field })

/** Stands in for `db.command`: each command as the query language writes it, so a translation reads as its filter. */
const command = new Proxy(
  {},
  {
    get: (_target, name: string) =>
      name === 'and' || name === 'or'
        ? (list: unknown[]) => ({ [`$${name}`]: list })
        : (operand: unknown) => ({ [name === 'neq' ? '$ne' : `$${name}`]: operand }),
  },
) as Database['command']

const translated = (audience: Record<string, unknown>) => allOf(audienceClauses(audience, command), command)

describe('readAudience', () => {
  it('takes equality and every operator on a declared field, $and and $or, and gives the filter as written', () => {
    const audiences = [
      { tags: 'vip' },
      { city: '北京' },
      { level: 3, vip: true },
      { tags: { $in: ['vip', 'beta'] } },
      { tags: { $nin: ['churned'] }, city: { $ne: '上海' } },
      { level: { $gte: 2, $lt: 5 } },
      { city: { $gt: 'A', $lte: 'M' } },
      { vip: { $eq: false } },
      { tags: { $exists: true } },
      { $or: [{ tags: 'vip' }, { $and: [{ level: { $gt: 3 } }, { city: '北京' }] }] },
      { tags: 'vip', $and: [{ $or: [{ city: '北京' }, { city: '上海' }] }] },
    ]
    for (const audience of audiences) expect(read(audience)).toEqual(audience)
    expect(readAudience({}, FIELDS)).toBeUndefined()
  })

  it('refuses a field the settings do not name, whatever its condition, and says which fields may be used', () => {
    refused({ phone: '138' }, 'audience.phone')
    refused({ _id: 'oUser' }, 'audience._id')
    refused({ 'tags.0': 'vip' }, 'audience.tags.0')
    refused({ $or: [{ tags: 'vip' }, { openid: { $in: ['o1'] } }] }, 'audience.$or[1].openid')
    expect(read({ city: '北京' }, ['tags'])).toMatchObject({ refused: 'audience.city', message: expect.stringContaining('campaigns.audienceFields: tags') })
    refused({ tags: 'vip' }, 'audience.tags', [])
  })

  it('refuses an operator it does not take, where it stands', () => {
    refused({ $nor: [{ tags: 'vip' }] }, 'audience.$nor')
    refused({ $where: 'true' }, 'audience.$where')
    refused({ tags: { $regex: '^v' } }, 'audience.tags.$regex')
    refused({ tags: { $elemMatch: { $eq: 'vip' } } }, 'audience.tags.$elemMatch')
    refused({ tags: { $in: ['vip'], size: 1 } }, 'audience.tags.size')
    refused({ $or: [{ tags: { $not: { $eq: 'vip' } } }] }, 'audience.$or[0].tags.$not')
  })

  it('refuses a value of the wrong type, naming the place', () => {
    refused('vip', 'audience')
    refused(['tags'], 'audience')
    refused(null, 'audience')
    refused({}, 'audience')
    refused({ tags: null }, 'audience.tags')
    refused({ tags: ['vip'] }, 'audience.tags')
    refused({ tags: {} }, 'audience.tags')
    refused({ tags: { $in: 'vip' } }, 'audience.tags.$in')
    refused({ tags: { $in: [] } }, 'audience.tags.$in')
    refused({ tags: { $in: ['vip', { $gt: '' }] } }, 'audience.tags.$in[1]')
    refused({ tags: { $nin: ['vip', null] } }, 'audience.tags.$nin[1]')
    refused({ level: { $gt: true } }, 'audience.level.$gt')
    refused({ level: { $lte: [1] } }, 'audience.level.$lte')
    refused({ level: { $eq: { a: 1 } } }, 'audience.level.$eq')
    refused({ tags: { $exists: 1 } }, 'audience.tags.$exists')
    refused({ tags: 'x'.repeat(201) }, 'audience.tags')
    refused({ $and: { tags: 'vip' } }, 'audience.$and')
    refused({ $or: [] }, 'audience.$or')
    refused({ $or: [{}] }, 'audience.$or[0]')
    refused({ $or: ['vip'] }, 'audience.$or[0]')
    expect(read({ tags: null })).toMatchObject({ message: expect.stringContaining('$exists') })
  })

  it('refuses $and and $or nested more than three deep, and filters too large', () => {
    const nested = (depth: number): Record<string, unknown> => (depth === 0 ? { tags: 'vip' } : { $or: [nested(depth - 1)] })
    expect(read(nested(3))).toEqual(nested(3))
    refused(nested(4), 'audience.$or[0].$or[0].$or[0].$or')
    refused({ $or: Array.from({ length: 11 }, () => ({ tags: 'vip' })) }, 'audience.$or')
    refused({ tags: { $in: Array.from({ length: AUDIENCE_LIST_MAX + 1 }, (_, i) => `t${i}`) } }, 'audience.tags.$in')
    const conditions = (n: number) => ({ $and: Array.from({ length: 10 }, () => ({ $or: Array.from({ length: n / 10 }, () => ({ tags: 'vip' })) })) })
    expect(read(conditions(AUDIENCE_CONDITIONS_MAX))).toEqual(conditions(AUDIENCE_CONDITIONS_MAX))
    refused(conditions(AUDIENCE_CONDITIONS_MAX + 10), 'audience')
    const list = Array.from({ length: AUDIENCE_LIST_MAX }, (_, i) => `t${i}`)
    expect(read({ tags: { $in: list }, city: { $nin: list } })).toMatchObject({ tags: { $in: list } })
    refused({ tags: { $in: list }, city: { $nin: list }, level: 1 }, 'audience')
    expect(AUDIENCE_VALUES_MAX).toBe(2 * AUDIENCE_LIST_MAX)
  })
})

describe('audienceClauses', () => {
  it('gives one clause per condition, each operator as its command', () => {
    expect(translated({ tags: 'vip' })).toEqual({ tags: 'vip' })
    expect(translated({ tags: 'vip', city: '北京' })).toEqual({ $and: [{ tags: 'vip' }, { city: '北京' }] })
    expect(translated({ level: { $gte: 2, $lt: 5 } })).toEqual({ $and: [{ level: { $gte: 2 } }, { level: { $lt: 5 } }] })
    expect(translated({ tags: { $in: ['a'], $nin: ['b'] }, city: { $ne: 'x', $exists: true }, vip: { $eq: true } })).toEqual({
      $and: [{ tags: { $in: ['a'] } }, { tags: { $nin: ['b'] } }, { city: { $ne: 'x' } }, { city: { $exists: true } }, { vip: { $eq: true } }],
    })
    expect(translated({ level: { $gt: 1, $lte: 9 } })).toEqual({ $and: [{ level: { $gt: 1 } }, { level: { $lte: 9 } }] })
  })

  it('keeps $and and $or as logic commands of their branches', () => {
    expect(translated({ $or: [{ tags: 'vip' }, { city: '北京', level: { $gt: 3 } }] })).toEqual({
      $or: [{ tags: 'vip' }, { $and: [{ city: '北京' }, { level: { $gt: 3 } }] }],
    })
    expect(translated({ tags: 'vip', $and: [{ $or: [{ city: 'a' }, { city: 'b' }] }] })).toEqual({
      $and: [{ tags: 'vip' }, { $and: [{ $or: [{ city: 'a' }, { city: 'b' }] }] }],
    })
  })
})
