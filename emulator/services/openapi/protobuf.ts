/**
 * The two protobuf messages of wx-server-sdk's cloud-call plumbing, read and
 * written by hand (they are small and fixed):
 *   CommApiData     { 1: apiType (varint), 2: OpenApiData { 1: repeated KeyValuePair { 1: key, 2: value (bytes) } }, 6: appid }
 *   CommOpenApiResp { 1: respData (bytes), 2: contentType (string), 3: errorCode (int32) }
 */
type Field = { number: number; wireType: number; value: bigint | Buffer }

function readVarint(buffer: Buffer, offset: number): [bigint, number] {
  let result = 0n
  let shift = 0n
  for (;;) {
    if (offset >= buffer.length) throw new Error('truncated varint')
    const byte = buffer[offset++]!
    result |= BigInt(byte & 0x7f) << shift
    if ((byte & 0x80) === 0) return [result, offset]
    shift += 7n
    if (shift > 63n) throw new Error('varint too long')
  }
}

function readFields(buffer: Buffer): Field[] {
  const fields: Field[] = []
  let offset = 0
  while (offset < buffer.length) {
    const [tag, afterTag] = readVarint(buffer, offset)
    const number = Number(tag >> 3n)
    const wireType = Number(tag & 7n)
    offset = afterTag
    if (wireType === 0) {
      const [value, next] = readVarint(buffer, offset)
      fields.push({ number, wireType, value })
      offset = next
    } else if (wireType === 2) {
      const [length, start] = readVarint(buffer, offset)
      const end = start + Number(length)
      if (end > buffer.length) throw new Error('truncated field')
      fields.push({ number, wireType, value: buffer.subarray(start, end) })
      offset = end
    } else if (wireType === 5) {
      fields.push({ number, wireType, value: buffer.subarray(offset, offset + 4) })
      offset += 4
    } else if (wireType === 1) {
      fields.push({ number, wireType, value: buffer.subarray(offset, offset + 8) })
      offset += 8
    } else {
      throw new Error(`unsupported wire type ${wireType}`)
    }
  }
  return fields
}

export interface CommApiData {
  apiType: number
  appid: string
  /** Each top-level field of the call's data, parsed from the JSON bytes the SDK sent. */
  data: Record<string, unknown>
}

export function decodeCommApiData(buffer: Buffer): CommApiData {
  const out: CommApiData = { apiType: 0, appid: '', data: {} }
  for (const field of readFields(buffer)) {
    if (field.number === 1 && field.wireType === 0) out.apiType = Number(field.value)
    else if (field.number === 6 && field.wireType === 2) out.appid = (field.value as Buffer).toString('utf8')
    else if (field.number === 2 && field.wireType === 2) {
      for (const pair of readFields(field.value as Buffer)) {
        if (pair.number !== 1 || pair.wireType !== 2) continue
        let key = ''
        let value: Buffer | undefined
        for (const part of readFields(pair.value as Buffer)) {
          if (part.number === 1) key = (part.value as Buffer).toString('utf8')
          if (part.number === 2) value = part.value as Buffer
        }
        // Defined, not assigned: a key named __proto__ stays a field and never becomes a prototype.
        if (key) {
          Object.defineProperty(out.data, key, {
            value: value === undefined ? undefined : JSON.parse(value.toString('utf8')),
            enumerable: true,
            writable: true,
            configurable: true,
          })
        }
      }
    }
  }
  return out
}

function varint(value: number): Buffer {
  const bytes: number[] = []
  let v = BigInt.asUintN(64, BigInt(value))
  do {
    let byte = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) byte |= 0x80
    bytes.push(byte)
  } while (v > 0n)
  return Buffer.from(bytes)
}

function lengthDelimited(number: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((number << 3) | 2), varint(payload.length), payload])
}

export function encodeCommOpenApiResp(reply: { respData?: Buffer; contentType?: string; errorCode?: number }): Buffer {
  const parts: Buffer[] = []
  if (reply.respData) parts.push(lengthDelimited(1, reply.respData))
  if (reply.contentType) parts.push(lengthDelimited(2, Buffer.from(reply.contentType, 'utf8')))
  if (reply.errorCode) parts.push(varint(3 << 3), varint(reply.errorCode))
  return Buffer.concat(parts)
}

/** The inverse of the above, for tests that speak the protocol directly. */
export function encodeCommApiData(call: CommApiData): Buffer {
  const pairs = Object.entries(call.data).map(([key, value]) =>
    lengthDelimited(
      1,
      Buffer.concat([lengthDelimited(1, Buffer.from(key)), lengthDelimited(2, Buffer.from(JSON.stringify(value)))]),
    ),
  )
  return Buffer.concat([
    varint(1 << 3),
    varint(call.apiType),
    lengthDelimited(2, Buffer.concat(pairs)),
    lengthDelimited(6, Buffer.from(call.appid)),
  ])
}

export function decodeCommOpenApiResp(buffer: Buffer): { respData?: Buffer; contentType?: string; errorCode?: number } {
  const out: { respData?: Buffer; contentType?: string; errorCode?: number } = {}
  for (const field of readFields(buffer)) {
    if (field.number === 1) out.respData = field.value as Buffer
    if (field.number === 2) out.contentType = (field.value as Buffer).toString('utf8')
    if (field.number === 3) out.errorCode = Number(BigInt.asIntN(32, field.value as bigint))
  }
  return out
}
