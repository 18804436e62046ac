import type Database from 'better-sqlite3'
import type { TemplateKind, TemplateSpec } from './registry'

export type GrantStatus = 'accept' | 'reject' | 'ban' | 'none'

export interface Grant {
  available: number
  status: GrantStatus
}

export interface DeliveredMessage {
  touser: string
  template_id: string
  page: string | null
  data: Record<string, { value: string }>
  miniprogram_state: string
  lang: string
  msgid: string
  sentAt: string
  /** Set when WeChat later reports an asynchronous failure. */
  failed?: { errorCode: number; errorStatus: string }
}

export interface FunnelCount {
  day: string
  templateId: string
  measure: string
  count: number
}

export interface PrivateTemplate extends TemplateSpec {
  origin: 'registry' | 'added'
  sceneDesc?: string
}

/**
 * What WeChat itself keeps, in tables of the emulator's one database: the
 * app's users (and those it blocks from logging in), each user's quota per
 * template, their subscription settings, the account's private templates and
 * every delivered message.
 */
export class WechatStore {
  private readonly q

  constructor(db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS wechat_users (openid TEXT PRIMARY KEY, first_seen TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS wechat_blocked (openid TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS wechat_grants (
        openid TEXT NOT NULL, template_id TEXT NOT NULL, available INTEGER NOT NULL, status TEXT NOT NULL,
        PRIMARY KEY (openid, template_id)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS wechat_settings (
        openid TEXT PRIMARY KEY, main_switch INTEGER NOT NULL, item_settings TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS wechat_templates (
        id TEXT PRIMARY KEY, spec TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS wechat_messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, msgid TEXT NOT NULL UNIQUE, touser TEXT NOT NULL, body TEXT NOT NULL,
        sent_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS wechat_messages_touser ON wechat_messages (touser, seq);
      CREATE INDEX IF NOT EXISTS wechat_messages_sent ON wechat_messages (sent_at);
      CREATE TABLE IF NOT EXISTS wechat_funnel (
        day TEXT NOT NULL, template_id TEXT NOT NULL, measure TEXT NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY (day, template_id, measure)) WITHOUT ROWID;
    `)
    this.q = {
      addUser: db.prepare('INSERT OR IGNORE INTO wechat_users (openid, first_seen) VALUES (?, ?)'),
      isUser: db.prepare('SELECT 1 FROM wechat_users WHERE openid = ?').pluck(),
      users: db.prepare('SELECT openid FROM wechat_users ORDER BY first_seen, openid').pluck(),
      isBlocked: db.prepare('SELECT 1 FROM wechat_blocked WHERE openid = ?').pluck(),
      block: db.prepare('INSERT OR IGNORE INTO wechat_blocked (openid) VALUES (?)'),
      unblock: db.prepare('DELETE FROM wechat_blocked WHERE openid = ?'),
      grant: db.prepare('SELECT available, status FROM wechat_grants WHERE openid = ? AND template_id = ?'),
      allGrants: db.prepare('SELECT openid, template_id AS templateId, available, status FROM wechat_grants ORDER BY openid, template_id'),
      putGrant: db.prepare('INSERT OR REPLACE INTO wechat_grants (openid, template_id, available, status) VALUES (?, ?, ?, ?)'),
      settings: db.prepare('SELECT main_switch, item_settings FROM wechat_settings WHERE openid = ?'),
      putSettings: db.prepare('INSERT OR REPLACE INTO wechat_settings (openid, main_switch, item_settings) VALUES (?, ?, ?)'),
      template: db.prepare('SELECT spec, deleted FROM wechat_templates WHERE id = ?'),
      templates: db.prepare('SELECT spec FROM wechat_templates WHERE deleted = 0 ORDER BY created, id').pluck(),
      addTemplate: db.prepare('INSERT OR IGNORE INTO wechat_templates (id, spec, deleted, created) VALUES (?, ?, 0, ?)'),
      deleteTemplate: db.prepare('UPDATE wechat_templates SET deleted = 1 WHERE id = ? AND deleted = 0'),
      addMessage: db.prepare('INSERT INTO wechat_messages (msgid, touser, body, sent_at) VALUES (?, ?, ?, ?)'),
      message: db.prepare('SELECT body FROM wechat_messages WHERE msgid = ?').pluck(),
      putMessage: db.prepare('UPDATE wechat_messages SET body = ? WHERE msgid = ?'),
      messagesOf: db.prepare('SELECT body FROM wechat_messages WHERE touser = ? ORDER BY seq').pluck(),
      allMessages: db.prepare('SELECT body FROM wechat_messages ORDER BY seq').pluck(),
      sentSince: db.prepare('SELECT COUNT(*) FROM wechat_messages WHERE sent_at >= ?').pluck(),
      perMinute: db.prepare('SELECT sent_at / 60000 AS minute, COUNT(*) AS count FROM wechat_messages WHERE sent_at >= ? GROUP BY minute ORDER BY minute'),
      lastSeq: db.prepare("SELECT COALESCE(MAX(seq), 0) FROM wechat_messages").pluck(),
      countFunnel: db.prepare(
        'INSERT INTO wechat_funnel (day, template_id, measure, count) VALUES (?, ?, ?, 1) ON CONFLICT (day, template_id, measure) DO UPDATE SET count = count + 1',
      ),
      funnelSince: db.prepare('SELECT day, template_id AS templateId, measure, count FROM wechat_funnel WHERE day >= ? ORDER BY day, template_id, measure'),
    }
  }

  addUser(openid: string): void {
    this.q.addUser.run(openid, new Date().toISOString())
  }

  /** Deliveries in each minute since `epochMs`, read from the delivery-time index: `[minute start, count]`. */
  deliveriesPerMinute(epochMs: number): Array<[number, number]> {
    return (this.q.perMinute.all(epochMs) as Array<{ minute: number; count: number }>).map((row) => [row.minute * 60_000, row.count])
  }

  /** Every quota WeChat keeps, by user and template. */
  grants(): Array<Grant & { openid: string; templateId: string }> {
    return this.q.allGrants.all() as Array<Grant & { openid: string; templateId: string }>
  }

  /** The app's openids, oldest first. */
  users(): string[] {
    return this.q.users.all() as string[]
  }

  isUser(openid: string): boolean {
    return this.q.isUser.get(openid) === 1
  }

  /** A user WeChat holds as high-risk: their login codes are refused (40226). */
  isBlocked(openid: string): boolean {
    return this.q.isBlocked.get(openid) === 1
  }

  setBlocked(openid: string, blocked: boolean): void {
    ;(blocked ? this.q.block : this.q.unblock).run(openid)
  }

  grant(openid: string, templateId: string): Grant {
    const row = this.q.grant.get(openid, templateId) as Grant | undefined
    return row ?? { available: 0, status: 'none' }
  }

  putGrant(openid: string, templateId: string, grant: Grant): void {
    this.q.putGrant.run(openid, templateId, grant.available, grant.status)
  }

  settings(openid: string): { mainSwitch: boolean; itemSettings: Record<string, GrantStatus> } {
    const row = this.q.settings.get(openid) as { main_switch: number; item_settings: string } | undefined
    return row ? { mainSwitch: row.main_switch === 1, itemSettings: JSON.parse(row.item_settings) } : { mainSwitch: true, itemSettings: {} }
  }

  putSettings(openid: string, settings: { mainSwitch: boolean; itemSettings: Record<string, GrantStatus> }): void {
    this.q.putSettings.run(openid, settings.mainSwitch ? 1 : 0, JSON.stringify(settings.itemSettings))
  }

  /** Private templates change only through this store, so they are read once and kept. */
  private readonly templateCache = new Map<string, PrivateTemplate | undefined>()

  template(id: string): PrivateTemplate | undefined {
    if (this.templateCache.has(id)) return this.templateCache.get(id)
    const row = this.q.template.get(id) as { spec: string; deleted: number } | undefined
    const template = row && row.deleted === 0 ? (JSON.parse(row.spec) as PrivateTemplate) : undefined
    this.templateCache.set(id, template)
    return template
  }

  /** True when the id was ever a private template, even a deleted one. */
  knowsTemplate(id: string): boolean {
    return this.q.template.get(id) !== undefined
  }

  templates(): PrivateTemplate[] {
    return (this.q.templates.all() as string[]).map((spec) => JSON.parse(spec) as PrivateTemplate)
  }

  addTemplate(template: PrivateTemplate): void {
    this.q.addTemplate.run(template.id, JSON.stringify(template), Date.now())
    this.templateCache.delete(template.id)
  }

  deleteTemplate(id: string): boolean {
    this.templateCache.delete(id)
    return this.q.deleteTemplate.run(id).changes === 1
  }

  addMessage(message: DeliveredMessage): void {
    this.q.addMessage.run(message.msgid, message.touser, JSON.stringify(message), Date.parse(message.sentAt))
  }

  message(msgid: string): DeliveredMessage | undefined {
    const body = this.q.message.get(msgid) as string | undefined
    return body ? (JSON.parse(body) as DeliveredMessage) : undefined
  }

  putMessage(message: DeliveredMessage): void {
    this.q.putMessage.run(JSON.stringify(message), message.msgid)
  }

  messages(touser?: string): DeliveredMessage[] {
    const rows = (touser ? this.q.messagesOf.all(touser) : this.q.allMessages.all()) as string[]
    return rows.map((body) => JSON.parse(body) as DeliveredMessage)
  }

  /** One more of a funnel measure (a popup answer, a delivery, `refused:<errcode>`) on a UTC+8 day (YYYY-MM-DD) for a template. */
  countFunnel(day: string, templateId: string, measure: string): void {
    this.q.countFunnel.run(day, templateId, measure)
  }

  /** The funnel's counters from that day (YYYY-MM-DD) on. */
  funnelSince(day: string): FunnelCount[] {
    return this.q.funnelSince.all(day) as FunnelCount[]
  }

  deliveredSince(epochMs: number): number {
    return this.q.sentSince.get(epochMs) as number
  }

  lastMessageSeq(): number {
    return this.q.lastSeq.get() as number
  }
}

export function templateKindCode(kind: TemplateKind): 2 | 3 {
  return kind === 'one-time' ? 2 : 3
}
