/** Every code a function may answer has a sentence a user of the mini-program understands, in Chinese. */
import { describe, expect, it } from 'vitest'
import { CODES } from '../src/replies'
import { CODE_SENTENCES, POPUP_ERRORS, sentenceOf } from '../miniprogram/lib/words'

const CHINESE = /[\u4e00-\u9fff]/

describe('the words the mini-program shows', () => {
  it('name every reply code of src/replies.ts, each a Chinese sentence', () => {
    const codes = Object.values(CODES)
    expect(codes.filter((code) => !(code in CODE_SENTENCES))).toEqual([])
    expect(Object.keys(CODE_SENTENCES).filter((code) => !(codes as string[]).includes(code))).toEqual([])
    for (const sentence of [...Object.values(CODE_SENTENCES), ...Object.values(POPUP_ERRORS)]) expect(sentence).toMatch(CHINESE)
  })

  it('fill in a figure the refusal carries', () => {
    expect(sentenceOf({ code: 'QUEUE_FULL', limit: 50 })).toBe('待发送的提醒已达上限（50 条），请先取消一些。')
    expect(sentenceOf({ code: 'SOMETHING_NEW' })).toMatch(CHINESE)
  })
})
