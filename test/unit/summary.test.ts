import { describe, expect, it } from '@jest/globals'
import {
  escapeHtml,
  writeInputProblems,
  writeOutputs,
  writeSummary,
  type SummarySink
} from '../../src/report/summary.js'
import { summary as coreSummary } from '@actions/core'
import { redactor, WITHHELD } from '../../src/text.js'
import { commandLines, foreignMarkup, renderSummary } from '../support/runner-view.js'
import { emptyReport, type RotationReport } from '../../src/rotation/report.js'
import type { HiveKey } from '../../src/hive/types.js'

const key = (id: string, prefix: string): HiveKey => ({
  id,
  name: `name of ${id}`,
  prefix,
  permission: 'read-only',
  scope: { type: 'engagements', engagement_ids: ['eng_1'] },
  created_at: '2026-11-28T11:00:00Z',
  expires_at: '2026-12-28T11:00:00Z',
  last_used_at: null,
  revoked_at: null
})

function recordingSummary() {
  let html = ''
  const sink: SummarySink = {
    addHeading: (text, level = 1) => ((html += `<h${level}>${text}</h${level}>\n`), sink),
    addRaw: text => ((html += `${text}\n`), sink),
    addTable: rows => (
      (html += rows
        .map(r => r.map(c => (typeof c === 'string' ? c : c.data)).join(' | '))
        .join('\n')),
      sink
    ),
    addList: items => ((html += items.map(i => `<li>${i}</li>`).join('')), sink),
    write: async () => undefined
  }
  return { sink, html: () => html }
}

function rotatedReport(): RotationReport {
  const report = emptyReport(false)
  report.oldKey = key('key_old', 'hv_aaaa')
  report.newKey = key('key_new', 'hv_bbbb')
  report.rotated = true
  report.revokedKeyIds = ['key_old']
  report.destinations = [
    { destination: 'repo:octo/app', status: 'updated', publicKeyId: '123', detail: 'ok' }
  ]
  report.steps = [{ step: 'Store the new key', status: 'ok', detail: 'written', ms: 1500 }]
  return report
}

describe('outputs', () => {
  it('name the key the destinations hold after a rotation: the new one', () => {
    const outputs: Record<string, string> = {}
    const now = new Date('2026-11-30T12:00:00Z')
    writeOutputs(rotatedReport(), { setOutput: (n, v) => (outputs[n] = v) }, [], now)
    expect(outputs).toEqual({
      canary: '[]',
      rotated: 'true',
      'key-id': 'key_new',
      'key-prefix': 'hv_bbbb',
      'expires-at': '2026-12-28T11:00:00Z',
      'revoked-key-ids': 'key_old',
      destinations:
        '[{"destination":"repo:octo/app","status":"updated","public_key_id":"123","detail":"ok"}]',
      // 2026-12-28T11:00Z is 27 days and 23 hours after 2026-11-30T12:00Z: rounded down.
      'days-until-expiry': '27'
    })
  })

  it('name the old key when the rotation did not complete', () => {
    const report = rotatedReport()
    report.rotated = false
    const outputs: Record<string, string> = {}
    report.oldKey = { ...report.oldKey!, expires_at: null }
    writeOutputs(report, { setOutput: (n, v) => (outputs[n] = v) }, [], new Date())
    expect([outputs.rotated, outputs['key-id'], outputs['days-until-expiry']]).toEqual([
      'false',
      'key_old',
      ''
    ])
  })
})

describe('job summary', () => {
  it('shows steps, keys and destinations with ids and prefixes', async () => {
    const { sink, html } = recordingSummary()
    await writeSummary(rotatedReport(), undefined, sink, [], new Date('2026-11-30T12:00:00Z'))
    expect(html()).toContain('<h2>Hive key rotated</h2>')
    expect(html()).toContain('Store the new key | ✅ ok | 1.5 s | written')
    expect(html()).toContain('Old key | key_old | hv_aaaa… | read-only')
    expect(html()).toContain(
      'The key the destinations hold: key_new (hv_bbbb…), expires 2026-12-28T11:00:00Z: 27 day(s) left.'
    )
    expect(html()).toContain('| revoked')
    expect(html()).toContain('New key | key_new | hv_bbbb…')
    expect(html()).toContain('repo:octo/app | updated | 123 | ok')
  })

  it('escapes HTML and redacts secret values wherever they come from', async () => {
    const secrets = redactor()
    secrets.add('hv_live_secret')
    const report = rotatedReport()
    report.destinations[0].detail = 'GitHub said <script>alert(1)</script> about hv_live_secret'
    const { sink, html } = recordingSummary()
    await writeSummary(report, 'failed with hv_live_secret', sink, secrets.values)
    expect(html()).not.toContain('hv_live_secret')
    expect(html()).not.toContain('<script>')
    expect(html()).toContain('&lt;script&gt;')
    expect(html()).toContain('<h2>Hive key rotation failed</h2>')
    expect(html()).toContain('<pre>failed with ***</pre>')
  })

  it('lists the plan on a dry run', async () => {
    const report = emptyReport(true)
    report.plan = ['Create a key', 'Write HIVE_API_KEY']
    const { sink, html } = recordingSummary()
    await writeSummary(report, undefined, sink, [])
    expect(html()).toContain('dry run, nothing changed')
    expect(html()).toContain('<li>Create a key</li><li>Write HIVE_API_KEY</li>')
  })
})

describe('job summary of the other modes and outcomes', () => {
  it('names a check by its mode, with the current key and its days left', async () => {
    const report = emptyReport(false, 'check')
    report.oldKey = { ...key('key_cur', 'hv_cccc'), expires_at: null }
    const { sink, html } = recordingSummary()
    await writeSummary(report, undefined, sink, [])
    expect(html()).toContain('<h2>Hive key check: ok</h2>')
    expect(html()).toContain('The current key: key_cur (hv_cccc…), never expires.')
    expect(html()).toContain('Current key | key_cur')
  })

  it('shows warnings, leftovers and what became of them, and an old key in its grace', async () => {
    const report = rotatedReport()
    report.revokedKeyIds = ['key_left']
    report.retired = 'grace'
    report.oldKey = { ...report.oldKey!, expires_at: '2026-11-28T12:30:00Z' }
    report.due = 'the current key expires soon'
    report.warnings = ['Found 1 leftover key(s) <of> earlier runs']
    report.leftovers = [
      {
        id: 'key_left',
        prefix: 'hv_dddd',
        name: 'n',
        why: 'replaced by key_old',
        expiresAt: null,
        outcome: 'revoked'
      }
    ]
    const { sink, html } = recordingSummary()
    await writeSummary(report, undefined, sink, [])
    expect(html()).toContain('<li>⚠️ Found 1 leftover key(s) &lt;of&gt; earlier runs</li>')
    expect(html()).toContain('key_left | hv_dddd… | replaced by key_old | never | revoked')
    expect(html()).toContain('Old key | key_old | hv_aaaa… | read-only')
    expect(html()).toContain('2026-11-28T12:30:00Z | expires at 2026-11-28T12:30:00Z (grace)')
    expect(html()).toContain('<p>Due: the current key expires soon.</p>')
  })

  it('names an emergency rotation as such', async () => {
    const report = rotatedReport()
    report.mode = 'emergency'
    const { sink, html } = recordingSummary()
    await writeSummary(report, undefined, sink, [])
    expect(html()).toContain('<h2>Hive emergency key rotation: done</h2>')
  })
})

describe('invalid inputs', () => {
  it('lists every problem, escaped and redacted', async () => {
    const secrets = redactor()
    secrets.add('hv_live_secret')
    const { sink, html } = recordingSummary()
    await writeInputProblems(
      ['permission got "<root>"', 'echo hv_live_secret'],
      sink,
      secrets.values
    )
    expect(html()).toContain('<h2>Hive key rotation: invalid inputs, nothing changed</h2>')
    expect(html()).toContain('<li>permission got &quot;&lt;root&gt;&quot;</li><li>echo ***</li>')
  })
})

/** The summary as the action writes it: core.summary's own HTML, without the file. */
async function markdownOf(write: (sink: SummarySink) => Promise<void>): Promise<string> {
  coreSummary.emptyBuffer()
  const sink: SummarySink = {
    addHeading: (text, level) => (coreSummary.addHeading(text, level), sink),
    addRaw: (text, addEOL) => (coreSummary.addRaw(text, addEOL), sink),
    addTable: rows => (coreSummary.addTable(rows), sink),
    addList: items => (coreSummary.addList(items), sink),
    write: async () => undefined
  }
  await write(sink)
  const markdown = coreSummary.stringify()
  coreSummary.emptyBuffer()
  return markdown
}

/** Markdown and HTML that would render as a link, an image or markup if it got out of its cell. */
const ATTACKS = [
  '\n\n[click](https://evil.example)',
  '\n\n![x](https://evil.example/x.png)',
  '\r\n\r\n[js](javascript:alert(1))',
  '<img src=x onerror=alert(1)>',
  '\n\n<https://evil.example/auto>',
  '\n\nhttps://evil.example/bare www.evil.example mail@evil.example',
  '\n\n# Pwned\n\n| a | b |\n|---|---|\n| c | d |',
  '</pre>\n\n[out](https://evil.example)',
  '\u2028\u2028[sep](https://evil.example)'
]
const hostile = (at: string) => ATTACKS.map(a => `${at}${a}`).join(' ')

describe('the job summary as GitHub renders it', () => {
  it('shows no link, image or other markup from outside text, in any cell', async () => {
    const report = rotatedReport()
    report.steps = [
      { step: 'Create the new key', status: 'ok', detail: hostile('created'), ms: 10 },
      { step: 'Store the new key', status: 'failed', detail: hostile('store'), ms: 10 }
    ]
    report.newKey = { ...report.newKey!, id: hostile('id'), prefix: hostile('prefix') }
    report.destinations[0].detail = hostile('GitHub said')
    report.destinations[0].publicKeyId = hostile('pk')
    report.warnings = [hostile('warning')]
    report.due = hostile('due')
    report.leftovers = [
      {
        id: 'key_left',
        prefix: hostile('p'),
        name: hostile('name'),
        why: hostile('why'),
        expiresAt: hostile('at'),
        outcome: 'found'
      }
    ]
    const markdown = await markdownOf(sink => writeSummary(report, hostile('failed'), sink, []))
    const html = renderSummary(markdown)
    expect(foreignMarkup(html)).toEqual([])
    expect(html).toContain('evil.example') // shown, as text
  })

  it('shows the plan and the input problems as text too', async () => {
    const report = emptyReport(true)
    report.plan = [hostile('plan')]
    const plan = await markdownOf(sink => writeSummary(report, undefined, sink, []))
    const problems = await markdownOf(sink => writeInputProblems([hostile('input')], sink, []))
    expect(foreignMarkup(renderSummary(plan))).toEqual([])
    expect(foreignMarkup(renderSummary(problems))).toEqual([])
  })

  it('would show them, had a cell kept its line breaks (the check can fail)', () => {
    const raw = `<table><tr><td>${hostile('raw')}</td></tr></table>\n`
    expect(foreignMarkup(renderSummary(raw))).toEqual(
      expect.arrayContaining(['<a href="https://evil.example">'])
    )
  })

  it('keeps the failure in one Markdown line that shows as several', async () => {
    const failure =
      'Could not write 1 destination(s).\n  - repo:o/r: refused\n\n[x](https://evil.example)'
    const markdown = await markdownOf(sink => writeSummary(emptyReport(false), failure, sink, []))
    const pre = markdown.split('\n').find(line => line.startsWith('<pre>'))!
    expect(pre).toMatch(/<\/pre>$/)
    expect(renderSummary(markdown)).toContain(
      'Could not write 1 destination(s).&#10;- repo:o/r: refused&#10;&#10;&#91;x&#93;'
    )
  })

  it('withholds a failure in which a secret hides across lines', async () => {
    const key = 'hv_live_0123456789abcdef0123456789abcdef'
    const failure = `Hive said: ${key.slice(0, 15)}\n${key.slice(15)}`
    const markdown = await markdownOf(sink =>
      writeSummary(emptyReport(false), failure, sink, [key])
    )
    expect(markdown).toContain(`<pre>${WITHHELD}</pre>`)
    expect(markdown.replace(/\s/g, '')).not.toContain(key)
  })
})

describe('outputs from outside text', () => {
  it('are one line each, with no command and no secret', () => {
    const key = 'hv_live_0123456789abcdef0123456789abcdef'
    const report = rotatedReport()
    report.newKey = {
      ...report.newKey!,
      id: 'key_new\n::stop-commands::pwned',
      prefix: `hv_\r::set-output name=x::${key}`
    }
    report.destinations[0].detail = `echo ${key.slice(0, 20)}\u200b${key.slice(20)}\n##[error]x`
    const outputs: Record<string, string> = {}
    writeOutputs(report, { setOutput: (n, v) => (outputs[n] = v) }, [key], new Date())
    for (const value of Object.values(outputs)) {
      expect(value).not.toMatch(/[\r\n]/)
      expect(commandLines(value)).toEqual([])
      expect(value).not.toContain(key)
    }
    expect(outputs['key-id']).toBe('key_new ::stop-commands::pwned')
    expect(outputs['key-prefix']).toBe('hv_ ::set-output name=x::***')
    expect(JSON.parse(outputs.destinations)[0].detail).toBe('echo *** # #[error]x')
  })
})

describe('redactor', () => {
  it('replaces every registered value, however often it appears', () => {
    const r = redactor()
    r.add('abc')
    r.add('')
    expect(r.redact('abc-abc-xyz')).toBe('***-***-xyz')
  })

  it('escapes the characters that matter in HTML', () => {
    expect(escapeHtml('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;')
  })
})
