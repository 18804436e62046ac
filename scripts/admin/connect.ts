/**
 * The operator's connection: tcb-admin-node, pointed either at the local
 * emulator (`--emulator <url>`) or at a real environment with SecretId,
 * SecretKey and env id from the environment.
 */
import tcb from 'tcb-admin-node'
import { openTarget, type Target } from '../deploy/management'

export class UsageError extends Error {}

export interface Connection {
  app: ReturnType<typeof tcb.init>
  target: string
  /** The management API of the same environment, opened when a command needs it. */
  management: () => Target
}

export function connect(emulatorUrl: string | undefined, env: NodeJS.ProcessEnv): Connection {
  if (emulatorUrl) {
    if (!/^https?:\/\/[^/]+$/.test(emulatorUrl)) throw new UsageError(`--emulator takes a URL such as http://127.0.0.1:8900, not ${emulatorUrl}`)
    const envId = env.TCB_ENV_ID ?? 'local'
    return {
      app: tcb.init({ secretId: 'local', secretKey: 'local', env: envId, serviceUrl: `${emulatorUrl}/admin`, timeout: 30_000 }),
      target: `the emulator at ${emulatorUrl}`,
      management: () => openTarget({ emulator: emulatorUrl, envId, env }),
    }
  }
  const secretId = env.TCB_SECRET_ID ?? env.TENCENTCLOUD_SECRETID
  const secretKey = env.TCB_SECRET_KEY ?? env.TENCENTCLOUD_SECRETKEY
  const envId = env.TCB_ENV_ID
  const missing = [!secretId && 'TCB_SECRET_ID', !secretKey && 'TCB_SECRET_KEY', !envId && 'TCB_ENV_ID'].filter(Boolean)
  if (missing.length) {
    throw new UsageError(`missing credentials: set ${missing.join(', ')} (or pass --emulator <url> to use the local emulator)`)
  }
  return { app: tcb.init({ secretId, secretKey, env: envId, timeout: 30_000 }), target: `environment ${envId}`, management: () => openTarget({ envId, env }) }
}

/** A network failure, in words: the target could not be reached at all. */
export function unreachable(error: unknown, target: string): string | undefined {
  const code = (error as { code?: string })?.code
  const message = String((error as { message?: string })?.message ?? error)
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|socket hang up/.test(message)) {
    return `cannot reach ${target}: ${message}`
  }
  return undefined
}
