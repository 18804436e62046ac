/** Calling the product's functions over CloudBase HTTP access in the emulator (`/_http/<path>`), with sessions from code logins. */
import type { RunningEmulator } from '../../emulator/spawn'

/** The emulator's WeChat AppSecret (its --app-secret default) and the functions' session key. */
export const APP_SECRET = 'local-app-secret'
export const SESSION_SECRET = 'test-session-secret-7f3a9c'

/** The emulator's arguments for the product with both secrets in the environment of each function that serves HTTP. */
export function httpProductArgs(extra: string[] = ['--no-timers', '--max-instances', '20'], sessionSecret = SESSION_SECRET): string[] {
  const fns = ['login', 'subscribe-record', 'send']
  return [...extra, '--function-env', `login:WECHAT_APP_SECRET=${APP_SECRET}`, ...fns.flatMap((fn) => ['--function-env', `${fn}:SESSION_SECRET=${sessionSecret}`])]
}

export interface HttpAnswer {
  status: number
  contentType: string | null
  body: any
}

/** POSTs `body` (JSON, or raw text when a string) to a function's HTTP path, with `Authorization: Bearer <session>` when given. */
export async function overHttp(emulator: RunningEmulator, path: string, body: unknown, session?: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const response = await fetch(`${emulator.url}/_http/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(session === undefined ? {} : { authorization: `Bearer ${session}` }), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // Left as text, for the test to say what came back.
  }
  return { status: response.status, contentType: response.headers.get('content-type'), body: parsed }
}

/** A code wx.login would give the user, from the emulator's WeChat. */
export async function loginCode(emulator: RunningEmulator, openid: string, unionid?: string): Promise<string> {
  const reply = await emulator.request('POST', '/_emulator/wechat/login-code', { openid, ...(unionid ? { unionid } : {}) })
  if (reply.status !== 200) throw new Error(`no login code: ${JSON.stringify(reply.body)}`)
  return reply.body.code
}

/** A code login over HTTP: the user's session, or the test fails. */
export async function sessionFor(emulator: RunningEmulator, openid: string): Promise<string> {
  const reply = await overHttp(emulator, 'login', { code: await loginCode(emulator, openid) })
  if (reply.status !== 200 || !reply.body.ok) throw new Error(`code login failed: ${JSON.stringify(reply)}`)
  return reply.body.session
}
