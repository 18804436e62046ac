import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnEmulator, type RunningEmulator } from '../../test/support/emulator'
import { connectSdk } from '../../test/support/sdk'
import { database } from '../cloud'
import { findTemplate } from '../templates/registry'
import { Ledger, applyOutcome, grantId } from './ledger'

const oneTime = findTemplate('bK3nQ7xR2mV9pL4sT8wY1cF6hJ0dG5aE3uZ7iO2kN9r')!
const longTerm = findTemplate('Lt5kR9mW3xC7vB1nQ4zS8dF2gH6jA0eY3uI7oP1tK5r')!

describe('applyOutcome', () => {
  const grant = (kind: 'one-time' | 'long-term') =>
    ({ openid: 'o', templateId: 't', kind, available: 2, status: 'accept', accepted: 2, epoch: 0, uncertain: 0, holding: true }) as const

  it.each([
    ['accept', { available: 3, status: 'accept', accepted: 3 }],
    ['acceptWithAudio', { available: 3, status: 'accept', accepted: 3 }],
    ['acceptWithAlert', { available: 2, status: 'reject', accepted: 2 }],
    ['reject', { available: 2, status: 'reject', accepted: 2 }],
    ['ban', { available: 2, status: 'ban', accepted: 2 }],
    ['filter', { available: 2, status: 'accept', accepted: 2 }],
  ] as const)('one-time: %s', (outcome, expected) => {
    expect(applyOutcome({ ...grant('one-time') }, outcome)).toMatchObject(expected)
  })

  it.each([
    ['accept', { available: 1, status: 'accept' }],
    ['acceptWithAlert', { available: 1, status: 'accept' }],
    ['reject', { available: 0, status: 'reject' }],
    ['ban', { available: 0, status: 'ban' }],
  ] as const)('long-term: %s', (outcome, expected) => {
    expect(applyOutcome({ ...grant('long-term') }, outcome)).toMatchObject(expected)
  })
})

describe('Ledger against the emulator', () => {
  let emulator: RunningEmulator
  let ledger: Ledger

  beforeAll(async () => {
    emulator = await spawnEmulator()
    connectSdk(emulator)
    ledger = new Ledger(database())
  })
  afterAll(() => emulator.stop())

  it('never reserves more than was granted, under any concurrency', async () => {
    await ledger.recordPopup('oL1', [{ template: oneTime, outcome: 'accept' }], 'r1')
    await ledger.recordPopup('oL1', [{ template: oneTime, outcome: 'accept' }], 'r2')
    await ledger.recordPopup('oL1', [{ template: oneTime, outcome: 'accept' }], 'r3')
    const wins = await Promise.all(Array.from({ length: 40 }, (_x, i) => ledger.reserve('oL1', oneTime, `m${i}@run@1`)))
    expect(wins.filter(Boolean)).toHaveLength(3)
    expect((await ledger.views('oL1', [oneTime]))[oneTime.id]!.available).toBe(0)
  })

  it('reserves a reservation with one conditional update, reading nothing', async () => {
    await ledger.recordPopup('oL2', [{ template: oneTime, outcome: 'accept' }], 'r1')
    await emulator.request('DELETE', '/_emulator/stats')
    expect(await ledger.reserve('oL2', oneTime, 'm1@run@1')).toEqual({ epoch: 0, key: 'm1@run@1' })
    const stats = (await emulator.request('GET', '/_emulator/stats')).body
    expect(stats.requests).toEqual({ total: 1, byAction: { 'database.modifyAndReturnDoc': 1 } })
    expect(stats.documentsExamined).toBe(1)
  })

  it('refunds and exhausts', async () => {
    await ledger.recordPopup('oL3', [{ template: oneTime, outcome: 'accept' }], 'r1')
    const reservation = await ledger.reserve('oL3', oneTime, 'm1@run@1')
    expect(reservation).toEqual({ epoch: 0, key: 'm1@run@1' })
    expect(await ledger.reservationsFor('oL3', oneTime, 'm1', 0)).toEqual({ keys: ['m1@run@1'] })
    await ledger.refund('oL3', oneTime, reservation!)
    // Refunded once, however often the refund is written.
    await ledger.refund('oL3', oneTime, reservation!)
    expect((await ledger.views('oL3', [oneTime]))[oneTime.id]!.available).toBe(1)
    expect(await ledger.reservationsFor('oL3', oneTime, 'm1', 0)).toEqual({ keys: [] })
    await ledger.exhaust('oL3', oneTime)
    expect((await ledger.views('oL3', [oneTime]))[oneTime.id]!.available).toBe(0)
  })

  it('never lets a refund revive a grant zeroed after its reservation (a card reject, a 43101)', async () => {
    for (const [user, zero] of [
      ['oL6', () => ledger.change('oL6', oneTime, 'reject')],
      ['oL7', () => ledger.exhaust('oL7', oneTime)],
    ] as const) {
      await ledger.recordPopup(user, [{ template: oneTime, outcome: 'accept' }], 'r1')
      await ledger.recordPopup(user, [{ template: oneTime, outcome: 'accept' }], 'r2')
      const reservation = await ledger.reserve(user, oneTime, 'm1@run@1')
      await zero()
      // The user accepts again before the refund lands: that new unit is the only one.
      await ledger.recordPopup(user, [{ template: oneTime, outcome: 'accept' }], 'r3')
      await ledger.refund(user, oneTime, reservation!)
      expect((await ledger.views(user, [oneTime]))[oneTime.id]).toMatchObject({ available: 1, uncertain: 0 })
    }
  })

  it('checks a long-term grant without consuming it, with one conditional update that records the reservation', async () => {
    await ledger.recordPopup('oL4', [{ template: longTerm, outcome: 'accept' }], 'r1')
    await emulator.request('DELETE', '/_emulator/stats')
    for (let i = 0; i < 3; i++) expect(await ledger.reserve('oL4', longTerm, `m${i}@run@${i}`)).toBeDefined()
    const stats = (await emulator.request('GET', '/_emulator/stats')).body
    expect(stats.requests).toEqual({ total: 3, byAction: { 'database.modifyAndReturnDoc': 3 } })
    expect(await ledger.reservationsFor('oL4', longTerm, 'm2', 0)).toEqual({ keys: ['m2@run@2'] })
    await ledger.recordPopup('oL4', [{ template: longTerm, outcome: 'reject' }], 'r2')
    expect(await ledger.reserve('oL4', longTerm, 'm9@run@9')).toBeUndefined()
  })

  it('keeps the last reservations it took, says when a key may have fallen off, and counts an uncertain unit once per key', async () => {
    const kept = 32
    for (let i = 0; i < kept + 8; i++) await ledger.recordPopup('oL8', [{ template: oneTime, outcome: 'accept' }], `r${i}`)
    for (let i = 0; i < kept + 8; i++) await ledger.reserve('oL8', oneTime, `m${i}@run@${1000 + i}`)
    expect(await ledger.reservationsFor('oL8', oneTime, 'm39', 1039)).toEqual({ keys: ['m39@run@1039'] })
    // m3's key fell off: a message taken up no later than the oldest key kept (m8's) cannot be told.
    expect(await ledger.reservationsFor('oL8', oneTime, 'm3', 1003)).toBe('unsure')
    // One taken up after it would have its key among those kept: none means none was taken.
    expect(await ledger.reservationsFor('oL8', oneTime, 'm99', 1500)).toEqual({ keys: [] })
    for (let i = 0; i < 3; i++) await ledger.uncertain('oL8', oneTime, 'm39@run@1039')
    await ledger.uncertain('oL8', oneTime, 'm38@run@1038')
    expect((await ledger.views('oL8', [oneTime]))[oneTime.id]).toMatchObject({ available: 0, uncertain: 2 })
  })

  it('applies a report once per requestId, as one transaction', async () => {
    const report = [
      { template: oneTime, outcome: 'accept' as const },
      { template: longTerm, outcome: 'accept' as const },
    ]
    await Promise.all([1, 2, 3].map(() => ledger.recordPopup('oL5', report, 'same')))
    const views = await ledger.views('oL5', [oneTime, longTerm])
    expect(views[oneTime.id]!.available).toBe(1)
    expect(views[longTerm.id]!.status).toBe('accept')
    const grants = (await emulator.request('GET', '/_emulator/db/grants?limit=1000')).body.data
    expect(grants.find((g: { _id: string }) => g._id === grantId('oL5', oneTime.id))).toMatchObject({ accepted: 1 })
  })

  it('records one popup per template of an applied report, as the ledger applied its outcome, in the same transaction', async () => {
    const popups = async () => (await emulator.request('GET', `/_emulator/db/popups?limit=100&after=0&filter=${encodeURIComponent('{"openid":"oL9"}')}`)).body.data
    expect(await ledger.recordPopup('oL9', [{ template: oneTime, outcome: 'acceptWithAudio' }, { template: longTerm, outcome: 'acceptWithAudio' }], 'r1')).toBe(true)
    // Applied once: the same report again adds no record.
    expect(await ledger.recordPopup('oL9', [{ template: oneTime, outcome: 'reject' }], 'r1')).toBe(false)
    // A pushed list naming a template twice is one record, and the report still applies.
    expect(await ledger.recordPopup('oL9', [{ template: oneTime, outcome: 'ban' }, { template: oneTime, outcome: 'ban' }], 'r2')).toBe(true)
    expect(await ledger.recordPopup('oL9', [{ template: oneTime, outcome: 'filter' }], 'r3')).toBe(true)
    expect((await popups()).map((p: Record<string, unknown>) => [p._id, p.outcome, p.templateId])).toEqual([
      [`oL9:r1:${oneTime.id}`, 'accept', oneTime.id],
      // acceptWithAudio is no long-term accept: applied, and recorded, as a reject.
      [`oL9:r1:${longTerm.id}`, 'reject', longTerm.id],
      [`oL9:r2:${oneTime.id}`, 'ban', oneTime.id],
      [`oL9:r3:${oneTime.id}`, 'filter', oneTime.id],
    ])
    expect((await ledger.views('oL9', [longTerm]))[longTerm.id]!.status).toBe('reject')
    const indexes = (await emulator.request('GET', '/_emulator/db/popups/indexes')).body.data
    expect(indexes).toContainEqual({ name: 'templateOutcomeAt', unique: false, keys: ['templateId', 'outcome', 'at'].map((field) => ({ field, direction: 1 })) })
  })
})
