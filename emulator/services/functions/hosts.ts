/**
 * The service's hosts that older SDKs have built in, and WeChat's server API,
 * routed to the emulator inside a function's instance. wx-server-sdk 1.x and
 * 2.0 (through tcb-admin-node and the first @cloudbase/node-sdk) ignore
 * TCB_CONTEXT_CNFG: inside SCF they send the database's requests to
 * tcb-admin.tencentyun.com over HTTP, and 1.5's open API goes to
 * tcb-open.tencentcloudapi.com over HTTPS. Newer SDKs read the URL the
 * platform gives them and never reach this. A function that calls WeChat
 * without cloud call (AppID, AppSecret, access token) goes to
 * api.weixin.qq.com over HTTPS, which the emulator serves at its own address.
 */
import http from 'node:http'
import https from 'node:https'

/** The hosts an SDK inside SCF may send to: the service's API and its WeChat open API, inner and public. */
export const SERVICE_HOSTS = ['tcb-admin.tencentyun.com', 'tcb-open.tencentyun.com', 'tcb-admin.tencentcloudapi.com', 'tcb-open.tencentcloudapi.com']
/** WeChat's HTTPS server API (jscode2session, access tokens, subscribeMessage.send, template management). */
export const WECHAT_API_HOST = 'api.weixin.qq.com'
const ROUTED_HOSTS = [...SERVICE_HOSTS, WECHAT_API_HOST]

type RequestArgs = [http.RequestOptions, ...unknown[]]

/** The options and callback of any call form of http.request: (url), (url, options), (options), each with an optional callback. */
function normalise(args: unknown[], protocol: string): RequestArgs {
  const [first, ...rest] = args
  if (typeof first !== 'string' && !(first instanceof URL)) return [(first ?? {}) as http.RequestOptions, ...rest]
  const url = new URL(first)
  const options = typeof rest[0] === 'object' && rest[0] !== null ? (rest.shift() as http.RequestOptions) : {}
  return [{ protocol, hostname: url.hostname, port: url.port || undefined, path: url.pathname + url.search, ...options }, ...rest]
}

const hostOf = (options: http.RequestOptions) => String(options.hostname ?? options.host ?? '').replace(/:\d+$/, '')

/** Installs the routing in this instance: a request to a routed host goes, over HTTP, to the server at `adminUrl`, its path kept. */
export function routeServiceHosts(adminUrl: string): void {
  const target = new URL(adminUrl)
  const plain = { request: http.request, get: http.get }
  const routed = (args: unknown[], protocol: string): RequestArgs | undefined => {
    const [options, ...rest] = normalise(args, protocol)
    if (!ROUTED_HOSTS.includes(hostOf(options))) return undefined
    const headers = Object.fromEntries(Object.entries(options.headers ?? {}).filter(([key]) => key.toLowerCase() !== 'host'))
    // An HTTPS agent would start TLS: the emulator speaks plain HTTP on loopback.
    const agent = options.agent instanceof https.Agent ? undefined : options.agent
    return [{ ...options, protocol: 'http:', hostname: target.hostname, host: target.hostname, port: Number(target.port), agent, headers: { ...headers, host: target.host } }, ...rest]
  }
  for (const [module, protocol] of [[http, 'http:'], [https, 'https:']] as const) {
    const own = { request: module.request, get: module.get }
    module.request = ((...args: unknown[]) => {
      const route = routed(args, protocol)
      return route ? plain.request(...(route as Parameters<typeof http.request>)) : (own.request as (...a: unknown[]) => http.ClientRequest)(...args)
    }) as typeof http.request
    module.get = ((...args: unknown[]) => {
      const route = routed(args, protocol)
      return route ? plain.get(...(route as Parameters<typeof http.get>)) : (own.get as (...a: unknown[]) => http.ClientRequest)(...args)
    }) as typeof http.get
  }
  routeFetch(target)
}

/** The global fetch (Node 18 on) takes the same route: it does not go through http.request. */
function routeFetch(target: URL): void {
  const own = globalThis.fetch
  if (typeof own !== 'function') return
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    let url: URL
    try {
      url = new URL(input instanceof Request ? input.url : input)
    } catch {
      return own(input, init)
    }
    if (!ROUTED_HOSTS.includes(url.hostname)) return own(input, init)
    const routed = `http://${target.host}${url.pathname}${url.search}`
    if (!(input instanceof Request)) return own(routed, init)
    const { method, headers, body, signal } = input
    return own(routed, { method, headers, body, signal, duplex: 'half', ...init } as RequestInit)
  }) as typeof fetch
}
