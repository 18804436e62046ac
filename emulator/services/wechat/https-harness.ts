/**
 * The HTTPS tests' driver: WeChat's server API at an emulator's address, as
 * plain fetch calls (the routing from a function instance is tested on its
 * own), the fixture project's AppID and the default AppSecret, a fixture
 * copy with extra files, and a wait with a deadline for time-driven rules.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { until, withProjectCopy, type RunningEmulator } from '../../spawn'

/** The fixture project's project.config.json appid. */
export const APPID = 'wxfixture00000001'
export const SECRET = 'local-app-secret'

export type Reply = Record<string, any>

/** WeChat's JSON with a bare 19-digit msgid read as its digits, not a rounded number. */
export const parseWechat = (text: string): Reply => JSON.parse(text.replace(/"msgid":(\d+)/, '"msgid":"$1"'))

export function wechatClient(url: string) {
  const call = async (method: 'GET' | 'POST', path: string, query: Record<string, string> = {}, body?: unknown): Promise<Reply> => {
    const address = new URL(path, url)
    for (const [key, value] of Object.entries(query)) address.searchParams.set(key, value)
    const response = await fetch(address, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (response.status !== 200) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`)
    return parseWechat(await response.text())
  }
  const credentials = { appid: APPID, secret: SECRET }
  return {
    call,
    loginCode: async (openid: string, unionid?: string): Promise<string> => (await call('POST', '/_emulator/wechat/login-code', {}, { openid, unionid })).code,
    session: (code: string, over: Record<string, string> = {}) =>
      call('GET', '/sns/jscode2session', { ...credentials, js_code: code, grant_type: 'authorization_code', ...over }),
    stable: (force?: boolean, over: Record<string, unknown> = {}) =>
      call('POST', '/cgi-bin/stable_token', {}, { grant_type: 'client_credential', ...credentials, ...(force === undefined ? {} : { force_refresh: force }), ...over }),
    token: (over: Record<string, string> = {}) => call('GET', '/cgi-bin/token', { grant_type: 'client_credential', ...credentials, ...over }),
    /** A call that checks the token and changes nothing: the category list. */
    check: (token: string) => call('GET', '/wxaapi/newtmpl/getcategory', { access_token: token }),
    send: (token: string | undefined, body: Record<string, unknown>) => call('POST', '/cgi-bin/message/subscribe/send', token === undefined ? {} : { access_token: token }, body),
  }
}

export { until }

/** The fixture project in a folder of its own with `files` written over it (path → text), served for one test. */
export function withProject(files: Record<string, string>, args: string[], use: (emulator: RunningEmulator) => Promise<void>): Promise<void> {
  return withProjectCopy(
    (project) => {
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(project, path)), { recursive: true })
        writeFileSync(join(project, path), text)
      }
    },
    args,
    use,
  )
}
