/**
 * Where the deploy and `doctor` send their management requests: the cloud,
 * with SecretId, SecretKey and env id from the environment, or a local
 * emulator (`--emulator <url>`), which takes the same TC3-signed requests.
 * Both go through @cloudbase/manager-node, the client @cloudbase/cli deploys with.
 */
import CloudBase from '@cloudbase/manager-node'
import tcb from 'tcb-admin-node'

export class MissingCredentials extends Error {}

export interface Target {
  /** The management client (functions, triggers, collections, indexes). */
  manager: CloudBase
  /** The data plane (documents, function calls), as the operator's tool reaches it. */
  app: ReturnType<typeof tcb.init>
  envId: string
  /** Where the requests go, in words. */
  describe: string
  emulator?: string
}

/**
 * manager-node reads its endpoints from a getter with fixed hosts (only tcb's can be moved,
 * by TCB_BASE_URL); an emulator is reached by moving every service's endpoint to its URL.
 * The requests stay exactly as signed and shaped for the cloud.
 */
function routeManagementTo(url: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CloudService } = require('@cloudbase/manager-node/lib/utils/cloud-api-request') as { CloudService: { prototype: object } }
  Object.defineProperty(CloudService.prototype, 'baseUrl', { get: () => url, configurable: true })
}

/** What is missing to reach the cloud, before anything is done. */
export function missingCredentials(env: NodeJS.ProcessEnv, envId: string | undefined): string[] {
  return [
    !(env.TCB_SECRET_ID ?? env.TENCENTCLOUD_SECRETID) && 'TCB_SECRET_ID',
    !(env.TCB_SECRET_KEY ?? env.TENCENTCLOUD_SECRETKEY) && 'TCB_SECRET_KEY',
    !envId && 'TCB_ENV_ID (or --env)',
  ].filter((name): name is string => Boolean(name))
}

export function openTarget(options: { emulator?: string; envId?: string; env: NodeJS.ProcessEnv }): Target {
  const { emulator, env } = options
  if (emulator) {
    if (!/^https?:\/\/[^/]+$/.test(emulator)) throw new MissingCredentials(`--emulator takes a URL such as http://127.0.0.1:8900, not ${emulator}`)
    routeManagementTo(emulator)
    // Any credentials are accepted locally; the env id is the emulator's own unless one is named.
    const envId = options.envId ?? env.TCB_ENV_ID ?? 'local'
    return {
      manager: new CloudBase({ secretId: 'local', secretKey: 'local', envId }),
      app: tcb.init({ secretId: 'local', secretKey: 'local', env: envId, serviceUrl: `${emulator}/admin`, timeout: 30_000 }),
      envId,
      describe: `the emulator at ${emulator}`,
      emulator,
    }
  }
  const envId = options.envId ?? env.TCB_ENV_ID
  const missing = missingCredentials(env, envId)
  if (missing.length) throw new MissingCredentials(`missing ${missing.join(', ')}: set them to reach the cloud, or pass --emulator <url> for a local emulator`)
  const secretId = (env.TCB_SECRET_ID ?? env.TENCENTCLOUD_SECRETID)!
  const secretKey = (env.TCB_SECRET_KEY ?? env.TENCENTCLOUD_SECRETKEY)!
  return {
    manager: new CloudBase({ secretId, secretKey, envId }),
    app: tcb.init({ secretId, secretKey, env: envId, timeout: 30_000 }),
    envId: envId!,
    describe: `environment ${envId}`,
  }
}

/** A management error's code and message, as manager-node's CloudBaseError carries them. */
export function describeError(error: unknown): { code: string; message: string } {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return { code: String(code ?? ''), message: String(message ?? error) }
}
