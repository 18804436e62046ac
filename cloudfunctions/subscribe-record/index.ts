import { identify } from '../../src/caller'
import { callerContext, database } from '../../src/cloud'
import { answer } from '../../src/door'
import { SETTINGS } from '../../src/settings'
import { subscriptions } from '../../src/subscriptions/subscriptions'

/** Records what the caller answered to `wx.requestSubscribeMessage`, or reports its grants. */
export async function main(event: unknown) {
  const caller = identify(callerContext())
  return answer(() => subscriptions(database(), caller, event, SETTINGS.acceptsFrom))
}
