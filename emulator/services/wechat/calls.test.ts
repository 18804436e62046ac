/**
 * The emulator's WeChat, continued: the template-management cloud calls and
 * the events it pushes.
 */
import { describe, expect, it } from 'vitest'
import { CLASS, ORDER, newUser, orderData, useWechat } from './harness'

const { emulator, subscribe, send } = useWechat()

describe('template management cloud calls', () => {
  const manage = async (method: string, data?: Record<string, unknown>): Promise<any> => emulator.result('manager', { method, data })

  it('lists the registry templates with their content, kind and enum values', async () => {
    const reply = await manage('getTemplateList')
    const order = reply.ok.data.find((t: { priTmplId: string }) => t.priTmplId === ORDER)
    expect(order).toMatchObject({ title: '订单提醒', type: 2, content: expect.stringContaining('{{thing1.DATA}}') })
    expect(order.keywordEnumValueList).toEqual([{ keywordCode: 'enum3.DATA', enumValueList: ['已发货', '已签收'] }])
    expect(reply.ok.data.find((t: { priTmplId: string }) => t.priTmplId === CLASS).type).toBe(3)
    expect((await emulator.request('GET', '/_emulator/wechat/templates')).body.data).toHaveLength(reply.ok.data.length)
  })

  it('browses the public library', async () => {
    expect((await manage('getCategory')).ok.data).toContainEqual({ id: 612, name: '电商平台' })
    const titles = await manage('getPubTemplateTitleList', { ids: '612,8', start: 0, limit: 2 })
    expect(titles.ok.count).toBe(5)
    expect(titles.ok.data).toHaveLength(2)
    expect((await manage('getPubTemplateTitleList', { ids: '612', start: 0, limit: 31 })).error.errCode).toBe(200017)
    const keywords = await manage('getPubTemplateKeyWordsById', { tid: 1168 })
    expect(keywords.ok.data[0]).toEqual({ kid: 1, name: '订单编号', example: 'SO20261127001', rule: 'character_string' })
    expect((await manage('getPubTemplateKeyWordsById', { tid: 1 })).error.errCode).toBe(200014)
  })

  it('adds a template that can then be subscribed to and sent, and deletes it', async () => {
    const added = await manage('addTemplate', { tid: 1168, kidList: [1, 2, 3], sceneDesc: '发货后通知' })
    const id = added.ok.priTmplId
    expect(id).toMatch(/^[\w-]{43}$/)
    const user = newUser()
    await subscribe(user, { [id]: 'accept' })
    const data = { character_string1: { value: 'SO9' }, thing2: { value: '杯子' }, amount3: { value: '¥9.90' } }
    expect((await send({ touser: user, templateId: id, data })).ok).toBeDefined()
    expect((await manage('deleteTemplate', { priTmplId: id })).ok).toBeDefined()
    expect((await send({ touser: user, templateId: id, data })).error.errCode).toBe(40037)
    expect((await manage('deleteTemplate', { priTmplId: id })).error.errCode).toBe(40037)
  })

  it.each([
    ['an unknown tid', { tid: 1, kidList: [1, 2] }, 200014],
    ['one keyword', { tid: 1168, kidList: [1] }, 200020],
    ['six keywords', { tid: 1168, kidList: [1, 2, 3, 4, 5, 6] }, 200020],
    ['a keyword the template lacks', { tid: 1168, kidList: [1, 9] }, 200020],
    ['a long scene', { tid: 1168, kidList: [1, 2], sceneDesc: '一二三四五六七八九十一二三四五六' }, 200021],
  ])('refuses to add with %s', async (_name, data, errCode) => {
    expect((await manage('addTemplate', data)).error.errCode).toBe(errCode)
  })

  it('allows at most 25 private templates', async () => {
    const count = (await manage('getTemplateList')).ok.data.length
    for (let i = count; i < 25; i++) expect((await manage('addTemplate', { tid: 99, kidList: [1, 2] })).ok).toBeDefined()
    expect((await manage('addTemplate', { tid: 99, kidList: [1, 2] })).error.errCode).toBe(200012)
    const list = (await manage('getTemplateList')).ok.data as Array<{ priTmplId: string; title: string }>
    for (const t of list.filter((t) => t.title === '预约成功通知')) await manage('deleteTemplate', { priTmplId: t.priTmplId })
  })
})

describe('events', () => {
  const pushed = async () => (await emulator.request('GET', '/_emulator/db/pushed?limit=1000')).body.data
  const eventsFor = async (openid: string, name: string) => {
    for (let i = 0; i < 40; i++) {
      const found = (await pushed()).filter((p: any) => p.event.FromUserName === openid && p.event.Event === name)
      if (found.length) return found
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return []
  }

  it('pushes the popup answer to the receiver, List one object for one entry', async () => {
    const openid = newUser()
    await subscribe(openid, { ONE_TIME_A: 'accept' })
    const [record] = await eventsFor(openid, 'subscribe_msg_popup_event')
    expect(record.event).toEqual({
      ToUserName: expect.stringMatching(/^gh_/),
      FromUserName: openid,
      CreateTime: expect.any(Number),
      MsgType: 'event',
      Event: 'subscribe_msg_popup_event',
      List: { TemplateId: 'ONE_TIME_A', SubscribeStatusString: 'accept', PopupScene: '0' },
    })
    // Pushed by WeChat, about the user: their OPENID in the receiver's context, no userInfo in the event.
    expect(record.context).toMatchObject({ OPENID: openid, SOURCE: 'wx_unknown' })
  })

  it('pushes a List array for several entries', async () => {
    const openid = newUser()
    await subscribe(openid, { ONE_TIME_A: 'accept', ONE_TIME_B: 'reject' })
    const [record] = await eventsFor(openid, 'subscribe_msg_popup_event')
    expect(record.event.List).toEqual([
      { TemplateId: 'ONE_TIME_A', SubscribeStatusString: 'accept', PopupScene: '0' },
      { TemplateId: 'ONE_TIME_B', SubscribeStatusString: 'reject', PopupScene: '0' },
    ])
  })

  it('pushes a reject from a message card and zeroes the quota', async () => {
    const openid = newUser()
    await subscribe(openid, { [ORDER]: 'accept' })
    expect((await emulator.request('POST', '/_emulator/wechat/reject', { openid, templateId: ORDER })).body).toEqual({ available: 0, status: 'reject' })
    const [record] = await eventsFor(openid, 'subscribe_msg_change_event')
    expect(record.event.List).toEqual({ TemplateId: ORDER, SubscribeStatusString: 'reject' })
    expect((await send({ touser: openid, templateId: ORDER, data: orderData })).error.errCode).toBe(43101)
  })

  it('pushes an asynchronous send failure', async () => {
    const openid = newUser()
    await subscribe(openid, { [ORDER]: 'accept' })
    const { ok } = await send({ touser: openid, templateId: ORDER, data: orderData })
    const failed = await emulator.request('POST', `/_emulator/wechat/messages/${ok.msgid}/fail`, { errorCode: 10002, errorStatus: 'fail' })
    expect(failed.body.failed).toEqual({ errorCode: 10002, errorStatus: 'fail' })
    const [record] = await eventsFor(openid, 'subscribe_msg_sent_event')
    expect(record.event.List).toEqual({ TemplateId: ORDER, MsgID: ok.msgid, ErrorCode: 10002, ErrorStatus: 'fail' })
    const log = (await emulator.request('GET', '/_emulator/wechat/events')).body.data
    expect(log.some((e: any) => e.event.Event === 'subscribe_msg_sent_event' && e.receiver === 'pushlog')).toBe(true)
  })
})
