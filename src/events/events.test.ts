/** Accepts counted from WeChat's popup events (acceptsFrom "events"), against the emulator through the real SDK. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnEmulator, type RunningEmulator } from '../../test/support/emulator'
import { connectSdk } from '../../test/support/sdk'
import { database } from '../cloud'
import { Ledger } from '../ledger/ledger'
import { subscriptions } from '../subscriptions/subscriptions'
import { findTemplate } from '../templates/registry'
import { identify } from '../caller'
import { applyEvent, entries } from './events'

const APPOINTMENT = 'bK3nQ7xR2mV9pL4sT8wY1cF6hJ0dG5aE3uZ7iO2kN9r'
const ORDER = 'Hq8vT2nW5yB1xK7mR4cZ9pL3sD6fJ0gA2eU8iO5tY1w'
/** WeChat's push: about the user whose OPENID it carries, from no client. */
const push = (openid: string) => identify({ openid, source: 'wx_unknown' })

let emulator: RunningEmulator

beforeAll(async () => {
  emulator = await spawnEmulator()
  connectSdk(emulator)
})
afterAll(() => emulator.stop())

const popup = (openid: string, list: unknown, createTime = 1700000000) => ({
  ToUserName: 'gh_0123456789ab',
  FromUserName: openid,
  CreateTime: createTime,
  MsgType: 'event',
  Event: 'subscribe_msg_popup_event',
  List: list,
})

const available = async (openid: string, id: string) =>
  (await new Ledger(database()).views(openid, [findTemplate(id)!]))[id]!.available

describe('entries', () => {
  it('normalises List: one object or an array', () => {
    expect(entries({ a: 1 })).toEqual([{ a: 1 }])
    expect(entries([{ a: 1 }, { b: 2 }])).toEqual([{ a: 1 }, { b: 2 }])
    expect(entries(undefined)).toEqual([])
  })
})

describe('accepts from events', () => {
  it('counts an accept once, even when the same push arrives twice', async () => {
    const event = popup('oEv1', [
      { TemplateId: APPOINTMENT, SubscribeStatusString: 'accept', PopupScene: '0' },
      { TemplateId: ORDER, SubscribeStatusString: 'reject', PopupScene: '0' },
    ])
    expect(await applyEvent(database(), push('oEv1'), event, 'events')).toMatchObject({ ok: true, applied: 2 })
    await applyEvent(database(), push('oEv1'), event, 'events')
    expect(await available('oEv1', APPOINTMENT)).toBe(1)
    await applyEvent(database(), push('oEv1'), popup('oEv1', { TemplateId: APPOINTMENT, SubscribeStatusString: 'accept' }, 1700000001), 'events')
    expect(await available('oEv1', APPOINTMENT)).toBe(2)
  })

  it('then the mini-program report is read back but not counted', async () => {
    await applyEvent(database(), push('oEv2'), popup('oEv2', { TemplateId: APPOINTMENT, SubscribeStatusString: 'accept' }), 'events')
    const reply = await subscriptions(database(), identify({ openid: 'oEv2', source: 'wx_client' }), { results: { [APPOINTMENT]: 'accept' } }, 'events')
    expect(reply).toMatchObject({ ok: true, grants: { [APPOINTMENT]: { available: 1 } } })
  })

  it('while reports count, popup events are acknowledged and ignored', async () => {
    const reply = await applyEvent(database(), push('oEv3'), popup('oEv3', { TemplateId: APPOINTMENT, SubscribeStatusString: 'accept' }), 'reports')
    expect(reply).toMatchObject({ ok: true, applied: 0 })
    expect(await available('oEv3', APPOINTMENT)).toBe(0)
  })
})

describe('a popup event releases messages waiting for a grant', () => {
  it('one per accept, the oldest first, and the same push twice releases one', async () => {
    const messages = database().collection('messages')
    const waiting = (id: string, at: number) => ({ _id: id, idempotencyKey: id, touser: 'oEv4', templateId: APPOINTMENT, status: 'waiting', dueAt: new Date(Date.now() + 3600_000), queueSlot: id, createdAt: new Date(at) })
    await messages.add({ data: waiting('msg_ev4_older', Date.now() - 2000) })
    await messages.add({ data: waiting('msg_ev4_newer', Date.now() - 1000) })
    const event = popup('oEv4', { TemplateId: APPOINTMENT, SubscribeStatusString: 'accept' }, 1700000100)
    await applyEvent(database(), push('oEv4'), event, 'events')
    await applyEvent(database(), push('oEv4'), event, 'events')
    const status = async (id: string) => ((await messages.doc(id).get()).data as { status: string }).status
    expect(await status('msg_ev4_older')).toBe('scheduled')
    expect(await status('msg_ev4_newer')).toBe('waiting')
    // Not counted from events: nothing is released either.
    await applyEvent(database(), push('oEv4'), popup('oEv4', { TemplateId: APPOINTMENT, SubscribeStatusString: 'accept' }, 1700000101), 'reports')
    expect(await status('msg_ev4_newer')).toBe('waiting')
  })
})
