/**
 * WeChat's side: the popup, the true quota, the send rules, the delivered
 * messages, faults, template management, and the events it pushes to the
 * project's message-push receiver.
 */
import { existsSync } from 'node:fs'
import type Database from 'better-sqlite3'
import type { ProjectDefinition } from '../../project'
import type { Service } from '../../service'
import type { Caller, FunctionsRuntime } from '../functions/runtime'
import type { OpenApiHandler } from '../openapi/router'
import type { WechatEvent } from './events'
import { Faults } from './faults'
import { WechatGateway } from './gateway'
import { templateManagement } from './management'
import { loadRegistry } from './registry'
import { wechatRoutes, type EventRecord } from './router'
import { WechatStore } from './store'

export interface WechatService extends Service {
  gateway: WechatGateway
  /** The cloud-call APIs WeChat serves (subscribeMessage.*). */
  apis: Record<string, OpenApiHandler>
}

export function createWechatService(options: {
  connection: Database.Database
  project: ProjectDefinition
  /** Invokes the message-push receiver, as the platform does. */
  invoke: FunctionsRuntime['invoke']
  /** The SOURCE a push carries ('' for none). */
  pushSource: string
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
  const apis: Record<string, OpenApiHandler> = { 'subscribeMessage.send': (data) => gateway.send(data) }
  for (const [api, handler] of Object.entries(management)) apis[api] = (data) => handler(data)
  return { gateway, apis, routes: wechatRoutes(gateway, faults, management, events), actions: {} }
}
