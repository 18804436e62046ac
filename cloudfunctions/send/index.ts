import { door } from '../../src/door'
import { SendActions } from '../../src/send/actions'

const actions = new SendActions()

/** Sends a message now or later, cancels or shows one, broadcasts, and, on its timer, dispatches what is due. */
export const main = door({ name: 'send', allow: ['user', 'server'] }, (caller, event, context) => {
  const started = Date.now()
  const limit = typeof context.time_limit_in_ms === 'number' ? context.time_limit_in_ms : undefined
  return actions.handle(caller, event, started, limit)
})
