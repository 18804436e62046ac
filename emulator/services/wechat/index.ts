/**
 * WeChat's side: the popup, the true quota, the send rules, the delivered
 * messages, faults, template management, and the events it pushes to the
 * project's message-push receiver; reached by cloud call and by its HTTPS
 * server API (login codes, access tokens), both through the same APIs.
 */
import { existsSync } from 'node:fs'
import type Database from 'better-sqlite3'
import type { ProjectDefinition } from '../../project'
import type { Service } from '../../service'
import type { Stats } from '../../stats'
import type { Caller, FunctionsRuntime } from '../functions/runtime'
import type { OpenApiHandler } from '../openapi/router'
import type { WechatEvent } from './events'
import { Faults } from './faults'
import { WechatGateway } from './gateway'
import { httpsRoutes, type WechatApi } from './https'
import { LoginCodes } from './logins'
import { templateManagement } from './management'
import { loadRegistry } from './registry'
import { wechatRoutes, type EventRecord } from './router'
import { contentCheck } from './security'
import { WechatStore } from './store'
import { TokenAuthority, tokenTimes } from './tokens'

export interface WechatService extends Service {
  gateway: WechatGateway
  /** The cloud-call APIs WeChat serves (subscribeMessage.*, security.msgSecCheck). */
  apis: Record<string, OpenApiHandler>
}

export function createWechatService(options: {
  connection: Database.Database
  project: ProjectDefinition
  /** Invokes the message-push receiver, as the platform does. */
  invoke: FunctionsRuntime['invoke']
  /** The SOURCE a push carries ('' for none). */
  pushSource: string
  /** The app's AppSecret, which the HTTPS API's AppID (the project's) goes with. */
  appSecret: string
  /** An access token's lifetime in seconds (WeChat's is 7200); its other times scale with it. */
  tokenLifetimeS: number
  stats: Stats
  log: (line: string) => void
}): WechatService {
  const { project, log } = options
  const events: EventRecord[] = []
  const push = (event: WechatEvent) => {
    const receiver = project.messagePushReceiver ?? null
    const record: EventRecord = { event, receiver, outcome: receiver ? 'pending' : 'no receiver' }
    events.push(record)
    if (!receiver) return
    // As the platform delivers a push: the context names the user the event is about (and the
    // app); the event is WeChat's own, without the userInfo of a mini-program call.
    const caller: Caller = { source: options.pushSource || undefined, openid: event.FromUserName }
    options.invoke(receiver, event, caller).then(
      () => (record.outcome = 'delivered'),
      (error: Error) => {
        record.outcome = 'failed'
        record.error = error.message
        log(`message push to ${receiver} failed: ${error.message.split('\n')[0]}`)
      },
    )
  }
  const store = new WechatStore(options.connection)
  const faults = new Faults()
  const gateway = new WechatGateway(store, faults, { appJsonPath: project.appJsonPath, appid: project.appid, emit: push })
  const registry = loadRegistry(project.templatesPath)
  gateway.installRegistry(registry)
  // A project of another shape still runs; start-up says what WeChat will then answer, once.
  if (registry.length === 0) {
    log(
      `warning: no templates at ${project.templatesPath}: every popup will answer 20001 and every send 40037. Declare your templates there (or name the file in emulator.config.json "templates"), or add them with subscribeMessage.addTemplate.`,
    )
  }
  if (!existsSync(project.appJsonPath)) log(`warning: no app.json at ${project.appJsonPath}: a message's page is not checked (WeChat would answer 41030 for a page the released app lacks).`)
  const management = templateManagement(store)
  // One table of WeChat's APIs, which both transports call: cloud call by name, HTTPS by path.
  const wechatApis: Record<string, WechatApi> = {
    'subscribeMessage.send': (data) => gateway.send(data),
    ...management,
    'security.msgSecCheck': contentCheck(project.security, { isUser: (openid) => store.isUser(openid) }),
  }
  const apis: Record<string, OpenApiHandler> = {}
  for (const [api, handler] of Object.entries(wechatApis)) apis[api] = (data) => handler(data)
  // Counted as WeChat receives them: a cloud call the platform refuses (-604101) never arrives.
  apis['subscribeMessage.send'] = (data) => {
    options.stats.countSend('cloud')
    return wechatApis['subscribeMessage.send']!(data)
  }
  const checkContent = wechatApis['security.msgSecCheck']!
  wechatApis['security.msgSecCheck'] = (data) => {
    options.stats.countContentCheck()
    return checkContent(data)
  }
  apis['security.msgSecCheck'] = (data) => wechatApis['security.msgSecCheck']!(data)
  const tokens = new TokenAuthority(tokenTimes(options.tokenLifetimeS))
  const logins = new LoginCodes(store, (openid) => gateway.meetUser(openid))
  const https = httpsRoutes({ appid: project.appid, appSecret: options.appSecret, tokens, logins, apis: wechatApis, stats: options.stats })
  return { gateway, apis, routes: [...wechatRoutes(gateway, faults, management, events, { tokens, logins }), ...https], actions: {} }
}
