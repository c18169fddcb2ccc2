/**
 * The test hooks (http/agent.ts): the write spacing (octokit.ts) and the canary's poll interval
 * (main.ts) are honoured only against a loopback GITHUB_API_URL (an emulator), so a real GitHub
 * always gets GitHub's one second between writes and a poll every 5 s.
 */
import { describe, expect, it } from '@jest/globals'
import { WRITE_SPACING_MS, writeSpacingFor } from '../../src/github/octokit.js'
import { loopbackTestHookMs } from '../../src/http/agent.js'

const hook = (value: string) => ({ HIVE_ROTATE_KEY_WRITE_SPACING_MS: value })

describe('writeSpacingFor', () => {
  it('is GitHub’s one second without the variable', () => {
    expect(WRITE_SPACING_MS).toBe(1000)
    expect(writeSpacingFor('http://127.0.0.1:4000', {})).toBe(1000)
    expect(writeSpacingFor('https://api.github.com', {})).toBe(1000)
  })

  it.each(['http://127.0.0.1:4000', 'http://localhost:4000/api/v3', 'http://[::1]:4000'])(
    'honours the variable against a loopback emulator (%s)',
    url => {
      expect(writeSpacingFor(url, hook('0'))).toBe(0)
      expect(writeSpacingFor(url, hook('250'))).toBe(250)
    }
  )

  it.each([
    'https://api.github.com',
    'https://ghes.example.com/api/v3',
    'https://127.0.0.1.example.com',
    'https://localhost.example.com'
  ])('ignores the variable for a GitHub that is not loopback (%s)', url => {
    expect(writeSpacingFor(url, hook('0'))).toBe(1000)
  })

  it.each(['', ' ', '-1', '1e3', 'fast', '0x10', '1000000'])(
    'ignores a value that is not a plain count of milliseconds (%j)',
    value => {
      expect(writeSpacingFor('http://127.0.0.1:4000', hook(value))).toBe(1000)
    }
  )
})

describe('loopbackTestHookMs (the canary poll interval)', () => {
  const NAME = 'HIVE_ROTATE_KEY_CANARY_POLL_MS'
  it('is the value against a loopback emulator, and nothing elsewhere or without it', () => {
    expect(loopbackTestHookMs(NAME, 'http://127.0.0.1:4000', { [NAME]: '100' })).toBe(100)
    expect(loopbackTestHookMs(NAME, 'http://localhost:4000', { [NAME]: ' 0 ' })).toBe(0)
    expect(loopbackTestHookMs(NAME, 'https://api.github.com', { [NAME]: '100' })).toBeUndefined()
    expect(
      loopbackTestHookMs(NAME, 'https://127.0.0.1.example.com', { [NAME]: '100' })
    ).toBeUndefined()
    expect(loopbackTestHookMs(NAME, 'not a url', { [NAME]: '100' })).toBeUndefined()
    expect(loopbackTestHookMs(NAME, 'http://127.0.0.1:4000', {})).toBeUndefined()
    // Another variable's value is not this hook's.
    expect(
      loopbackTestHookMs(NAME, 'http://127.0.0.1:4000', {
        HIVE_ROTATE_KEY_WRITE_SPACING_MS: '0'
      })
    ).toBeUndefined()
    for (const bad of ['', '-1', '1e3', '0x10', '100000', 'fast']) {
      expect(loopbackTestHookMs(NAME, 'http://127.0.0.1:4000', { [NAME]: bad })).toBeUndefined()
    }
  })
})
