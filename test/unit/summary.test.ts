import { describe, expect, it } from '@jest/globals'
import {
  escapeHtml,
  writeInputProblems,
  writeOutputs,
  writeSummary,
  type SummarySink
} from '../../src/report/summary.js'
import { redactor } from '../../src/text.js'
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
