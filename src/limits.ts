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
/** A collapse key (FCM's collapse_key, the newest message under it wins). */
export const COLLAPSE_KEY_MAX = 64
/** How long a message may wait for the user to accept its template. */
export const WAIT_FOR_GRANT_MAX_MS = 7 * 24 * 3600_000
/** A page of a user's own messages (`list`). */
export const LIST_PAGE_MAX = 100
export const LIST_PAGE_DEFAULT = 20
/** The oldest pending messages a QUEUE_FULL refusal names, so the app can offer to cancel one. */
export const QUEUE_FULL_NAMED = 5
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
