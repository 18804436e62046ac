import { database } from '../../src/cloud'
import { door } from '../../src/door'
import { applyEvent } from '../../src/events/events'
import { SETTINGS } from '../../src/settings'

/**
 * The message-push receiver: WeChat's subscription events, applied to the
 * ledger and the messages. WeChat pushes here and nowhere else, so this is
 * the one function that takes a push.
 */
export const main = door({ name: 'wechat-events', allow: ['push'] }, (caller, event) =>
  applyEvent(database(), caller, event, SETTINGS.acceptsFrom),
)
