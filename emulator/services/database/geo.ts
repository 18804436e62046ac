/**
 * Geo as the service (MongoDB with 2dsphere indexes) answers it, over the
 * GeoJSON that the SDK's `db.Geo` types are stored as: distances on a sphere
 * of MongoDB's radius, containment and intersection of points, lines and
 * polygons, and the query operators `$nearSphere`, `$near`, `$geoWithin` and
 * `$geoIntersects`. One reading is simpler than MongoDB's: edges between two
 * vertices are straight in longitude and latitude, where MongoDB follows the
 * great circle; the two part only for shapes hundreds of kilometres across.
 */
import { resolve, setValue } from 'mingo/util'
import { invalidParam, requestFailed } from './errors'
import { isPlainObject } from './values'

export type Position = [longitude: number, latitude: number]

/** MongoDB's earth radius for spherical distances, in metres. */
export const EARTH_RADIUS_M = 6_378_100

const RAD = Math.PI / 180

function unit([lng, lat]: Position): [number, number, number] {
  const phi = lat * RAD
  const lambda = lng * RAD
  return [Math.cos(phi) * Math.cos(lambda), Math.cos(phi) * Math.sin(lambda), Math.sin(phi)]
}

/** The angle between two positions, in radians, as S2 measures it: atan2(|a×b|, a·b). */
export function angle(a: Position, b: Position): number {
  const [ax, ay, az] = unit(a)
  const [bx, by, bz] = unit(b)
  const cross = Math.hypot(ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx)
  return Math.atan2(cross, ax * bx + ay * by + az * bz)
}

export const distanceM = (a: Position, b: Position) => angle(a, b) * EARTH_RADIUS_M

/** A GeoJSON geometry broken into what intersection needs: its points, its segments, and its polygons (rings). */
interface Parts {
  points: Position[]
  segments: Array<[Position, Position]>
  polygons: Position[][][]
}

const isPosition = (value: unknown): value is Position =>
  Array.isArray(value) && value.length >= 2 && typeof value[0] === 'number' && typeof value[1] === 'number'

function ringSegments(ring: Position[]): Array<[Position, Position]> {
  return ring.slice(1).map((point, i) => [ring[i]!, point])
}

/** The parts of a GeoJSON geometry, or undefined for anything that is not one. */
export function partsOf(value: unknown): Parts | undefined {
  if (!isPlainObject(value) || typeof value.type !== 'string') return undefined
  const c = value.coordinates as never
  const parts: Parts = { points: [], segments: [], polygons: [] }
  const addLine = (line: Position[]) => {
    parts.points.push(...line)
    parts.segments.push(...ringSegments(line))
  }
  const addPolygon = (rings: Position[][]) => {
    rings.forEach(addLine)
    parts.polygons.push(rings)
  }
  try {
    if (value.type === 'Point' && isPosition(c)) parts.points.push(c)
    else if (value.type === 'MultiPoint') parts.points.push(...(c as Position[]))
    else if (value.type === 'LineString') addLine(c)
    else if (value.type === 'MultiLineString') (c as Position[][]).forEach(addLine)
    else if (value.type === 'Polygon') addPolygon(c)
    else if (value.type === 'MultiPolygon') (c as Position[][][]).forEach(addPolygon)
    else return undefined
  } catch {
    return undefined
  }
  return parts.points.every(isPosition) ? parts : undefined
}

const cross = (o: Position, a: Position, b: Position) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
const onSegment = (p: Position, [a, b]: [Position, Position]) =>
  cross(a, b, p) === 0 && Math.min(a[0], b[0]) <= p[0] && p[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= p[1] && p[1] <= Math.max(a[1], b[1])

function segmentsMeet(s: [Position, Position], t: [Position, Position]): boolean {
  const [a, b] = s
  const [c, d] = t
  const d1 = cross(c, d, a)
  const d2 = cross(c, d, b)
  const d3 = cross(a, b, c)
  const d4 = cross(a, b, d)
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true
  return onSegment(a, t) || onSegment(b, t) || onSegment(c, s) || onSegment(d, s)
}

/** Inside a polygon (its outer ring, outside its holes), or on its boundary. */
function inPolygon(p: Position, rings: Position[][]): boolean {
  const inside = (ring: Position[]) => {
    if (ringSegments(ring).some((segment) => onSegment(p, segment))) return true
    let odd = false
    for (const [a, b] of ringSegments(ring)) {
      if (a[1] > p[1] !== b[1] > p[1] && p[0] < ((b[0] - a[0]) * (p[1] - a[1])) / (b[1] - a[1]) + a[0]) odd = !odd
    }
    return odd
  }
  const [outer, ...holes] = rings
  return !!outer && inside(outer) && !holes.some((hole) => inside(hole) && !ringSegments(hole).some((segment) => onSegment(p, segment)))
}

const inAnyPolygon = (p: Position, parts: Parts) => parts.polygons.some((rings) => inPolygon(p, rings))

/** $geoIntersects: the two geometries share at least one point. */
export function intersects(a: Parts, b: Parts): boolean {
  if (a.points.some((p) => inAnyPolygon(p, b) || b.segments.some((s) => onSegment(p, s)) || b.points.some((q) => q[0] === p[0] && q[1] === p[1]))) return true
  if (b.points.some((p) => inAnyPolygon(p, a) || a.segments.some((s) => onSegment(p, s)))) return true
  return a.segments.some((s) => b.segments.some((t) => segmentsMeet(s, t)))
}

/** $geoWithin a polygon or multipolygon: every point of the geometry lies inside it. */
export const within = (shape: Parts, region: Parts) => shape.points.length > 0 && shape.points.every((p) => inAnyPolygon(p, region))

// ---- query operators (mingo's QueryOperator shape: selector, value → predicate) ------------

type Predicate = (doc: unknown) => boolean

function geometryOf(spec: unknown, operator: string): Parts {
  const geometry = isPlainObject(spec) && '$geometry' in spec ? spec.$geometry : spec
  const parts = partsOf(geometry)
  if (!parts) throw invalidParam(`${operator} needs a GeoJSON $geometry`)
  return parts
}

const fieldParts = (doc: unknown, selector: string) => partsOf(resolve(doc as never, selector))

const $geoWithin = (selector: string, value: unknown): Predicate => {
  if (isPlainObject(value) && Array.isArray(value.$centerSphere)) {
    const [center, radius] = value.$centerSphere as [Position, number]
    if (!isPosition(center) || typeof radius !== 'number') throw invalidParam('$centerSphere takes [[longitude, latitude], radius in radians]')
    return (doc) => {
      const parts = fieldParts(doc, selector)
      return !!parts && parts.points.length > 0 && parts.points.every((p) => angle(p, center) <= radius)
    }
  }
  const region = geometryOf(value, '$geoWithin')
  if (region.polygons.length === 0) throw invalidParam('$geoWithin takes a Polygon or MultiPolygon')
  return (doc) => {
    const parts = fieldParts(doc, selector)
    return !!parts && within(parts, region)
  }
}

const $geoIntersects = (selector: string, value: unknown): Predicate => {
  const other = geometryOf(value, '$geoIntersects')
  return (doc) => {
    const parts = fieldParts(doc, selector)
    return !!parts && intersects(parts, other)
  }
}

/** The point and distance bounds of a $nearSphere or $near. */
export function nearSpec(value: unknown, operator: string): { center: Position; min: number; max: number } {
  const spec = isPlainObject(value) ? value : {}
  const geometry = spec.$geometry
  const center = isPlainObject(geometry) && geometry.type === 'Point' && isPosition(geometry.coordinates) ? geometry.coordinates : undefined
  if (!center) throw invalidParam(`${operator} needs a GeoJSON Point $geometry`)
  const bound = (key: string, fallback: number) => (typeof spec[key] === 'number' ? (spec[key] as number) : fallback)
  return { center, min: bound('$minDistance', 0), max: bound('$maxDistance', Number.POSITIVE_INFINITY) }
}

/** The distance in metres from a document's field to a point: its nearest point, as MongoDB measures it. */
export function distanceTo(doc: unknown, selector: string, center: Position): number | undefined {
  const parts = fieldParts(doc, selector)
  if (!parts || parts.points.length === 0) return undefined
  return Math.min(...parts.points.map((p) => distanceM(p, center)))
}

const near = (operator: string) => (selector: string, value: unknown): Predicate => {
  const { center, min, max } = nearSpec(value, operator)
  return (doc) => {
    const distance = distanceTo(doc, selector, center)
    return distance !== undefined && distance >= min && distance <= max
  }
}

export const GEO_QUERY_OPERATORS = { $geoWithin, $geoIntersects, $nearSphere: near('$nearSphere'), $near: near('$near') }

/** The field a filter asks to be near a point, with the bounds, if it asks. */
export function nearQuery(filter: Record<string, unknown>): { field: string; center: Position } | undefined {
  for (const [field, condition] of Object.entries(filter)) {
    if (!isPlainObject(condition)) continue
    for (const operator of ['$nearSphere', '$near']) {
      if (operator in condition) return { field, center: nearSpec(condition[operator], operator).center }
    }
  }
  return undefined
}

/**
 * `near` as GeoJSON. A Geo.Point the SDK has not turned into GeoJSON (a raw pipeline's
 * stage, serialized by EJSON) arrives as its fields `{ longitude, latitude }`.
 */
const pointOf = (near: unknown): unknown =>
  isPlainObject(near) && typeof near.longitude === 'number' && typeof near.latitude === 'number' ? { type: 'Point', coordinates: [near.longitude, near.latitude] } : near

/**
 * The aggregate `$geoNear` stage over the documents its `query` matched (copies, which it
 * changes): each one's distance from `near` along `key`, within the bounds, nearest first,
 * with `distanceField` (times `distanceMultiplier`) and `includeLocs` set.
 */
export function geoNearStage(docs: Array<Record<string, unknown>>, spec: Record<string, unknown>, key: string): Array<Record<string, unknown>> {
  if (typeof spec.distanceField !== 'string' || spec.distanceField === '') throw invalidParam('$geoNear requires a distanceField')
  const { center, min, max } = nearSpec({ $geometry: pointOf(spec.near), $minDistance: spec.minDistance, $maxDistance: spec.maxDistance }, '$geoNear')
  const multiplier = typeof spec.distanceMultiplier === 'number' ? spec.distanceMultiplier : 1
  const measured = docs
    .map((doc) => ({ doc, distance: distanceTo(doc, key, center) }))
    .filter((entry): entry is { doc: Record<string, unknown>; distance: number } => entry.distance !== undefined && entry.distance >= min && entry.distance <= max)
    .sort((a, b) => a.distance - b.distance)
  return measured.map(({ doc, distance }) => {
    if (typeof spec.includeLocs === 'string') setValue(doc, spec.includeLocs, structuredClone(resolve(doc, key)))
    setValue(doc, spec.distanceField as string, distance * multiplier)
    return doc
  })
}

/** Documents nearest first by a field's distance to a point, as a $nearSphere find returns them without a sort. */
export function sortByDistance<T>(docs: T[], field: string, center: Position): T[] {
  return docs
    .map((doc) => ({ doc, distance: distanceTo(doc, field, center) ?? Number.POSITIVE_INFINITY }))
    .sort((a, b) => a.distance - b.distance)
    .map(({ doc }) => doc)
}

/** The 2dsphere indexes each collection has: a near query or a $geoNear stage needs one. */
export class GeoIndexes {
  /** `fieldsOf`: the fields a collection has a geo index on, as the store keeps them. */
  constructor(private readonly fieldsOf: (collection: string) => string[]) {}

  /** The field a near query or $geoNear reads: the one named, if it has the index, else the collection's only geo index. */
  keyFor(collection: string, key: unknown): string {
    const fields = this.fieldsOf(collection)
    if (typeof key === 'string') {
      if (!fields.includes(key)) throw requestFailed(`error processing query: planner returned error :: caused by :: unable to find index for $geoNear query`)
      return key
    }
    if (fields.length === 0) throw requestFailed('$geoNear requires a 2d or 2dsphere index, but none were found')
    if (fields.length > 1) throw requestFailed(`There is more than one 2dsphere index on ${collection}; unsure which to use for $geoNear`)
    return fields[0]!
  }
}
