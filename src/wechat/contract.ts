/**
 * What the product asks of WeChat, whichever way it goes (./api.ts chooses):
 * a subscription message sent, the account's templates listed, and, over
 * HTTPS only, the environment's access token shown or replaced. The ledger,
 * outbox, dispatcher and campaigns see only this.
 */
import type { AccountTemplate, SubscribeMessageRequest, WechatOutcome } from '../cloud'
import type { ForceOutcome, TokenStatus } from './token'

/** WeChat's answer to a send, or that it was never asked (no access token could be had): then nothing went out. */
export type SendOutcome = WechatOutcome | { kind: 'not_called'; errcode: number | null; errmsg: string }

/** The access token refused: invalid credential, invalid token, token expired. Nothing went out. */
export const TOKEN_REFUSALS: readonly number[] = [40001, 40014, 42001]

export interface AccessTokenAdmin {
  /** The shared token's document, without the token itself; null before the first fetch. */
  status(): Promise<TokenStatus | null>
  /** stable_token in force mode (a leaked token): refused past WeChat's 20 a day or within 30 s of the last. */
  forceRefresh(): Promise<ForceOutcome>
}

export interface WechatApi {
  readonly transport: 'cloud' | 'https'
  /** Sends one message and says what WeChat did, within `timeoutMs` (past it: unknown). */
  sendSubscribeMessage(request: SubscribeMessageRequest, timeoutMs: number): Promise<SendOutcome>
  getTemplateList(): Promise<AccountTemplate[]>
  /** Under HTTPS only: a cloud call needs no token. */
  readonly accessToken?: AccessTokenAdmin
}
