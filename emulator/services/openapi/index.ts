/** The cloud-call service: `wx.openApi` in protobuf, checked against the calling function's permissions, answered by the APIs registered. */
import type { Service } from '../../service'
import { OpenApiRouter, type OpenApiHandler } from './router'
import type { Caller } from '../functions/runtime'

export function createOpenApiService(options: {
  resolveCaller: (token: unknown) => { function: string; caller: Caller; openapi: string[] } | undefined
  apis: Record<string, OpenApiHandler>
}): Service {
  const router = new OpenApiRouter(options.resolveCaller)
  for (const [api, handler] of Object.entries(options.apis)) router.register(api, handler)
  return {
    routes: [],
    actions: {
      'wx.openApi': async (params) => {
        const reply = await router.handle(params)
        return reply.kind === 'protobuf' ? { bytes: reply.body, contentType: 'application/octet-stream' } : { json: { code: reply.code, message: reply.message } }
      },
    },
  }
}
