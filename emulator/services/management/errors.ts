/**
 * The management API's errors, in TencentCloud API 3.0's shape: a `Code`
 * (`Category.Detail`, the platform's own codes where the emulator answers
 * what the platform would) and a `Message`, replied as
 * `{ Response: { Error: { Code, Message }, RequestId } }` with HTTP 200.
 */
export class ManagementError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'ManagementError'
  }
}

export const signatureFailure = (why: string) => new ManagementError('AuthFailure.SignatureFailure', `The provided credentials could not be validated: ${why}`)

export const signatureExpired = (timestamp: number, now: number) =>
  new ManagementError(
    'AuthFailure.SignatureExpire',
    `Signature expired. Timestamp ${timestamp} is ${Math.abs(now - timestamp)} s from the server's time ${now}; it may be at most 300 s off.`,
  )

export const unsupportedAction = (service: string, action: string) =>
  new ManagementError(
    'UnsupportedOperation',
    `the local emulator does not serve ${service} ${action}: it serves functions (CreateFunction, UpdateFunctionCode, UpdateFunctionConfiguration, GetFunction, ListFunctions, DeleteFunction), timer triggers (BatchCreateTrigger, DeleteTrigger), collections and indexes (CreateTable, DescribeTable, ListTables, UpdateTable), HTTP access paths (CreateCloudBaseGWAPI, DescribeCloudBaseGWAPI, DeleteCloudBaseGWAPI) and DescribeEnvInfo`,
  )

export const unsupported = (message: string) => new ManagementError('UnsupportedOperation', message)

export const missingParameter = (name: string) => new ManagementError('MissingParameter', `The request is missing a required parameter \`${name}\`.`)

export const invalidParameter = (message: string) => new ManagementError('InvalidParameter', message)

export const invalidValue = (message: string) => new ManagementError('InvalidParameterValue', message)

export const envNotFound = (envId: string, served: string) =>
  new ManagementError('ResourceNotFound', `environment ${envId} does not exist: the local emulator serves ${served}`)

export const namespaceNotFound = (namespace: string, served: string) =>
  new ManagementError('ResourceNotFound.Namespace', `Namespace ${namespace} does not exist: the local emulator serves ${served}`)

export const functionNotFound = (name: string) => new ManagementError('ResourceNotFound.Function', `Function not found: ${name}`)

export const functionExists = (name: string) => new ManagementError('ResourceInUse.Function', `Function already exists: ${name}`)

export const triggerNotFound = (functionName: string, trigger: string) =>
  new ManagementError('ResourceNotFound.Trigger', `Trigger not found: ${trigger} of function ${functionName}`)

export const oneTimerOnly = (functionName: string) =>
  new ManagementError(
    'LimitExceeded.Trigger',
    `function ${functionName}: the local emulator keeps one timer trigger per function, as a project's config.json declares it; send one timer (a timer of another name replaces the one there)`,
  )

export const tableNotExist = (name: string) => new ManagementError('ResourceNotFound.TableNotExist', `Db or Table not exist: ${name}`)

export const tableExists = (name: string) => new ManagementError('ResourceInUse.TableExist', `Table exist: ${name}`)

export const indexNotFound = (table: string, index: string) => new ManagementError('ResourceNotFound', `index not found with name [${index}] on ${table}`)

export const failedOperation = (message: string) => new ManagementError('FailedOperation', message)
