import { describe, expect, it } from '@jest/globals'
import { hidesSecret, logText, oneLine, redactor, sanitize, WITHHELD } from '../../src/text.js'
import { commandLines } from '../support/runner-view.js'

const KEY = 'hv_live_0123456789abcdef0123456789abcdef'

/** Outside text that the runner would read as a command if it reached a line as it is. */
const HOSTILE: [string, string][] = [
  ['a line feed, then a command', 'ok\n::stop-commands::pwned'],
  ['a lone carriage return, then a command', 'ok\r::set-output name=key-id::evil'],
  ['CRLF, then a command', 'ok\r\n::add-mask::x'],
  ['a command at the very start', '::set-env name=NODE_OPTIONS::--require=/tmp/x'],
  ['white space before the command', '   \t::warning title=pwned::x'],
  ['an upper-case command', '::STOP-COMMANDS::pwned'],
  ['the legacy syntax anywhere in the line', 'key name ##[error]pwned'],
  ['the legacy syntax after a line break', 'a\n##[group]pwned'],
  ['a zero-width space before the command', '\u200b::stop-commands::pwned'],
  ['a zero-width joiner inside the legacy syntax', 'x #\u200d#[error]pwned']
]

/** Text that is no command to the runner as it is, but would be to a viewer or another reader. */
const TRICKS: [string, string][] = [
  ['a line separator, then a command', 'ok\u2028::stop-commands::pwned'],
  ['a next-line control, then a command', 'ok\u0085::stop-commands::pwned'],
  ['an ANSI escape and a bidi override', '\u001b[31m\u202e::stop-commands::pwned']
]

/** Line breaks, and characters a reader can't see: none may be left in cleaned text. */
const UNSEEN = ['\r', '\n', '\u2028', '\u2029', '\u0085', '\u200b', '\u200d', '\u202e', '\u001b']

describe('the runner model of the tests', () => {
  it.each(HOSTILE)('takes %s for a command, as the runner does', (_, text) => {
    expect(commandLines(text).length).toBeGreaterThan(0)
  })
})

describe('sanitize', () => {
  it.each([...HOSTILE, ...TRICKS])('leaves no command in outside text with %s', (_, text) => {
    const out = sanitize(text)
    expect(commandLines(out)).toEqual([])
    expect(UNSEEN.filter(c => out.includes(c))).toEqual([])
  })

  it('keeps the words and shows what was defused', () => {
    expect(sanitize('::stop-commands::x')).toBe(': :stop-commands::x')
    expect(sanitize('a ##[error]b')).toBe('a # #[error]b')
    expect(sanitize('  one\n\ntwo\tthree  ')).toBe('one two three')
    expect(sanitize('a ::b:: c')).toBe('a ::b:: c') // "::" inside a line is no command
  })

  it('redacts a secret before and after cleaning: one with a zero-width space inside too', () => {
    expect(sanitize(`echo ${KEY}!`, [KEY])).toBe('echo ***!')
    const [a, b] = [KEY.slice(0, 10), KEY.slice(10)]
    expect(sanitize(`echo ${a}\u200b${b}`, [KEY])).toBe('echo ***')
  })

  it.each([
    ['a line break', `${KEY.slice(0, 12)}\n${KEY.slice(12)}`],
    ['a space', `${KEY.slice(0, 12)} ${KEY.slice(12)}`],
    ['CR and tab', `${KEY.slice(0, 5)}\r\t${KEY.slice(5)}`],
    ['full-width look-alikes', KEY.replace('live', 'ｌｉｖｅ')]
  ])('withholds a message whose key is split by %s', (_, echoed) => {
    expect(sanitize(`Hive said: bad key ${echoed}`, [KEY])).toBe(WITHHELD)
  })

  it('does not withhold for short secrets that could match anything once spaces are gone', () => {
    expect(sanitize('a b c', ['abc'])).toBe('a b c')
  })

  it('caps the text after cleaning, counting characters, not code units', () => {
    expect(sanitize('é'.repeat(10), [], 5)).toBe('éééé…')
    expect(oneLine('x'.repeat(500), [])).toHaveLength(500)
  })
})

describe('logText: the action’s own messages', () => {
  it('keeps its lines, and cleans each of them', () => {
    const message = 'Could not write 2 destination(s):\n  - repo:o/r: refused\n  - env:o/r/p: x'
    expect(logText(message, [])).toBe(message)
    expect(logText('a\r\nb\rc', [])).toBe('a\nb\nc')
  })

  it.each([...HOSTILE, ...TRICKS])('leaves no command from outside text with %s', (_, text) => {
    const out = logText(`Created key_1 "${text}", read-only.`, [])
    expect(commandLines(out)).toEqual([])
  })

  it('redacts, and withholds a whole message in which a key hides across lines', () => {
    expect(logText(`a ${KEY}\nb`, [KEY])).toBe('a ***\nb')
    expect(logText(`a ${KEY.slice(0, 20)}\n${KEY.slice(20)} b`, [KEY])).toBe(WITHHELD)
  })
})

describe('hidesSecret and redactor', () => {
  it('find a secret only in the text that holds it', () => {
    expect(hidesSecret(`x ${KEY.slice(0, 9)}\u2060 ${KEY.slice(9)}`, [KEY])).toBe(true)
    expect(hidesSecret(`x ${KEY.slice(0, 9)}`, [KEY])).toBe(false)
  })

  it('keep every value added, once, as a live list', () => {
    const r = redactor()
    r.add('abc')
    r.add('abc')
    r.add('')
    expect(r.values).toEqual(['abc'])
    expect(r.redact('abc-abc-xyz')).toBe('***-***-xyz')
  })
})
