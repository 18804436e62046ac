import { database } from '../../src/cloud'
import { door } from '../../src/door'
import { SETTINGS } from '../../src/settings'
import { subscriptions } from '../../src/subscriptions/subscriptions'

/** Records what the caller answered to `wx.requestSubscribeMessage`, or reports its grants. */
export const main = door({ name: 'subscribe-record', allow: ['user'] }, (caller, event) =>
  subscriptions(database(), caller, event, SETTINGS.acceptsFrom),
)
