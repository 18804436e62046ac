/**
 * The control API over the database's injected faults: `PUT` sets them (all
 * at once, replacing what was set), `DELETE` clears them, `GET` shows them.
 * A setting out of range, or a key no fault has, is HTTP 400 naming the field.
 */
import { HttpError, readJson, sendJson } from '../../http'
import type { Route, RouteEntry } from '../../service'
import { FaultSettingError, parseDatabaseFaults, type DatabaseFaults } from './faults'

export function faultRoutes(faults: DatabaseFaults): RouteEntry[] {
  const route: Route = async (req, res) => {
    if (req.method === 'PUT') {
      try {
        faults.set(parseDatabaseFaults(await readJson(req)))
      } catch (error) {
        if (error instanceof FaultSettingError) throw new HttpError(400, error.message)
        throw error
      }
    } else if (req.method === 'DELETE') {
      faults.clear()
    }
    sendJson(res, 200, faults.current())
  }
  return (['GET', 'PUT', 'DELETE'] as const).map((method): RouteEntry => [method, /^\/_emulator\/database\/faults$/, route])
}
