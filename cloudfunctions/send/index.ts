import { identify } from '../../src/caller'
import { callerContext } from '../../src/cloud'
import { answer } from '../../src/door'
import { SendActions } from '../../src/send/actions'

const actions = new SendActions()

/** Sends a message now or later, cancels or shows one, broadcasts, and, on its timer, dispatches what is due. */
export async function main(event: unknown, context?: { time_limit_in_ms?: unknown }) {
  const started = Date.now()
  const caller = identify(callerContext())
  const limit = typeof context?.time_limit_in_ms === 'number' ? context.time_limit_in_ms : undefined
  return answer(() => actions.handle(caller, event, started, limit))
}
