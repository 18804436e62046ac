/**
 * The functions' deploy through the management API, as @cloudbase/cli does
 * it: created, or (when one of that name exists) its code, configuration and
 * triggers updated. The code goes inline as a zip (each bundle is well under
 * the 1.5 MB the inline upload takes), so nothing but the management API is
 * needed. A secret the deployer's environment does not give is kept as the
 * deployed function has it, so that a deploy from another machine does not
 * wipe it; a function that needs one and has none is not deployed at all.
 */
import { join } from 'node:path'
import { SECRET_NAMES, isSecret } from '../../src/settings'
import type { DeployPlan, FunctionPlan, SecretName } from './plan'
import { STAGE } from './plan'
import type { Target } from './management'

/** The secrets the function will run with: the deployer's, else those it has deployed. */
async function resolveSecrets(target: Target, plan: FunctionPlan): Promise<Partial<Record<SecretName, string>>> {
  const secrets = { ...plan.secrets }
  if (SECRET_NAMES.every((name) => secrets[name] !== undefined)) return secrets
  let deployed: Array<{ Key: string; Value: string }> = []
  try {
    const detail = (await target.manager.functions.getFunctionDetail(plan.name)) as { Environment?: { Variables?: Array<{ Key: string; Value: string }> } }
    deployed = detail.Environment?.Variables ?? []
  } catch (error) {
    if (!/ResourceNotFound/.test(String((error as { code?: string }).code))) throw error
  }
  for (const { Key, Value } of deployed) if (isSecret(Key) && secrets[Key] === undefined) secrets[Key] = Value
  return secrets
}

/** Each function's secrets, or the deploy stops before anything is changed, naming what is missing (never a value). */
export async function secretsOrRefuse(target: Target, plan: DeployPlan): Promise<Map<string, Partial<Record<SecretName, string>>>> {
  const resolved = new Map(await Promise.all(plan.functions.map(async (f) => [f.name, await resolveSecrets(target, f)] as const)))
  const missing = plan.functions.flatMap((f) => f.needs.filter((name) => resolved.get(f.name)![name] === undefined).map((name) => `${f.name} needs ${name}`))
  if (missing.length) {
    throw new Error(
      `${missing.join(', ')}, which neither the deployer's environment nor the deployed function has: set it in the environment of npm run deploy (WECHAT_APP_SECRET for the https transport, SESSION_SECRET for HTTP access)`,
    )
  }
  return resolved
}

export async function deployFunction(target: Target, plan: FunctionPlan, secrets: Partial<Record<SecretName, string>>): Promise<void> {
  await target.manager.functions.createFunction({
    func: {
      name: plan.name,
      runtime: plan.runtime,
      timeout: plan.timeout,
      memorySize: plan.memorySize,
      installDependency: plan.installDependency,
      envVariables: { ...plan.envVariables, ...secrets },
      ...(plan.path ? { path: plan.path } : {}),
      handler: 'index.main',
      triggers: plan.triggers,
      ignore: [],
    } as Parameters<Target['manager']['functions']['createFunction']>[0]['func'],
    functionRootPath: join(STAGE, 'cloudfunctions'),
    force: true,
    deployMode: 'zip',
  })
}

/** All at once: each mostly waits for its own function to become active again, polled once a second. */
export async function deployFunctions(target: Target, plan: DeployPlan, log: (line: string) => void, secrets: Map<string, Partial<Record<SecretName, string>>>): Promise<void> {
  await Promise.all(
    plan.functions.map(async (f) => {
      const started = Date.now()
      await deployFunction(target, f, secrets.get(f.name) ?? f.secrets)
      log(`  ${f.name}: deployed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    }),
  )
}
