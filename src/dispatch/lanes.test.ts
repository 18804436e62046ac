import { describe, expect, it } from 'vitest'
import type { MessageRecord } from '../outbox/outbox'
import type { Claim } from './claim'
import { Lanes } from './lanes'

let made = 0
/** A claim of one message per recipient named, numbered in the order made. */
const claimOf = (...recipients: string[]) =>
  ({ messages: recipients.map((touser) => ({ _id: `${touser}${++made}`, touser }) as MessageRecord) }) as unknown as Claim

describe('lanes', () => {
  it('hand one recipient to one worker at a time, with what later claims add for it', async () => {
    const lanes = new Lanes()
    lanes.add(claimOf('a', 'b', 'a'))
    expect(lanes.waiting).toBe(3)
    const first = await lanes.nextLane()
    const second = await lanes.nextLane()
    expect([first, second]).toEqual(['a', 'b'])
    expect(lanes.take('a')?.message._id).toBe('a1')
    // A later claim's message for `a` joins the running lane; `c` gets a lane of its own.
    lanes.add(claimOf('a', 'c'))
    expect(await lanes.nextLane()).toBe('c')
    expect([lanes.take('a')?.message._id, lanes.take('a')?.message._id, lanes.take('a')]).toEqual(['a3', 'a4', undefined])
    expect(lanes.take('b')?.message._id).toBe('b2')
    expect(lanes.take('b')).toBeUndefined()
    expect(lanes.idle).toBe(false)
    expect(lanes.take('c')?.message._id).toBe('c5')
    expect(lanes.take('c')).toBeUndefined()
    expect(lanes.idle).toBe(true)
  })

  it('wake a waiting worker when a claim arrives, and return undefined once closed', async () => {
    const lanes = new Lanes()
    const waiting = lanes.nextLane()
    lanes.add(claimOf('a'))
    expect(await waiting).toBe('a')
    const idle = lanes.nextLane()
    lanes.close()
    expect(await idle).toBeUndefined()
  })

  it('resolve `until` once its condition holds after a change', async () => {
    const lanes = new Lanes()
    lanes.add(claimOf('a', 'b'))
    const roomy = lanes.until(() => lanes.waiting < 2)
    await lanes.nextLane()
    lanes.take('a')
    await roomy
    expect(lanes.waiting).toBe(1)
  })
})
