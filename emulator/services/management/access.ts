/**
 * The management API's HTTP access paths (tcb CreateCloudBaseGWAPI,
 * DescribeCloudBaseGWAPI, DeleteCloudBaseGWAPI), as manager-node's
 * `access.createAccess`, `getAccessList` and `deleteAccess` send them, and as
 * its function deploy does for a `func.path`: it creates the path, and on
 * InvalidParameter.APICreated checks the path is already this function's.
 */
import type { AccessGateway, AccessPath } from '../access/gateway'
import { normalisePath } from '../access/gateway'
import { ManagementError, envNotFound, invalidParameter, invalidValue, missingParameter, unsupported } from './errors'
import { optionalInteger, optionalText, requiredText, type Params } from './schemas'

/** Type 1 binds a function; 2, a container service, which the emulator does not run. */
const FUNCTION_TYPE = 1

export class AccessPathsGateway {
  constructor(
    private readonly access: AccessGateway,
    private readonly envId: string,
    private readonly now: () => number,
  ) {}

  createAccess(params: Params) {
    this.service(params, true)
    const raw = requiredText(params, 'Path')
    const path = normalisePath(raw)
    if (!path) throw invalidValue(`Path ${raw} is not a path: "/", then letters, digits and -_.~/`)
    this.type(params, true)
    const name = requiredText(params, 'Name')
    if (params.APIId !== undefined) throw unsupported('APIId (changing the path an API is bound to) is not served: delete the API and create it again')
    const created = this.access.create(path, name, this.now())
    // manager-node reads this code, then checks the path is bound to the function it deploys.
    if (!created) throw new ManagementError('InvalidParameter.APICreated', `the path ${path} is bound already`)
    return { APIId: created.apiId }
  }

  describeAccess(params: Params) {
    this.service(params, false)
    const offset = optionalInteger(params, 'Offset', 0, Number.MAX_SAFE_INTEGER) ?? 0
    // manager-node sends `limit` in lower case.
    const limit = optionalInteger(params, 'Limit', 1, 1000) ?? optionalInteger(params, 'limit', 1, 1000) ?? 100
    const matching = this.matching(params)
    return { APISet: matching.slice(offset, offset + limit).map((entry) => this.view(entry)), EnableService: true, Total: matching.length, Offset: offset, Limit: limit }
  }

  deleteAccess(params: Params) {
    this.service(params, true)
    if (params.Path === undefined && params.APIId === undefined && params.Name === undefined) throw missingParameter('Path, APIId or Name')
    return { Count: this.access.remove(this.matching(params)) }
  }

  private matching(params: Params): AccessPath[] {
    const path = optionalText(params, 'Path')
    const apiId = optionalText(params, 'APIId')
    const name = optionalText(params, 'Name')
    const type = this.type(params, false)
    if (type !== undefined && type !== FUNCTION_TYPE) return []
    return this.access
      .list()
      .filter((entry) => (path === undefined || entry.path === (normalisePath(path) ?? path)) && (apiId === undefined || entry.apiId === apiId) && (name === undefined || entry.name === name))
  }

  private view(entry: AccessPath) {
    return { ServiceId: this.envId, EnvId: this.envId, APIId: entry.apiId, Path: entry.path, Type: FUNCTION_TYPE, Name: entry.name, CreateTime: entry.createdAt, EnableAuth: false }
  }

  /** ServiceId is the environment's id. */
  private service(params: Params, required: boolean): void {
    const id = required ? requiredText(params, 'ServiceId') : optionalText(params, 'ServiceId')
    if (id !== undefined && id !== this.envId) throw envNotFound(id, this.envId)
  }

  private type(params: Params, required: boolean): number | undefined {
    const type = optionalInteger(params, 'Type', 1, 2)
    if (type === undefined && required) throw missingParameter('Type')
    if (required && type !== FUNCTION_TYPE) throw invalidParameter(`Type ${type} (a container service) is not served: the local emulator binds functions (Type 1)`)
    return type
  }
}
