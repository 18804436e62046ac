export type DatabaseFaultKind = 'error' | 'lostReply' | 'stall' | 'latency'

const noFaults = (): Record<DatabaseFaultKind, number> => ({ error: 0, lostReply: 0, stall: 0, latency: 0 })

/**
 * Cost counters behind `GET /_emulator/stats`: requests served per action and
 * documents examined (each document a query loaded and tested, as MongoDB's
 * explain counts `docsExamined`), so that query cost is measured by counting
 * rather than by timing; the database faults injected, by kind; and the
 * management API's requests per action, served or refused.
 */
export class Stats {
  private requests: Record<string, number> = {}
  private managementRequests: Record<string, number> = {}
  private examined = 0
  private databaseFaults = noFaults()

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

  snapshot() {
    const total = Object.values(this.requests).reduce((sum, n) => sum + n, 0)
    return {
      requests: { total, byAction: { ...this.requests } },
      documentsExamined: this.examined,
      databaseFaults: { ...this.databaseFaults },
      management: { byAction: { ...this.managementRequests } },
    }
  }

  reset(): void {
    this.requests = {}
    this.managementRequests = {}
    this.examined = 0
    this.databaseFaults = noFaults()
  }
}
