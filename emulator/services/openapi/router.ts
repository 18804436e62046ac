import type { Caller } from '../functions/runtime'
import { decodeCommApiData, encodeCommOpenApiResp } from './protobuf'

/** The cloud call reached the API, which answered with this JSON (errcode 0 or a WeChat error). */
export type OpenApiHandler = (
  data: Record<string, unknown>,
  call: { function: string; caller: Caller; appid: string },
) => Promise<Record<string, unknown> | 'hang'> | Record<string, unknown>

/** A reply that never comes: the caller's own timeout decides. */
const NEVER = new Promise<never>(() => {})

/** WeChat writes a msgid as a bare 19-digit number; it is held as a string until written. */
export function replyJson(reply: Record<string, unknown>): string {
  const json = JSON.stringify(reply)
  return typeof reply.msgid === 'string' && /^\d+$/.test(reply.msgid) ? json.replace(`"msgid":"${reply.msgid}"`, `"msgid":${reply.msgid}`) : json
}

/** The function has no permission for this API (config.json permissions.openapi). */
export const ERR_OPENAPI_NO_PERMISSION = -604101

export type OpenApiReply =
  | { kind: 'protobuf'; body: Buffer }
  | { kind: 'tcb-error'; code: string; message: string }

/**
 * `wx.openApi`: decodes the protobuf the SDK sends, checks that the calling
 * function lists the API in its `config.json` `permissions.openapi`, and
 * passes the data to the service that serves the API.
 */
export class OpenApiRouter {
  private readonly handlers = new Map<string, OpenApiHandler>()

  constructor(
    private readonly resolveCaller: (token: unknown) => { function: string; caller: Caller; openapi: string[] } | undefined,
  ) {}

  register(apiName: string, handler: OpenApiHandler): void {
    this.handlers.set(apiName, handler)
  }

  async handle(fields: Record<string, unknown>): Promise<OpenApiReply> {
    const apiName = String(fields.apiName ?? '')
    const caller = this.resolveCaller(fields.wxCloudApiToken)
    if (!caller || !caller.openapi.includes(apiName)) {
      return { kind: 'protobuf', body: encodeCommOpenApiResp({ errorCode: ERR_OPENAPI_NO_PERMISSION }) }
    }
    const raw = fields.requestData
    if (!Buffer.isBuffer(raw)) return { kind: 'tcb-error', code: 'INVALID_PARAM', message: 'requestData is missing' }
    let call
    try {
      call = decodeCommApiData(raw)
    } catch (error) {
      return { kind: 'tcb-error', code: 'INVALID_PARAM', message: `requestData is not a CommApiData message: ${(error as Error).message}` }
    }
    const handler = this.handlers.get(apiName)
    // The SDK puts this message in the error the function catches (errCode -501001), so it names the call.
    if (!handler) {
      return {
        kind: 'tcb-error',
        code: 'EMULATOR_API_NOT_SERVED',
        message: `openapi.${apiName} is not served by the local emulator: this cloud call is not emulated (emulated: ${[...this.handlers.keys()].sort().join(', ')})`,
      }
    }
    const reply = await handler(call.data, { function: caller.function, caller: caller.caller, appid: call.appid })
    if (reply === 'hang') return NEVER
    return {
      kind: 'protobuf',
      body: encodeCommOpenApiResp({ respData: Buffer.from(replyJson(reply)), contentType: 'application/json' }),
    }
  }
}
