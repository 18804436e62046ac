/**
 * The calls a project's console settings declare (emulator.config.json →
 * console: `cancel`, `campaign`, `cancelCampaign`): a function called as a
 * server, its data with `"{_id}"` standing for the document's id. The console
 * knows no product: what a call means is the project's to say.
 */
import { api, type ConsoleConfig, type Json } from './dom'

export type DeclaredCall = NonNullable<ConsoleConfig['cancel']>

/** Makes the declared call for one document; resolves with the control API's reply (`{ result, requestID }`). */
export function callFor(call: DeclaredCall, id: string): Promise<Json> {
  const data = JSON.parse(JSON.stringify(call.data).replaceAll('"{_id}"', JSON.stringify(id)))
  return api('POST', `/_emulator/functions/${encodeURIComponent(call.function)}/call`, { data })
}
