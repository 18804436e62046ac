import { describe, expect, it } from 'vitest'
import { Slots } from './slots'

describe('send slots', () => {
  it('let at most their number hold at once, and serve the rest in the order they asked', async () => {
    const slots = new Slots(2)
    const order: number[] = []
    let holding = 0
    let most = 0
    await Promise.all(
      [0, 1, 2, 3, 4].map(async (n) => {
        const release = await slots.acquire()
        order.push(n)
        most = Math.max(most, ++holding)
        await new Promise((resolve) => setTimeout(resolve, 5))
        holding -= 1
        release()
      }),
    )
    expect(most).toBe(2)
    expect(order).toEqual([0, 1, 2, 3, 4])
  })

  it('count a slot released twice once', async () => {
    const slots = new Slots(1)
    const release = await slots.acquire()
    release()
    release()
    await slots.acquire()
    let second = false
    void slots.acquire().then(() => (second = true))
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(second).toBe(false)
  })
})
