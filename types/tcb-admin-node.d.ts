/**
 * tcb-admin-node 1.23 ships no typings. This declares the part the project
 * uses; its database is the older @cloudbase/database 0.9 dialect.
 */
declare module 'tcb-admin-node' {
  interface InitOptions {
    secretId?: string
    secretKey?: string
    env?: string
    serviceUrl?: string
    timeout?: number
  }
  interface App {
    database(): any
    callFunction(options: { name: string; data?: unknown }): Promise<{ result: any; requestId: string; code?: string; message?: string }>
  }
  const tcb: { init(options: InitOptions): App }
  export default tcb
}
