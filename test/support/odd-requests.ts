/**
 * Requests a careless or hostile caller could send a control route, as
 * fast-check arbitraries: a route's own method or another, odd ids in its
 * path, odd query strings, and bodies of every malformed kind (none, empty,
 * not JSON, JSON of the wrong type, the route's fields with wrong or huge
 * values), beside plausible values that reach the checks past the first.
 * And a raw sender, so that a body goes out exactly as generated.
 */
import { Agent, request } from 'node:http'
import fc from 'fast-check'

/** A control route as the property test lists it: `{name}` marks a path part, `body` and `query` the names it reads. */
export interface ControlRoute {
  method: string
  path: string
  body?: readonly string[]
  query?: readonly string[]
}

export interface OddRequest {
  method: string
  /** The path and query, exactly as sent. */
  target: string
  body?: string
  contentType?: string
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']
/** The fixture project's templates and users-to-be, so that a request can get past "not found". */
const TEMPLATES = ['ONE_TIME_ORDER', 'ONE_TIME_A', 'LONG_TERM_CLASS']
const OPENIDS = ['oFuzzA', 'oFuzzB']
/** Ids that look like ids and are not: empty, blank, prototype names, escapes. */
const EDGE_IDS = ['', '   ', 'NOPE', '__proto__', 'constructor', '%']
/** A key of a map of ids: empty or blank half the time (the edge most often missed), else another edge id or a real one. */
const idKey = (real: string[]) => fc.oneof(fc.constantFrom('', '   '), fc.constantFrom(...EDGE_IDS.slice(2), ...real))
const share = fc.double({ min: 0, max: 1, noNaN: true })
const shortMs = fc.integer({ min: 0, max: 50 })
const count = fc.nat({ max: 40 }).map(String)

/** A value a well-meaning caller would send for each name a route reads (a filter the service refuses among them). */
const PLAUSIBLE: Record<string, fc.Arbitrary<unknown>> = {
  openid: fc.constantFrom(...OPENIDS),
  touser: fc.constantFrom(...OPENIDS),
  unionid: fc.constant('uFuzz'),
  templateId: fc.constantFrom(...TEMPLATES),
  choices: fc.dictionary(idKey(TEMPLATES), fc.constantFrom('accept', 'reject', 'ban'), { maxKeys: 3 }),
  keep: fc.boolean(),
  mainSwitch: fc.boolean(),
  itemSettings: fc.dictionary(idKey(TEMPLATES), fc.constantFrom('accept', 'reject'), { maxKeys: 2 }),
  blocked: fc.boolean(),
  errorCode: fc.integer(),
  errorStatus: fc.string(),
  data: fc.jsonValue({ maxDepth: 2 }),
  user: fc.record({ openid: fc.constantFrom(...OPENIDS), unionid: fc.constant('uFuzz') }, { requiredKeys: ['openid'] }),
  source: fc.constantFrom('wx_client', 'scf', 'wx_http', 'wx_client,scf'),
  time: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  errcode: fc.integer({ min: -1, max: 50_000 }),
  rate: share,
  deliverFirst: share,
  lostReply: share,
  stallRate: share,
  latencyMs: shortMs,
  stallMs: shortMs,
  jitterMs: shortMs,
  latencyByUser: fc.dictionary(idKey(OPENIDS), shortMs, { maxKeys: 2 }),
  hang: fc.boolean(),
  dailyLimit: fc.nat(),
  seed: fc.nat(),
  ops: fc.subarray(['get', 'count', 'add', 'update', 'remove', 'aggregate', 'transaction']),
  collections: fc.subarray(['docs', 'items']),
  limit: count,
  offset: count,
  after: count,
  minutes: count,
  days: count,
  filter: fc.constantFrom('{}', '{"n":{"$gt":1}}', '{"a":{"$regex":"["}}', '{"$where":"1"}', '{"a":{"$nope":1}}', '{"d":{"$date":"x"}}'),
  requestId: fc.uuid(),
  // Path parts. echo answers any event, so that a 500 from a call is the emulator's, never a function's failure (README: HTTP 500).
  function: fc.constant('echo'),
  collection: fc.constantFrom('docs', 'items'),
  id: fc.constantFrom('d1', '1'),
  msgid: fc.bigInt({ min: 10n ** 18n, max: 10n ** 19n - 1n }).map(String),
}

/** A value of the wrong kind, or of the right kind but absurd: any JSON, edge ids and numbers, long text. */
const oddValueUpTo = (longest: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(...EDGE_IDS, -1, -0, 0.5, 1e308, 2 ** 53 + 1, null, true, [], {}),
    fc.nat({ max: longest }).map((n) => 'x'.repeat(n)),
  )
/** In a body, huge; in a URL, within what Node's HTTP server reads at all (16 KB of request line and headers). */
const oddValue = oddValueUpTo(100_000)
const oddInUrl = oddValueUpTo(2_000)

const plausibleOr = (name: string): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 7, arbitrary: PLAUSIBLE[name] ?? oddValue }, { weight: 2, arbitrary: oddValue }, { weight: 1, arbitrary: fc.constant(undefined) })

/** JSON text that no JSON.stringify makes: out-of-range numbers, a prototype key, a byte-order mark. */
const RAW_JSON = ['1e400', '{"openid":1e400}', '{"__proto__":{"openid":"oFuzzA"}}', '\ufeff{}', '{"a":1,"a":2}', 'null', '""', '[[[[[[[[]]]]]]]]']
const NOT_JSON = ['{', '[1,', 'undefined', 'NaN', "{'a':1}", '{"a":}', '\u0000', 'openid=oFuzzA&choices=x']

/** A body with one field nested hundreds to thousands deep, written as text (JSON.stringify would recurse as deep), alone or in an array. */
const deeplyNested = (names: readonly string[]): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(...names, 'x'), fc.integer({ min: 300, max: 20_000 }), fc.boolean(), fc.boolean()).map(([name, depth, objects, inArray]) => {
    const nested = objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`
    return inArray ? `[{"${name}":${nested}}]` : `{"${name}":${nested}}`
  })

function bodyOf(names: readonly string[]): fc.Arbitrary<string | undefined> {
  const fields = fc.record(Object.fromEntries(names.map((name) => [name, plausibleOr(name)])))
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...NOT_JSON), fc.string()) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_JSON) },
    { weight: 1, arbitrary: deeplyNested(names) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    { weight: 12, arbitrary: fields.map((value) => JSON.stringify(value)) },
    // An array of them, as an import takes.
    { weight: 1, arbitrary: fc.array(fields, { maxLength: 3 }).map((value) => JSON.stringify(value)) },
  )
}

/** A path part: the fixture's own, or text, escapes (malformed too), prototype names and length. */
const pathPart = (name: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: (PLAUSIBLE[name] ?? fc.constant('x')).map((value) => encodeURIComponent(String(value))) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '.', '%2F', '%2e%2e', '%00', '%FF', '__proto__', 'constructor') },
    { weight: 1, arbitrary: fc.nat({ max: 4_000 }).map((n) => 'a'.repeat(n + 1)) },
  )

/** Text a number parameter may meet: fractions, signs, exponents, no number at all. */
const NUMBERISH = ['0', '-1', '0.5', '2.5', '1e400', 'NaN', '0x10', '99999999999999999999999']
/** Parts no form encoder makes: a bare %, a bad escape, empty pairs, a key without a value. */
const RAW_QUERY = ['%', '%zz', '&&', '=', '==x', 'a=%E0%A4%A', '?', '__proto__=1']

const queryValue = (name: string): fc.Arbitrary<string> =>
  fc
    .oneof(PLAUSIBLE[name] ?? oddInUrl, fc.constantFrom(...NUMBERISH), oddInUrl)
    .map((value) => encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value)))

/** A query string: each of the route's own names absent, plausible, number-like or odd, then malformed or foreign parts. */
function queryOf(names: readonly string[]): fc.Arbitrary<string> {
  const own = fc.tuple(...names.map((name) => fc.option(queryValue(name).map((value) => `${name}=${value}`), { freq: 3, nil: undefined })))
  const extra = fc.array(fc.oneof(fc.constantFrom(...RAW_QUERY, ...names), queryValue('x').map((value) => `x=${value}`)), { maxLength: 2 })
  return fc.tuple(own, extra).map(([parts, more]) => {
    const all = [...parts.filter((part) => part !== undefined), ...more]
    return all.length > 0 ? `?${all.join('&')}` : ''
  })
}

/** The names of a route's path parts: `/db/{collection}` has `collection`. */
const partsOf = (route: ControlRoute) => route.path.match(/\{(\w+)\}/g)?.map((part) => part.slice(1, -1)) ?? []

/** One odd request to `route`. */
function oddRequestTo(route: ControlRoute): fc.Arbitrary<OddRequest> {
  const names = partsOf(route)
  return fc.record({
    method: fc.oneof({ weight: 4, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
    parts: fc.tuple(...names.map(pathPart)),
    query: queryOf(route.query ?? []),
    body: bodyOf(route.body ?? []),
    contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'multipart/form-data'),
  }).map(({ method, parts, query, body, contentType }) => {
    let i = 0
    const path = route.path.replace(/\{\w+\}/g, () => parts[i++]!)
    return { method, target: `${path}${query}`, body, contentType }
  })
}

/** One odd request to any of `routes`, each drawn in proportion to what it reads (its path parts, query and body names), so that a route with more to get wrong gets more tries. */
export function oddRequestToAny(routes: readonly ControlRoute[]): fc.Arbitrary<OddRequest> {
  const weight = (route: ControlRoute) => 1 + partsOf(route).length + (route.query?.length ?? 0) + (route.body?.length ?? 0)
  return fc.oneof(...routes.map((route) => ({ weight: weight(route), arbitrary: oddRequestTo(route) })))
}

const agent = new Agent({ keepAlive: true })

/** Sends `odd` as it is; a connection dropped without an answer fails, as does no answer within 15 s. */
export function sendOdd(url: string, odd: OddRequest): Promise<{ status: number; text: string }> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    // A length even on a GET: without one Node sends a GET's body unframed, and the next request on the connection fails.
    const headers: Record<string, string | number> = {
      ...(odd.contentType ? { 'content-type': odd.contentType } : {}),
      ...(odd.body === undefined ? {} : { 'content-length': Buffer.byteLength(odd.body) }),
    }
    const req = request({ host: '127.0.0.1', port, method: odd.method, path: odd.target, headers, agent, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within 15 s to ${odd.method} ${odd.target.slice(0, 200)}`)))
    req.on('error', reject)
    req.end(odd.body)
  })
}
