/** How the Data panel orders a page's columns and names a value's kind. */
import { describe, expect, it } from 'vitest'
import { columnsOf, isIdField, kindOf } from './cells'

describe('the documents table', () => {
  it('puts _id first, then the most common fields, and among as common the ones that read at a glance', () => {
    const docs = [
      { _id: 'a', digest: 'f'.repeat(32), nested: { x: 1 }, status: 'sent', rare: 1 },
      { _id: 'b', digest: 'e'.repeat(32), nested: { x: 2 }, status: 'failed' },
    ]
    expect(columnsOf(docs)).toEqual(['_id', 'status', 'digest', 'nested', 'rare'])
    expect(columnsOf([])).toEqual(['_id'])
  })

  it('names each relaxed EJSON value by its kind, a date by { $date } alone', () => {
    expect([null, undefined, [1], { $date: 'x' }, { $date: 'x', more: 1 }, {}, 1.5, true, 'text'].map(kindOf)).toEqual(['null', 'null', 'array', 'date', 'object', 'object', 'number', 'boolean', 'string'])
  })

  it('knows id fields by name', () => {
    expect(['_id', 'templateId', 'queue_id', 'openid', 'unionid', 'touser', 'status'].map(isIdField)).toEqual([true, true, true, true, true, false, false])
  })
})
