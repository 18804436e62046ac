import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeCommApiData, decodeCommOpenApiResp, encodeCommApiData, encodeCommOpenApiResp } from './protobuf'

describe('cloud-call protobuf', () => {
  it('decodes what it encodes, for any call data', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue()), fc.string(), (data, appid) => {
        const clean = JSON.parse(JSON.stringify(data))
        const decoded = decodeCommApiData(encodeCommApiData({ apiType: 1, appid, data: clean }))
        expect(decoded).toEqual({ apiType: 1, appid, data: clean })
      }),
    )
  })

  it('writes a negative errorCode as an int32 the SDK reads back', () => {
    const reply = decodeCommOpenApiResp(encodeCommOpenApiResp({ errorCode: -604101 }))
    expect(reply.errorCode).toBe(-604101)
    const json = decodeCommOpenApiResp(encodeCommOpenApiResp({ respData: Buffer.from('{"errcode":0}'), contentType: 'application/json' }))
    expect(json.respData?.toString()).toBe('{"errcode":0}')
    expect(json.contentType).toBe('application/json')
  })

  it('refuses a truncated message', () => {
    const bytes = encodeCommApiData({ apiType: 1, appid: 'wx1', data: { touser: 'o' } })
    expect(() => decodeCommApiData(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/)
  })
})
