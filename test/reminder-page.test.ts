// @vitest-environment jsdom
/**
 * The reminder page through its real WXML (a page built with Component(),
 * rendered by miniprogram-simulate with the subscribe button inside it),
 * against the emulator: subscribe, schedule one reminder per appointment,
 * see it queued, replace it, cancel it; everything a user reads in Chinese.
 */
import { describe, expect, it } from 'vitest'
import type { RenderedComponent } from 'miniprogram-simulate'
import { MiniProgram } from './support/miniprogram'
import { englishShown, render, tap, textOf, textsOf } from './support/render'
import { APPOINTMENT, newOpenid, useProduct } from './support/product'

const { emulator, product } = useProduct(['--no-timers', '--max-instances', '20'])

/** The subscribe button inside the page, a component of its own. */
const button = (page: RenderedComponent) => page.querySelector('#subscribe') as RenderedComponent

describe('the reminder page, rendered', () => {
  it('subscribes with its button, schedules, replaces under the same appointment, and cancels from the queue', async () => {
    const app = new MiniProgram(emulator, newOpenid('oPage'), 'cloud')
    app.launch()
    await app.open('pages/index/index')
    const page = render(app, 'pages/reminder/reminder')
    await page.instance.onShow()
    await app.idle()
    expect(textsOf(button(page), '.count')).toEqual(['剩余 0 次'])
    expect(textOf(page, '.empty')).toBe('没有待发送的提醒')

    await tap(app, button(page), '.subscribe-button')
    expect(textsOf(button(page), '.count')).toEqual(['剩余 1 次'])

    page.querySelector('.what')!.dispatchEvent('input', { detail: { value: '复查牙齿' } })
    page.querySelector('.appointment')!.dispatchEvent('input', { detail: { value: '7' } })
    await tap(app, page, '.schedule')
    expect(textsOf(page, '.when')).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d · 待发送$/)])
    expect(textOf(page, '.replaced')).toBeUndefined()

    await tap(app, page, '.schedule')
    expect(textOf(page, '.replaced')).toBe('已替换同一预约之前的提醒')
    expect(textsOf(page, '.when')).toHaveLength(1)

    await tap(app, page, '.cancel')
    expect(textOf(page, '.empty')).toBe('没有待发送的提醒')
    expect(await product.delivered(app.openid)).toEqual([])
    expect(await product.oracleQuota(app.openid, APPOINTMENT)).toMatchObject({ available: 1 })
    expect(englishShown(page)).toEqual([])
  })
})
