/**
 * No bad input to a control route (`/_emulator/*`) is the emulator's own
 * error: generated requests (malformed bodies, unexpected methods, odd ids in
 * paths, odd query strings; test/support/odd-requests.ts) go to every control
 * route of a real emulator process, this file's own, and none is answered
 * with a 5xx or left unanswered. The routes that change state (faults, the
 * clock of a trigger, kill, resets) are among them; the emulator still serves
 * after. The list of routes below is held against the routes the running
 * server says it serves, so that a new route is exercised too.
 *
 * The seed is random, printed, and set by CONTROL_ROUTES_SEED (with
 * CONTROL_ROUTES_PATH, the path fast-check prints, to replay one
 * counterexample); CONTROL_ROUTES_RUNS sets the number of requests (4000).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_BODY_BYTES } from './http'
import { FIXTURE_PROJECT, useEmulator } from '../test/support/emulator'
import { oddRequestToAny, sendOdd, type ControlRoute, type OddRequest } from '../test/support/odd-requests'

const seed = Number(process.env.CONTROL_ROUTES_SEED ?? Math.floor(Math.random() * 2 ** 31))
if (!Number.isSafeInteger(seed)) throw new Error(`CONTROL_ROUTES_SEED must be a whole number, not ${process.env.CONTROL_ROUTES_SEED}`)
const path = process.env.CONTROL_ROUTES_PATH
const numRuns = Number(process.env.CONTROL_ROUTES_RUNS ?? 4000)
console.log(`control-routes: seed ${seed}${path ? `, path ${path}` : ''} (CONTROL_ROUTES_SEED=${seed} sends the same requests)`)

const WECHAT_FAULTS = ['errcode', 'rate', 'deliverFirst', 'latencyMs', 'latencyByUser', 'jitterMs', 'hang', 'dailyLimit', 'seed']
const DATABASE_FAULTS = ['rate', 'lostReply', 'stallRate', 'stallMs', 'latencyMs', 'ops', 'collections', 'seed']

/** Every control route, once: the one list the property draws from and the server's routes are held against. */
const CONTROL_ROUTES: ControlRoute[] = [
  { method: 'GET', path: '/_emulator/health' },
  { method: 'GET', path: '/_emulator/routes' },
  { method: 'GET', path: '/_emulator/stats' },
  { method: 'DELETE', path: '/_emulator/stats' },
  { method: 'GET', path: '/_emulator/console' },
  { method: 'GET', path: '/_emulator/functions' },
  { method: 'POST', path: '/_emulator/functions/{function}/call', body: ['data', 'user', 'source'] },
  { method: 'POST', path: '/_emulator/functions/{function}/trigger', body: ['time'] },
  { method: 'POST', path: '/_emulator/functions/{function}/kill' },
  { method: 'GET', path: '/_emulator/logs', query: ['function', 'requestId'] },
  { method: 'GET', path: '/_emulator/invocations' },
  { method: 'GET', path: '/_emulator/db' },
  { method: 'GET', path: '/_emulator/db/{collection}', query: ['limit', 'offset', 'after', 'filter'] },
  { method: 'GET', path: '/_emulator/db/{collection}/count', query: ['filter'] },
  { method: 'GET', path: '/_emulator/db/{collection}/indexes' },
  { method: 'GET', path: '/_emulator/db/{collection}/export' },
  { method: 'POST', path: '/_emulator/db/{collection}/import', body: ['_id', 'n', 'data'] },
  { method: 'PUT', path: '/_emulator/db/{collection}/doc/{id}', body: ['_id', 'n', 'data'] },
  { method: 'DELETE', path: '/_emulator/db/{collection}/doc/{id}' },
  { method: 'GET', path: '/_emulator/database/faults' },
  { method: 'PUT', path: '/_emulator/database/faults', body: DATABASE_FAULTS },
  { method: 'DELETE', path: '/_emulator/database/faults' },
  { method: 'POST', path: '/_emulator/wechat/subscribe', body: ['openid', 'choices', 'keep'] },
  { method: 'GET', path: '/_emulator/wechat/messages', query: ['touser'] },
  { method: 'GET', path: '/_emulator/wechat/users' },
  { method: 'GET', path: '/_emulator/wechat/grants' },
  { method: 'GET', path: '/_emulator/wechat/deliveries', query: ['minutes'] },
  { method: 'GET', path: '/_emulator/wechat/funnel', query: ['days'] },
  { method: 'GET', path: '/_emulator/wechat/quota', query: ['openid', 'templateId'] },
  { method: 'GET', path: '/_emulator/wechat/templates' },
  { method: 'GET', path: '/_emulator/wechat/settings', query: ['openid'] },
  { method: 'PUT', path: '/_emulator/wechat/settings', body: ['openid', 'mainSwitch', 'itemSettings'] },
  { method: 'POST', path: '/_emulator/wechat/reject', body: ['openid', 'templateId'] },
  { method: 'POST', path: '/_emulator/wechat/resume', body: ['openid', 'templateId'] },
  { method: 'POST', path: '/_emulator/wechat/messages/{msgid}/fail', body: ['errorCode', 'errorStatus'] },
  { method: 'GET', path: '/_emulator/wechat/events' },
  { method: 'POST', path: '/_emulator/wechat/login-code', body: ['openid', 'unionid'] },
  { method: 'PUT', path: '/_emulator/wechat/users/{openid}/blocked', body: ['blocked'] },
  { method: 'POST', path: '/_emulator/wechat/tokens/expire' },
  { method: 'GET', path: '/_emulator/wechat/faults' },
  { method: 'PUT', path: '/_emulator/wechat/faults', body: WECHAT_FAULTS },
  { method: 'DELETE', path: '/_emulator/wechat/faults' },
]

/** The 5xx this property has found, each tried first on every run so that none comes back unseen. */
const FOUND: OddRequest[] = [
  { method: 'POST', target: '/_emulator/wechat/subscribe', body: '{"openid":"oFuzzA","choices":{"":"accept"}}' },
  { method: 'PUT', target: '/_emulator/wechat/settings', body: '{"openid":"oFuzzA","itemSettings":null}' },
  { method: 'GET', target: '/_emulator/db/docs/count?filter=%7B%22a%22%3A%7B%22%24regex%22%3A%22%5B%22%7D%7D' },
  { method: 'GET', target: '/_emulator/db/docs?limit=0.5&after=0' },
  { method: 'POST', target: '/_emulator/db/docs/import', body: `[{"x":${'['.repeat(5000)}${']'.repeat(5000)}}]` },
  { method: 'POST', target: '/_emulator/functions/echo/call', body: `{"data":${'['.repeat(5000)}${']'.repeat(5000)}}` },
  // Too large: answered 413, not with the connection dropped.
  { method: 'POST', target: '/_emulator/wechat/subscribe', body: 'x'.repeat(MAX_BODY_BYTES + 1) },
]

interface ServedRoute {
  method: string
  pattern: string
}

/** The listed route's path with each part filled, as the server's pattern for it must match. */
const sample = (route: ControlRoute) => route.path.replace(/\{\w+\}/g, 'x')
const reaches = (route: ControlRoute, served: ServedRoute) => route.method === served.method && new RegExp(served.pattern).test(sample(route))
const isControl = (served: ServedRoute) => served.pattern.startsWith('^\\/_emulator')

/** The control routes served that no listed route reaches, and the listed routes no served route answers. */
function heldAgainst(served: ServedRoute[], listed: ControlRoute[]) {
  return {
    unexercised: served.filter(isControl).filter((route) => !listed.some((entry) => reaches(entry, route))),
    unserved: listed.filter((entry) => !served.some((route) => reaches(entry, route))).map((entry) => `${entry.method} ${entry.path}`),
  }
}

// Its own emulator, with a moved clock allowed, so that a trigger's `time` moves it.
const emulator = useEmulator({ project: FIXTURE_PROJECT, args: ['--no-timers', '--time-travel'] })
const served = async (): Promise<ServedRoute[]> => (await emulator.request('GET', '/_emulator/routes')).body.data

describe('the list of control routes', () => {
  it('holds every control route the server serves, and none it does not', async () => {
    const routes = await served()
    expect(heldAgainst(routes, CONTROL_ROUTES)).toEqual({ unexercised: [], unserved: [] })
  })

  it('finds a served route the list lacks, and a listed route nothing serves', async () => {
    const routes = await served()
    const lacking = CONTROL_ROUTES.filter((route) => route.path !== '/_emulator/wechat/tokens/expire')
    const stale = [...CONTROL_ROUTES, { method: 'POST', path: '/_emulator/clock' }]
    expect(heldAgainst(routes, lacking).unexercised).toEqual([{ method: 'POST', pattern: '^\\/_emulator\\/wechat\\/tokens\\/expire$' }])
    expect(heldAgainst(routes, stale).unserved).toEqual(['POST /_emulator/clock'])
  })
})

describe('bad input to any control route', () => {
  it('is answered below 500, and the emulator serves on', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(oddRequestToAny(CONTROL_ROUTES), async (odd) => {
        const reply = await sendOdd(emulator.url, odd)
        if (reply.status >= 500) throw new Error(`HTTP ${reply.status} for ${odd.method} ${odd.target.slice(0, 300)}: ${reply.text.slice(0, 500)}`)
      }),
      { numRuns, seed, examples: FOUND.map((odd) => [odd]), ...(path ? { path } : {}) },
    )
    expect(emulator.output.filter((line) => line.includes('internal error'))).toEqual([])

    // Whatever the requests set, cleared, the emulator answers a popup and a call as ever.
    expect((await emulator.request('DELETE', '/_emulator/wechat/faults')).status).toBe(200)
    expect((await emulator.request('DELETE', '/_emulator/database/faults')).status).toBe(200)
    const popup = await emulator.request('POST', '/_emulator/wechat/subscribe', { openid: 'oAfterFuzz', choices: { ONE_TIME_B: 'accept' } })
    expect(popup.body).toEqual({ errMsg: 'requestSubscribeMessage:ok', ONE_TIME_B: 'accept' })
    expect((await emulator.request('GET', '/_emulator/wechat/quota?openid=oAfterFuzz&templateId=ONE_TIME_B')).body.available).toBe(1)
    expect((await emulator.call('echo', { after: 'fuzz' })).status).toBe(200)
  })
})
