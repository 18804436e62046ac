export type DatabaseFaultKind = 'error' | 'lostReply' | 'stall' | 'latency'
/** WeChat's two token endpoints: `/cgi-bin/stable_token` and `/cgi-bin/token`. */
export type TokenEndpoint = 'stable_token' | 'token'
/** How a send reached WeChat: a cloud call, or HTTPS with an access token. */
export type SendTransport = 'https' | 'cloud'

const noFaults = (): Record<DatabaseFaultKind, number> => ({ error: 0, lostReply: 0, stall: 0, latency: 0 })
const noWechat = () => ({ tokenFetches: { stable_token: 0, token: 0 } as Record<TokenEndpoint, number>, sends: { https: 0, cloud: 0 } as Record<SendTransport, number>, contentChecks: 0 })

/**
 * Cost counters behind `GET /_emulator/stats`: requests served per action and
 * documents examined (each document a query loaded and tested, as MongoDB's
 * explain counts `docsExamined`), so that query cost is measured by counting
 * rather than by timing; the database faults injected, by kind; and the
 * management API's requests per action, served or refused; and WeChat's
 * token fetches per endpoint, sends per transport and content checks, each request whatever
 * its outcome.
 */
export class Stats {
  private requests: Record<string, number> = {}
  private managementRequests: Record<string, number> = {}
  private examined = 0
  private databaseFaults = noFaults()
  private wechat = noWechat()
  private frozen: Record<string, number> = {}

  countRequest(action: string): void {
    this.requests[action] = (this.requests[action] ?? 0) + 1
  }

  countManagement(action: string): void {
    this.managementRequests[action] = (this.managementRequests[action] ?? 0) + 1
  }

  countExamined(documents: number): void {
    this.examined += documents
  }

  countDatabaseFault(kind: DatabaseFaultKind): void {
    this.databaseFaults[kind] += 1
  }

  countTokenFetch(endpoint: TokenEndpoint): void {
    this.wechat.tokenFetches[endpoint] += 1
  }

  countSend(transport: SendTransport): void {
    this.wechat.sends[transport] += 1
  }

  /** A msgSecCheck WeChat received, by cloud call or HTTPS, whatever its verdict. */
  countContentCheck(): void {
    this.wechat.contentChecks += 1
  }

  /** An invocation of `name` replied with work still running, frozen with its instance. */
  countFrozen(name: string): void {
    this.frozen[name] = (this.frozen[name] ?? 0) + 1
  }

  snapshot() {
    const total = Object.values(this.requests).reduce((sum, n) => sum + n, 0)
    return {
      requests: { total, byAction: { ...this.requests } },
      documentsExamined: this.examined,
      databaseFaults: { ...this.databaseFaults },
      management: { byAction: { ...this.managementRequests } },
      wechat: { tokenFetches: { ...this.wechat.tokenFetches }, sends: { ...this.wechat.sends }, contentChecks: this.wechat.contentChecks },
      frozenAfterReturn: { ...this.frozen },
    }
  }

  reset(): void {
    this.requests = {}
    this.managementRequests = {}
    this.examined = 0
    this.databaseFaults = noFaults()
    this.wechat = noWechat()
    this.frozen = {}
  }
}
