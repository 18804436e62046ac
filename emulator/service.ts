/**
 * The one shape every emulated service has: the `/_emulator` routes it
 * serves, the `/admin` actions it answers, and what it starts and stops.
 * `server.ts` only composes services of this shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

export type Route = (req: IncomingMessage, res: ServerResponse, params: string[], url: URL) => Promise<void>
export type RouteEntry = [method: string, pattern: RegExp, route: Route]

/**
 * An `/admin` reply: JSON (a result or `{ code, message }`), bytes (a cloud call's
 * protobuf), or a reset: the connection dropped without an answer, as a network
 * failure after the work was done (an injected fault).
 */
export type AdminReply = { json: Record<string, unknown> } | { bytes: Buffer; contentType: string } | { reset: true }
export type AdminAction = (params: Record<string, unknown>) => AdminReply | Promise<AdminReply>

export interface Service {
  routes: RouteEntry[]
  actions: Record<string, AdminAction>
  start?(): void
  close?(): Promise<void> | void
}
