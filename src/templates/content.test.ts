/** The version a card opens when its request names none, from the settings and where the function runs. */
import { describe, expect, it } from 'vitest'
import { loadSettings } from '../settings'
import file from '../../settings.json'
import { defaultState } from './content'

const cards = (env: Record<string, string> = {}) => loadSettings(file, env).cards

describe('defaultState', () => {
  it('opens the formal version on an environment the settings do not call a test one', () => {
    expect(defaultState(cards(), { envId: 'prod-8h2k', emulated: false })).toBe('formal')
    expect(defaultState(cards(), { emulated: false })).toBe('formal')
    expect(defaultState(cards({ CARDS_TEST_ENVIRONMENTS: 'test-1' }), { envId: 'prod-8h2k', emulated: false })).toBe('formal')
  })

  it('opens the test version on the emulator and on a listed test environment', () => {
    expect(defaultState(cards(), { envId: 'local', emulated: true })).toBe('developer')
    expect(defaultState(cards({ CARDS_TEST_ENVIRONMENTS: 'test-1,qa-2' }), { envId: 'qa-2', emulated: false })).toBe('developer')
    expect(defaultState(cards({ CARDS_TEST_ENVIRONMENTS: 'qa-2', CARDS_TEST_STATE: 'trial' }), { envId: 'qa-2', emulated: false })).toBe('trial')
  })

  it('counts the emulator as a test environment only while emulatorIsTest', () => {
    const off = cards({ CARDS_EMULATOR_IS_TEST: 'false' })
    expect(defaultState(off, { envId: 'local', emulated: true })).toBe('formal')
    expect(defaultState({ ...off, testEnvironments: ['local'] }, { envId: 'local', emulated: true })).toBe('developer')
    expect(defaultState(cards({ CARDS_STATE: 'trial' }), { envId: 'prod', emulated: false })).toBe('trial')
  })
})
