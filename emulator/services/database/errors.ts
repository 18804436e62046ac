/**
 * Errors in the shape the CloudBase database service replies with:
 * `{ code: "DATABASE_…", message }`. wx-server-sdk maps `code` to an errCode
 * (DATABASE_REQUEST_FAILED → -502001, DATABASE_INVALID_OPERRATOR → -502002,
 * DATABASE_COLLECTION_NOT_EXIST → -502005) and builds its errMsg from `message`.
 */
export type DatabaseErrorCode =
  | 'DATABASE_REQUEST_FAILED'
  | 'DATABASE_INVALID_OPERRATOR' // sic: the service's own spelling
  | 'DATABASE_COLLECTION_NOT_EXIST'
  | 'DATABASE_COLLECTION_ALREADY_EXIST'
  | 'DATABASE_TRANSACTION_CONFLICT'
  | 'DATABASE_TRANSACTION_FAIL'
  | 'INVALID_PARAM'

export class DatabaseError extends Error {
  constructor(
    readonly code: DatabaseErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'DatabaseError'
  }
}

export const invalidParam = (message: string) => new DatabaseError('INVALID_PARAM', message)
export const requestFailed = (message: string) => new DatabaseError('DATABASE_REQUEST_FAILED', message)
export const unsupported = (what: string) =>
  new DatabaseError('DATABASE_INVALID_OPERRATOR', `${what} is not supported by the local emulator`)
export const collectionNotExist = (name: string) =>
  new DatabaseError('DATABASE_COLLECTION_NOT_EXIST', `Db or Table not exist: ${name}`)
/** The service's own words for a write that meets another transaction's lock, or a change made since the start. */
export const transactionConflict = () =>
  new DatabaseError(
    'DATABASE_TRANSACTION_CONFLICT',
    '[ResourceUnavailable.TransactionConflict] Transaction is conflict, maybe resource operated by others. Please check your request, but if the problem persists, contact us.',
  )
/** The service's own words for a transaction it no longer knows: ended, or older than its 30 s lifetime. */
export const transactionNotExist = () =>
  new DatabaseError(
    'DATABASE_TRANSACTION_FAIL',
    '[ResourceUnavailable.TransactionNotExist] Transaction does not exist on the server, transaction must be commit or abort in 30 seconds. Please check your request, but if the problem persists, contact us.',
  )
export const duplicateKey = (collection: string, index: string, key: string) =>
  new DatabaseError(
    'DATABASE_REQUEST_FAILED',
    `E11000 duplicate key error collection: ${collection} index: ${index} dup key: ${key}`,
  )
/**
 * A request refused by an injected fault. DATABASE_REQUEST_FAILED is the service's code for
 * a database request that failed on its side, and wx-server-sdk rejects it as errCode -502001
 * ("database request fail"), as it does a real failure; SYS_ERR (-501001) is what the SDK
 * gives for a failure of its own, such as a dropped connection. The message says the fault
 * was injected, so no one takes it for a duplicate key or a bad query.
 */
export const injectedFault = () =>
  new DatabaseError('DATABASE_REQUEST_FAILED', '[InternalError] database fault injected by the local emulator: the request was not applied')
