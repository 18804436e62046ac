/**
 * What a user reads when something did not work: one sentence per function
 * code and per wx.requestSubscribeMessage error, in Chinese, in one place,
 * so that no page shows a function's English message.
 */

/** Each code a function may answer (src/replies.ts), as a sentence a user understands. */
export const CODE_SENTENCES: Record<string, string> = {
  INVALID_ARGUMENT: '请求的内容有误，请检查后再试。',
  FORBIDDEN: '没有权限进行这个操作。',
  NOT_READY: '服务正在升级，请稍后再试。',
  INVALID_DATA: '提醒的内容不符合模板要求，请修改后再试。',
  NO_QUOTA: '你还没有订阅这类提醒，或订阅次数已用完，请先订阅。',
  RETRYABLE: '微信繁忙，请稍后再试。',
  DAILY_LIMIT: '今天的提醒已达微信的发送上限，明天会继续发送。',
  UNKNOWN_OUTCOME: '暂时无法确认提醒是否已发出，我们不会重复发送。',
  INVALID_RECIPIENT: '无法给这个用户发送提醒。',
  TEMPLATE_NOT_FOUND: '这类提醒已停用。',
  INVALID_PAGE: '提醒要打开的页面不存在。',
  TEMPLATE_BANNED: '这类提醒已被微信停用。',
  SENSITIVE_CONTENT: '提醒的内容含有敏感词，请修改后再试。',
  DATA_REFUSED: '微信拒绝了提醒的内容，请修改后再试。',
  INVALID_REQUEST: '请求没有被微信接受，请稍后再试。',
  NO_PERMISSION: '服务暂未开通发送提醒的权限。',
  IDEMPOTENCY_MISMATCH: '这个请求与之前的一次不一致，请重新操作。',
  IN_PROGRESS: '上一次操作还在进行中，请稍候。',
  NOT_FOUND: '没有找到这条提醒。',
  NOT_CANCELLABLE: '这条提醒已在发送或已发出，不能取消。',
  NOT_RESENDABLE: '这条提醒不能重新发送。',
  QUEUE_FULL: '待发送的提醒已达上限（{limit} 条），请先取消一些。',
  DELIVERY_FAILED: '提醒没有送达。',
  UNAUTHENTICATED: '登录已过期，请重新进入小程序。',
  INVALID_CODE: '登录失败，请重新进入小程序。',
  RATE_LIMITED: '操作太频繁，请稍后再试。',
  LOGIN_BLOCKED: '你的微信账号暂时无法登录，请稍后再试。',
  NOT_CONFIGURED: '服务还没有配置好，请联系客服。',
}

/** The sentence for a function's refusal, with its figures filled in (QUEUE_FULL's limit). */
export function sentenceOf(reply: { code: string; limit?: unknown }): string {
  const sentence = CODE_SENTENCES[reply.code] ?? '操作没有成功，请稍后再试。'
  return sentence.replace('{limit}', reply.limit === undefined ? '' : String(reply.limit))
}

/** wx.requestSubscribeMessage's errors (its documentation), as a user reads them. */
export const POPUP_ERRORS: Record<number, string> = {
  10001: '没有可以订阅的提醒。',
  10002: '网络不佳，没有打开订阅窗口，请稍后再试。',
  10003: '网络不佳，订阅没有完成，请稍后再试。',
  10004: '提醒的设置有误，暂时无法订阅。',
  10005: '请点击按钮来订阅。',
  20001: '这类提醒暂时无法订阅（模板不存在）。',
  20002: '一次只能订阅同一类提醒，请分开订阅。',
  20003: '一次最多订阅 5 种提醒。',
  20004: '你关闭了订阅消息，打开后才能收到提醒。',
  20005: '小程序的订阅功能已被停用。',
}

export const popupError = (errCode: number | undefined): string => (errCode !== undefined && POPUP_ERRORS[errCode]) || `订阅没有完成（${errCode ?? '未知错误'}），请稍后再试。`
