/**
 * Cost counters behind `GET /_emulator/stats`: requests served per action and
 * documents examined (each document a query loaded and tested, as MongoDB's
 * explain counts `docsExamined`), so that query cost is measured by counting
 * rather than by timing.
 */
export class Stats {
  private requests: Record<string, number> = {}
  private examined = 0

  countRequest(action: string): void {
    this.requests[action] = (this.requests[action] ?? 0) + 1
  }

  countExamined(documents: number): void {
    this.examined += documents
  }

  snapshot() {
    const total = Object.values(this.requests).reduce((sum, n) => sum + n, 0)
    return { requests: { total, byAction: { ...this.requests } }, documentsExamined: this.examined }
  }

  reset(): void {
    this.requests = {}
    this.examined = 0
  }
}
