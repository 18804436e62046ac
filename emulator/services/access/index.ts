/**
 * The HTTP access service: functions served at HTTP paths (`/_http/<path>`),
 * the paths bound in the emulator's database. A normal start binds the ones
 * the project's cloudbaserc.json gives (`path`); an empty start binds none of
 * them, and the management API (CreateCloudBaseGWAPI) binds paths as a deploy does.
 */
import type Database from 'better-sqlite3'
import type { ProjectDefinition } from '../../project'
import type { Service } from '../../service'
import type { FunctionsRuntime } from '../functions/runtime'
import { AccessGateway, normalisePath } from './gateway'
import { accessRoutes } from './router'

export interface AccessService extends Service {
  gateway: AccessGateway
}

export function createAccessService(options: {
  connection: Database.Database
  project: ProjectDefinition
  runtime: FunctionsRuntime
  /** Bind the project's paths (not in an empty environment). */
  declare: boolean
  now: () => number
  log: (line: string) => void
}): AccessService {
  const gateway = new AccessGateway(options.connection)
  // The project's paths are what this start says: none when empty, and the file as it is now.
  gateway.undeclare()
  if (options.declare) {
    for (const { path, name } of options.project.accessPaths) {
      const normal = normalisePath(path)
      if (!normal) throw new Error(`cloudbaserc.json: function ${name}'s path ${path} is not a path: "/", then letters, digits and -_.~/`)
      const bound = gateway.list().find((entry) => entry.path === normal)
      if (bound?.declared) throw new Error(`cloudbaserc.json: the path ${normal} is given to both ${bound.name} and ${name}`)
      // The project's configuration is what a normal start serves, over a path a deploy bound before.
      if (bound) {
        if (bound.name !== name) options.log(`HTTP access path ${normal}: bound to ${name} as cloudbaserc.json says, no longer to ${bound.name}`)
        gateway.remove([bound])
      }
      gateway.create(normal, name, options.now(), true)
    }
  }
  return { gateway, routes: accessRoutes(gateway, options.runtime), actions: {} }
}
