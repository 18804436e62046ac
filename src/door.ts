import { Refusal, type Failure } from './replies'

/**
 * Runs a handler's work and turns a refusal into its reply. Anything else
 * thrown is a bug, and is left to fail the invocation loudly.
 */
export async function answer<T>(work: () => Promise<T>): Promise<T | Failure> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof Refusal) return error.reply
    throw error
  }
}
