/** WeChat's own funnel, counted as popups are answered and sends answered, read through its control route. */
import { describe, expect, it } from 'vitest'
import { beijingDate, startOfBeijingDay } from './funnel'
import { CLASS, ORDER, classData, newUser, orderData, useWechat } from './harness'

const { emulator, subscribe, send } = useWechat()

const funnel = async (days?: number) => (await emulator.request('GET', `/_emulator/wechat/funnel${days === undefined ? '' : `?days=${days}`}`)).body.data
const today = (rows: Array<{ date: string; templateId: string }>, templateId: string) => rows.find((r) => r.date === beijingDate(Date.now()) && r.templateId === templateId)

describe('the funnel route', () => {
  it('names UTC+8 days', () => {
    expect(beijingDate(Date.UTC(2025, 0, 9, 15, 59, 59, 999))).toBe('2025-01-09')
    expect(beijingDate(Date.UTC(2025, 0, 9, 16))).toBe('2025-01-10')
    expect(startOfBeijingDay(Date.UTC(2025, 0, 10, 4))).toBe(Date.UTC(2025, 0, 9, 16))
  })

  it('counts popup answers, deliveries and refusals by errcode, per template and day', async () => {
    const before = await funnel(1)
    const openid = newUser()
    await subscribe(openid, { ONE_TIME_ORDER: 'accept', ONE_TIME_ORDER_TWIN: 'accept', ONE_TIME_A: 'reject' })
    await subscribe(openid, { [ORDER]: 'ban' })
    await subscribe(openid, { [CLASS]: 'accept' })
    expect((await subscribe(openid, {})).status).toBe(400)
    await send({ touser: openid, templateId: CLASS, data: classData })
    await send({ touser: openid, templateId: ORDER, data: orderData })
    await send({ touser: openid, templateId: 'NOPE', data: orderData })
    await emulator.request('PUT', '/_emulator/wechat/faults', { errcode: -1 })
    await send({ touser: openid, templateId: CLASS, data: classData })
    await emulator.request('DELETE', '/_emulator/wechat/faults')

    const after = await funnel(1)
    const added = (templateId: string) => {
      const [a, b] = [today(after, templateId) as any, (today(before, templateId) as any) ?? { asked: 0, accepted: 0, rejected: 0, banned: 0, delivered: 0, refused: {} }]
      const refused = Object.fromEntries(Object.entries(a.refused as Record<string, number>).map(([code, n]) => [code, n - (b.refused[code] ?? 0)]).filter(([, n]) => n !== 0))
      return { asked: a.asked - b.asked, accepted: a.accepted - b.accepted, rejected: a.rejected - b.rejected, banned: a.banned - b.banned, delivered: a.delivered - b.delivered, refused }
    }
    expect(added(ORDER)).toEqual({ asked: 2, accepted: 1, rejected: 0, banned: 1, delivered: 0, refused: { 43107: 1 } })
    expect(added('ONE_TIME_ORDER_TWIN')).toEqual({ asked: 1, accepted: 0, rejected: 0, banned: 0, delivered: 0, refused: {} })
    expect(added('ONE_TIME_A')).toEqual({ asked: 1, accepted: 0, rejected: 1, banned: 0, delivered: 0, refused: {} })
    expect(added(CLASS)).toEqual({ asked: 1, accepted: 1, rejected: 0, banned: 0, delivered: 1, refused: { '-1': 1 } })
    // A template the account does not have is WeChat's to refuse, and still counted under the id named.
    expect(added('NOPE')).toEqual({ asked: 0, accepted: 0, rejected: 0, banned: 0, delivered: 0, refused: { 40037: 1 } })
  })

  it('gives every template of the account for each of the last days, oldest first', async () => {
    const rows = await funnel()
    const templates = (await emulator.request('GET', '/_emulator/wechat/templates')).body.data.map((t: { priTmplId: string }) => t.priTmplId)
    const dates = [...new Set(rows.map((r: { date: string }) => r.date))]
    expect(dates).toHaveLength(7)
    expect(dates.at(-1)).toBe(beijingDate(Date.now()))
    expect(dates).toEqual([...dates].sort())
    for (const date of dates) expect(rows.filter((r: { date: string }) => r.date === date).map((r: { templateId: string }) => r.templateId).slice(0, templates.length)).toEqual(templates)
    expect(await funnel(31)).toHaveLength(31 * (rows.length / 7))
    for (const days of ['0', '32', '1.5', 'x', '']) expect((await emulator.request('GET', `/_emulator/wechat/funnel?days=${days}`)).status).toBe(400)
  })
})
