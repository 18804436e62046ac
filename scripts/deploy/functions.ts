/**
 * The functions' deploy through the management API, as @cloudbase/cli does
 * it: created, or (when one of that name exists) its code, configuration and
 * triggers updated. The code goes inline as a zip (each bundle is well under
 * the 1.5 MB the inline upload takes), so nothing but the management API is
 * needed.
 */
import { join } from 'node:path'
import type { DeployPlan, FunctionPlan } from './plan'
import { STAGE } from './plan'
import type { Target } from './management'

export async function deployFunction(target: Target, plan: FunctionPlan): Promise<void> {
  await target.manager.functions.createFunction({
    func: {
      name: plan.name,
      runtime: plan.runtime,
      timeout: plan.timeout,
      memorySize: plan.memorySize,
      installDependency: plan.installDependency,
      envVariables: plan.envVariables,
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
export async function deployFunctions(target: Target, plan: DeployPlan, log: (line: string) => void): Promise<void> {
  await Promise.all(
    plan.functions.map(async (f) => {
      const started = Date.now()
      await deployFunction(target, f)
      log(`  ${f.name}: deployed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    }),
  )
}
