/**
 * The product's fixed limits, named in one place. The numbers an operator
 * tunes (timing, concurrency, the queue's cap) are settings (settings.json);
 * WeChat's own keyword rules stand beside their reading in templates/keywords.ts.
 */

/** An openid or a template id, as WeChat issues them (28 and 43 characters today), with room to spare. */
export const ID_MAX = 64
/** An idempotency key, a request id, a message or campaign id. */
export const KEY_MAX = 128
/** A page path with its query. */
export const PAGE_MAX = 512
/** Keywords in one message's data: WeChat's templates have at most 5; more is not a template's data. */
export const KEYWORDS_MAX = 20
/** One keyword value as given, before its type's rule (a thing allows 20 characters, a number 32). */
export const VALUE_MAX = 200
/** How far ahead a message may be scheduled. */
export const SCHEDULE_AHEAD_MAX_MS = 366 * 24 * 3600_000
/** wx.requestSubscribeMessage takes at most 5 templates (3 on older clients). */
export const TEMPLATES_PER_POPUP_MAX = 5
/** Templates one status request may ask about. */
export const STATUS_TEMPLATES_MAX = 50
/** Attempts of a popup report that loses a transaction conflict to a concurrent one for the same user. */
export const REPORT_ATTEMPTS = 6
/** A user's queue is counted again after this many taken slots in a row. */
export const SLOT_RECOUNT = 5
/** Recipient shards a fanned-out tick runs one invocation for; a message's shard is fixed when it is queued. */
export const SHARDS = 8
/** Campaigns one tick advances, at most. */
export const CAMPAIGNS_PER_TICK = 20
/** The most documents one database read returns in a cloud function. */
export const READ_MAX = 1000
