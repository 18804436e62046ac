import { identify } from '../../src/caller'
import { callerContext, database } from '../../src/cloud'
import { answer } from '../../src/door'
import { applyEvent } from '../../src/events/events'
import { SETTINGS } from '../../src/settings'

/** The message-push receiver: WeChat's subscription events, applied to the ledger and the messages. */
export async function main(event: unknown) {
  const caller = identify(callerContext())
  return answer(() => applyEvent(database(), caller, event, SETTINGS.acceptsFrom))
}
