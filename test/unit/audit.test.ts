/**
 * mode audit's rules (src/audit/rules.ts) at their boundaries, exactly at each limit and one
 * second past it, on an injected clock; the audit over its port (src/audit/audit.ts): usage
 * reads at most 8 at once, no usage data, annotations; against the Hive emulator through the real
 * client, a 429 waited out as Retry-After says (the sleep injected) and a 10,000-character name;
 * and the report (src/audit/report.ts): outputs, the file's document, the verdict, the summary.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import type { HiveKey, KeyUsage } from '../../src/hive/types.js'
import {
  failsAt,
  findLeftovers,
  judgeKey,
  worstFirst,
  RULES,
  type AuditLimits,
  type Finding,
  type Severity
} from '../../src/audit/rules.js'
import {
  atMost,
  auditKeys,
  USAGE_READS_AT_ONCE,
  type AuditHive,
  type AuditReport
} from '../../src/audit/audit.js'
import {
  findingsOutput,
  reportDocument,
  verdict,
  writeAuditSummary,
  SUMMARY_ROWS_MAX
} from '../../src/audit/report.js'
import { getSettings, FAIL_ON, type FailOn, type Settings } from '../../src/settings.js'
import type { Log } from '../../src/rotation/steps.js'
import type { SummarySink } from '../../src/report/summary.js'
import { HiveClient } from '../../src/hive/client.js'
import { HiveHttp, HiveHttpError } from '../../src/hive/http.js'
import { HiveEmulator } from '../emulators/hive.js'
import { commandLines, foreignMarkup, renderSummary } from '../support/runner-view.js'
import { rejection } from '../support/rejection.js'

const DAY = 86_400_000
const SECOND = 1000
const NOW = new Date('2026-12-01T00:00:00Z')
const LIMITS: AuditLimits = { maxAgeDays: 90, unusedDays: 30, expiringWithinDays: 7 }
const ROTATION = 'hive-rotate-key octo/app HIVE_API_KEY 0a1b2c3d'

const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString().replace('.000Z', 'Z')

/** A key that breaks no rule: read-only, one engagement, 10 days old, 30 days to live. */
function key(extra: Partial<HiveKey> = {}): HiveKey {
  return {
    id: 'key_clean',
    name: 'aphids-cli CI',
    prefix: 'hv_3f9a',
    permission: 'read-only',
    scope: { type: 'engagements', engagement_ids: ['eng_12'] },
    created_at: at(-10 * DAY),
    expires_at: at(30 * DAY),
    last_used_at: null,
    revoked_at: null,
    ...extra
  }
}

/** Usage of a key used an hour ago, with no errors. */
function usage(extra: Partial<KeyUsage> = {}): KeyUsage {
  return { requests_24h: 100, errors_24h: 0, last_used_at: at(-3_600_000), ...extra }
}

const rules = (findings: Finding[]) => findings.map(f => f.rule)
const judge = (k: HiveKey, u: KeyUsage | null = usage(), limits = LIMITS) =>
  rules(judgeKey(k, u, undefined, limits, NOW))

describe('the rules, at their boundaries', () => {
  it('finds nothing on a clean key', () => {
    expect(judgeKey(key(), usage(), undefined, LIMITS, NOW)).toEqual([])
  })

  it('no-expiry (high): a key that never expires, and nothing about its lifetime or expiry', () => {
    expect(judge(key({ expires_at: null }))).toEqual(['no-expiry'])
    const [finding] = judgeKey(key({ expires_at: null }), usage(), undefined, LIMITS, NOW)
    expect(finding).toEqual({
      rule: 'no-expiry',
      severity: 'high',
      reason: 'never expires: set an expiry (Hive advises 30 to 90 days)'
    })
  })

  it.each([
    ['admin', 'all', ['broad-write']],
    ['read-write', 'all', ['broad-write']],
    ['read-only', 'all', ['scope-all']],
    ['admin', 'engagements', []],
    ['read-write', 'campaigns', []]
  ] as const)('%s with scope %s: %j', (permission, type, expected) => {
    const scope =
      type === 'all'
        ? { type }
        : type === 'engagements'
          ? { type, engagement_ids: ['eng_1'] }
          : { type, campaign_ids: ['cmp_1'] }
    expect(judge(key({ permission, scope }))).toEqual(expected)
  })

  it('lifetime-over-max (medium): exactly audit-max-age-days is not over it, a second more is', () => {
    const created = -10 * DAY
    expect(judge(key({ created_at: at(created), expires_at: at(created + 90 * DAY) }))).toEqual([])
    expect(
      judge(key({ created_at: at(created), expires_at: at(created + 90 * DAY + SECOND) }))
    ).toEqual(['lifetime-over-max'])
    // Another window: 30 days.
    expect(
      judge(key({ created_at: at(created), expires_at: at(created + 31 * DAY) }), usage(), {
        ...LIMITS,
        maxAgeDays: 30
      })
    ).toEqual(['lifetime-over-max'])
  })

  it('older-than-max (medium): created exactly audit-max-age-days ago is not, a second earlier is', () => {
    // An active key that old lives longer than the maximum too: only older-than-max is asked here.
    expect(judge(key({ created_at: at(-90 * DAY) }))).not.toContain('older-than-max')
    expect(judge(key({ created_at: at(-90 * DAY - SECOND) }))).toContain('older-than-max')
    expect(judge(key({ created_at: at(-90 * DAY - SECOND), expires_at: null }))).toEqual([
      'no-expiry',
      'older-than-max'
    ])
  })

  it('unused (medium): last use exactly audit-unused-days ago is unused, a second later is not', () => {
    expect(judge(key(), usage({ last_used_at: at(-30 * DAY) }))).toEqual(['unused'])
    expect(judge(key(), usage({ last_used_at: at(-30 * DAY + SECOND) }))).toEqual([])
  })

  it('unused: a key never used counts from its creation', () => {
    const never = usage({ requests_24h: 0, last_used_at: null })
    expect(judge(key({ created_at: at(-30 * DAY) }), never)).toEqual(['unused'])
    expect(judge(key({ created_at: at(-30 * DAY + SECOND) }), never)).toEqual([])
    const [finding] = judgeKey(key({ created_at: at(-45 * DAY) }), never, undefined, LIMITS, NOW)
    expect(finding.reason).toMatch(/^never used in the 45 days since its creation, at least/)
  })

  it('unused: the later of the key object’s last use and the usage answer’s counts', () => {
    const stale = usage({ last_used_at: at(-40 * DAY) })
    expect(judge(key(), stale)).toEqual(['unused'])
    expect(judge(key({ last_used_at: at(-DAY) }), stale)).toEqual([])
  })

  it('says nothing of unused or errors without usage data (404), whatever the key looks like', () => {
    const idle = key({ created_at: at(-60 * DAY), expires_at: at(20 * DAY) })
    expect(judge(idle, null)).toEqual([])
    expect(judge(idle, usage({ last_used_at: null, errors_24h: 50 }))).toEqual(['unused', 'errors'])
  })

  it.each([
    [10, 50, true], // exactly 10, exactly a fifth
    [10, 51, false], // under a fifth
    [9, 9, false], // under 10
    [10, 10, true],
    [11, 55, true],
    [0, 0, false]
  ])('errors (medium): %i errors of %i requests: %s', (errors, requests, found) => {
    const u = usage({ errors_24h: errors, requests_24h: requests })
    expect(judge(key(), u)).toEqual(found ? ['errors'] : [])
  })

  it('expires-soon (low): exactly the window ahead is within it, a second later is not', () => {
    expect(judge(key({ expires_at: at(7 * DAY) }))).toEqual(['expires-soon'])
    expect(judge(key({ expires_at: at(7 * DAY + SECOND) }))).toEqual([])
    expect(
      judge(key({ expires_at: at(DAY) }), usage(), { ...LIMITS, expiringWithinDays: 0 })
    ).toEqual([])
  })

  it('gives every rule its severity, and a one-line reason', () => {
    const worst = key({
      permission: 'admin',
      scope: { type: 'all' },
      created_at: at(-100 * DAY),
      expires_at: at(DAY)
    })
    const findings = judgeKey(
      worst,
      usage({ errors_24h: 20, requests_24h: 20, last_used_at: null }),
      { keyName: ROTATION, newest: key({ id: 'key_newer' }) },
      LIMITS,
      NOW
    )
    expect(findings.map(f => [f.rule, f.severity])).toEqual([
      ['broad-write', 'high'],
      ['lifetime-over-max', 'medium'],
      ['older-than-max', 'medium'],
      ['unused', 'medium'],
      ['errors', 'medium'],
      ['leftover', 'medium'],
      ['expires-soon', 'low']
    ])
    for (const f of findings) expect(f.reason).not.toMatch(/[\r\n]/)
    expect(findings.find(f => f.rule === 'leftover')?.reason).toContain(
      `whose newest key is key_newer`
    )
  })
})

describe('leftover: the keys of a rotation but its newest', () => {
  const named = (id: string, stamp: string, tail = ` replaces key_prev`) =>
    key({ id, name: `${ROTATION} ${stamp}${tail}`, created_at: stamp })

  it('marks every key of the rotation but the newest, through parseKeyName', () => {
    const oldest = named('key_a', at(-60 * DAY))
    const older = named('key_b', at(-30 * DAY), ' stopped key_a')
    const newest = named('key_c', at(-1 * DAY))
    const byHand = key({ id: 'key_hand', name: 'made by hand' })
    // Not this rotation's: a longer key-name, and a tail parseKeyName does not accept.
    const other = key({ id: 'key_x', name: `${ROTATION} y ${at(-50 * DAY)} replaces key_a` })
    const odd = key({ id: 'key_odd', name: `${ROTATION} ${at(-50 * DAY)} swapped key_a` })
    const found = findLeftovers([oldest, newest, byHand, other, odd, older], [ROTATION])
    expect([...found.keys()].sort()).toEqual(['key_a', 'key_b'])
    expect(found.get('key_a')).toEqual({ keyName: ROTATION, newest })
    expect(rules(judgeKey(oldest, usage(), found.get('key_a'), LIMITS, NOW))).toEqual(['leftover'])
    expect(rules(judgeKey(newest, usage(), found.get('key_c'), LIMITS, NOW))).toEqual([])
  })

  it('keeps the rotations of several key-names apart, and a lone key is its rotation’s newest', () => {
    const second = 'hive-rotate-key octo/web HIVE_API_KEY 99887766'
    const a1 = named('key_a1', at(-20 * DAY))
    const a2 = named('key_a2', at(-2 * DAY))
    const b1 = key({ id: 'key_b1', name: `${second} ${at(-20 * DAY)}`, created_at: at(-20 * DAY) })
    const found = findLeftovers([a1, a2, b1], [ROTATION, second])
    expect([...found.entries()]).toEqual([['key_a1', { keyName: ROTATION, newest: a2 }]])
    // Without its key-name, a rotation's keys are not looked at.
    expect(findLeftovers([a1, a2], [second]).size).toBe(0)
  })

  it('picks exactly one newest when two keys were created in the same second', () => {
    const stamp = at(-DAY)
    const found = findLeftovers([named('key_b', stamp), named('key_a', stamp)], [ROTATION])
    expect([...found.keys()]).toEqual(['key_a'])
  })
})

describe('fail-on and the order of the keys', () => {
  const expected: Record<FailOn, Severity[]> = {
    high: ['high'],
    medium: ['high', 'medium'],
    low: ['high', 'medium', 'low'],
    never: []
  }
  it.each(FAIL_ON.map(f => [f]))('fail-on %s fails at and above its level only', failOn => {
    const failing = (['high', 'medium', 'low'] as Severity[]).filter(s => failsAt(s, failOn))
    expect(failing).toEqual(expected[failOn])
  })

  it('sorts worst first: more high, then more medium, then more low, then the oldest', () => {
    const f = (...severities: Severity[]): Finding[] =>
      severities.map(severity => ({ rule: 'no-expiry', severity, reason: '' }))
    const rows = [
      { key: key({ id: 'k_low', created_at: at(-DAY) }), findings: f('low') },
      { key: key({ id: 'k_none' }), findings: f() },
      { key: key({ id: 'k_mm' }), findings: f('medium', 'medium') },
      { key: key({ id: 'k_h' }), findings: f('high') },
      { key: key({ id: 'k_m_old', created_at: at(-5 * DAY) }), findings: f('medium', 'low') },
      { key: key({ id: 'k_m_new', created_at: at(-4 * DAY) }), findings: f('medium', 'low') },
      { key: key({ id: 'k_hl' }), findings: f('high', 'low') }
    ]
    expect(rows.sort(worstFirst).map(r => r.key.id)).toEqual([
      'k_hl',
      'k_h',
      'k_mm',
      'k_m_old',
      'k_m_new',
      'k_low',
      'k_none'
    ])
  })
})

describe('atMost: usage reads, at most 8 at once', () => {
  it('never runs more than the limit at once, and keeps the items’ order', async () => {
    let running = 0
    let most = 0
    const read = async (n: number) => {
      running++
      most = Math.max(most, running)
      // Each read ends a few turns of the event loop later, in another order than it started.
      for (let i = 0; i < (n % 5) + 1; i++) await new Promise(resolve => setImmediate(resolve))
      running--
      return n * 2
    }
    const items = Array.from({ length: 50 }, (_, i) => i)
    expect(await atMost(USAGE_READS_AT_ONCE, items, read)).toEqual(items.map(n => n * 2))
    expect([USAGE_READS_AT_ONCE, most]).toEqual([8, 8])
  })

  it('starts nothing new after a failure, lets the reads in flight end, then throws it', async () => {
    const started: number[] = []
    const read = async (n: number) => {
      started.push(n)
      await new Promise(resolve => setImmediate(resolve))
      if (n === 3) throw new Error('Hive answered 500')
      return n
    }
    const items = Array.from({ length: 40 }, (_, i) => i)
    expect((await rejection(atMost(8, items, read), Error)).message).toBe('Hive answered 500')
    expect(started.length).toBeLessThan(items.length)
    expect(started.length).toBeLessThanOrEqual(16)
  })
})

// ---------------------------------------------------------------------------------------------

const ADMIN = 'hv_admin_0123456789abcdef'

function auditSettings(inputs: Record<string, string> = {}): Settings {
  const all: Record<string, string> = {
    'hive-api-key': ADMIN,
    mode: 'audit',
    'key-name': ROTATION,
    ...inputs
  }
  return getSettings({
    getInput: name => all[name] ?? '',
    env: { GITHUB_REPOSITORY: 'octo/app', RUNNER_TEMP: '/tmp' },
    mask: () => {}
  })
}

function quietLog() {
  const lines: string[] = []
  const log: Log = {
    info: m => lines.push(m),
    warning: m => lines.push(`warning: ${m}`),
    debug: () => {},
    group: async (name, fn) => {
      lines.push(`group: ${name}`)
      return fn()
    }
  }
  return { log, lines }
}

function fakeHive(keys: HiveKey[], usages: Record<string, KeyUsage | null>) {
  const calls: string[] = []
  const hive: AuditHive = {
    list: async adminKey => {
      calls.push(`list ${adminKey}`)
      return keys
    },
    usage: async (adminKey, id) => {
      calls.push(`usage ${adminKey} ${id}`)
      return id in usages ? usages[id] : usage()
    }
  }
  return { hive, calls }
}

describe('auditKeys', () => {
  it('lists with the admin key, reads each key’s usage, and sorts worst first', async () => {
    const keys = [
      key({ id: 'key_clean' }),
      key({ id: 'key_unknown', created_at: at(-60 * DAY), expires_at: at(20 * DAY) }),
      key({ id: 'key_admin', permission: 'admin', scope: { type: 'all' }, expires_at: null })
    ]
    const { hive, calls } = fakeHive(keys, { key_unknown: null })
    const { log, lines } = quietLog()
    const notes: string[] = []
    const report = await auditKeys(auditSettings({ 'hive-admin-key': 'hv_other_admin_0123' }), {
      hive,
      log,
      annotate: (level, message) => notes.push(`${level}: ${message}`),
      now: () => NOW
    })
    expect(calls.sort()).toEqual([
      'list hv_other_admin_0123',
      'usage hv_other_admin_0123 key_admin',
      'usage hv_other_admin_0123 key_clean',
      'usage hv_other_admin_0123 key_unknown'
    ])
    expect(report.keys.map(k => [k.key.id, rules(k.findings)])).toEqual([
      ['key_admin', ['no-expiry', 'broad-write']],
      ['key_unknown', []], // 60 days idle, but Hive has no usage data: unused says nothing
      ['key_clean', []]
    ])
    expect(report.keys[1].usage).toBeNull()
    expect(report.limits).toEqual(LIMITS)
    // One annotation per high finding: errors, as fail-on high fails on them.
    expect(notes).toEqual([
      expect.stringMatching(/^error: Hive key key_admin \(hv_3f9a…\) "aphids-cli CI": no-expiry/),
      expect.stringMatching(/^error: Hive key key_admin .*: broad-write \(high\): admin with/)
    ])
    expect(lines.filter(l => l.startsWith('group: '))).toEqual([
      'group: List the active keys and read their usage',
      'group: Hold each key against the rules'
    ])
  })

  it('starts each page’s usage reads while the next page is read', async () => {
    const order: string[] = []
    let nextPage: () => void = () => {}
    const hive: AuditHive = {
      list: async (_adminKey, options) => {
        order.push('page 1')
        options?.onPage?.([key({ id: 'key_1' }), key({ id: 'key_2' })])
        await new Promise<void>(resolve => (nextPage = resolve))
        order.push('page 2')
        options?.onPage?.([key({ id: 'key_3' })])
        return [key({ id: 'key_1' }), key({ id: 'key_2' }), key({ id: 'key_3' })]
      },
      usage: async (_adminKey, id) => {
        order.push(`usage ${id}`)
        // The list waits for the second page until key_2's read has started.
        if (id === 'key_2') setImmediate(() => nextPage())
        return usage()
      }
    }
    const report = await auditKeys(auditSettings(), {
      hive,
      log: quietLog().log,
      annotate: () => {},
      now: () => NOW
    })
    expect(order).toEqual(['page 1', 'usage key_1', 'usage key_2', 'page 2', 'usage key_3'])
    expect(report.keys.map(k => k.usage)).toEqual([usage(), usage(), usage()])
  })

  it('fails with the first usage read that fails, once the list and the reads in flight end', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => key({ id: `key_${i}` }))
    const asked: string[] = []
    const hive: AuditHive = {
      list: async (_adminKey, options) => {
        options?.onPage?.(keys.slice(0, 20))
        // The failure below happens while the list goes on: nothing may crash meanwhile.
        await new Promise(resolve => setImmediate(resolve))
        await new Promise(resolve => setImmediate(resolve))
        options?.onPage?.(keys.slice(20))
        return keys
      },
      usage: async (_adminKey, id) => {
        asked.push(id)
        if (id === 'key_1') throw new Error('Hive answered 500 while reading the usage of key_1')
        await new Promise(resolve => setImmediate(resolve))
        return usage()
      }
    }
    const error = await rejection(
      auditKeys(auditSettings(), { hive, log: quietLog().log, annotate: () => {}, now: () => NOW }),
      Error
    )
    expect(error.message).toBe('Hive answered 500 while reading the usage of key_1')
    expect(asked.length).toBeLessThanOrEqual(USAGE_READS_AT_ONCE + 1)
  })

  it('annotates high findings as warnings when fail-on is never', async () => {
    const { hive } = fakeHive([key({ expires_at: null })], {})
    const notes: string[] = []
    await auditKeys(auditSettings({ 'fail-on': 'never' }), {
      hive,
      log: quietLog().log,
      annotate: level => notes.push(level),
      now: () => NOW
    })
    expect(notes).toEqual(['warning'])
  })

  it('says an admin key is needed when Hive refuses the list (403)', async () => {
    const hive: AuditHive = {
      list: async () => {
        throw Object.assign(new Error('Hive answered 403 (forbidden) while listing keys'), {
          status: 403
        })
      },
      usage: async () => null
    }
    const error = await rejection(
      auditKeys(auditSettings(), { hive, log: quietLog().log, annotate: () => {}, now: () => NOW }),
      Error
    )
    expect(error.message).toMatch(
      /^mode audit lists every key, which needs an admin key: give hive-admin-key, or an admin hive-api-key\. Hive answered 403/
    )
  })
})

describe('auditKeys against the Hive emulator, through the real client', () => {
  const emulators: HiveEmulator[] = []
  afterEach(async () => {
    await Promise.all(emulators.splice(0).map(e => e.stop()))
  })

  async function world() {
    const emu = new HiveEmulator()
    emulators.push(emu)
    const url = await emu.start()
    const admin = emu.seedKey({ name: 'auditor', permission: 'admin', expiresAt: at(400 * DAY) })
    const sleeps: number[] = []
    const http = new HiveHttp({
      baseUrl: url,
      sleep: async ms => void sleeps.push(ms),
      random: () => 0
    })
    return { emu, admin, sleeps, hive: new HiveClient(http) }
  }

  it('waits out a 429 on a usage read as Retry-After says, and sends only GETs', async () => {
    const { emu, admin, sleeps, hive } = await world()
    for (let i = 0; i < 20; i++) emu.seedKey({ name: `k${i}`, permission: 'read-only' })
    emu.addFault({
      method: 'GET',
      path: /\/usage$/,
      nth: 5,
      status: 429,
      headers: { 'Retry-After': '7' }
    })
    const report = await auditKeys(auditSettings({ 'hive-api-key': admin.value }), {
      hive,
      log: quietLog().log,
      annotate: () => {},
      now: () => new Date()
    })
    expect(report.keys).toHaveLength(21)
    expect(sleeps).toEqual([7000])
    expect(emu.requests.filter(r => r.status === 429)).toHaveLength(1)
    expect(emu.requests.filter(r => r.path.endsWith('/usage')).length).toBe(22)
    expect(new Set(emu.requests.map(r => r.method))).toEqual(new Set(['GET']))
  })

  it('keeps a key whose name is 10,000 characters, cut, where a rotation refuses the page', async () => {
    const { emu, admin, hive } = await world()
    const odd = emu.seedKey({ name: 'short for now', permission: 'read-only' })
    const name = '::error::pwned\n' + 'x'.repeat(10_000)
    emu.tamper({
      method: 'GET',
      path: '/api-keys',
      field: { name: 'name', value: name, keyId: odd.id }
    })
    const { log, lines } = quietLog()
    const report = await auditKeys(auditSettings({ 'hive-api-key': admin.value }), {
      hive,
      log,
      annotate: () => {},
      now: () => new Date()
    })
    const audited = report.keys.find(k => k.key.id === odd.id)!
    expect(audited.nameLength).toBe(name.length)
    expect(audited.key.name).toBe(name.slice(0, 200))
    expect(lines).toContain(
      `warning: Hive gave key ${odd.id} a name of ${name.length} characters, longer than the 200 ` +
        'its API allows: it is shown cut.'
    )
    // The fixture of this leniency: without onLongName (a rotation) the same answer is refused.
    emu.tamper({
      method: 'GET',
      path: '/api-keys',
      field: { name: 'name', value: name, keyId: odd.id }
    })
    expect((await rejection(hive.list(admin.value), HiveHttpError)).message).toMatch(
      /key 2 of the page: "name" is longer than 200 characters/
    )
  })
})

// ---------------------------------------------------------------------------------------------

function recordingSummary() {
  let html = ''
  const sink: SummarySink = {
    addHeading: (text, level = 1) => ((html += `<h${level}>${text}</h${level}>\n`), sink),
    addRaw: text => ((html += `${text}\n`), sink),
    addTable: rows => (
      (html +=
        '<table>' +
        rows
          .map(
            r =>
              '<tr>' +
              r
                .map(c => (typeof c === 'string' ? `<td>${c}</td>` : `<th>${c.data}</th>`))
                .join('') +
              '</tr>'
          )
          .join('') +
        '</table>\n'),
      sink
    ),
    addList: items => ((html += `<ul>${items.map(i => `<li>${i}</li>`).join('')}</ul>\n`), sink),
    write: async () => undefined
  }
  return { sink, html: () => html }
}

const HOSTILE =
  '::error::pwned\n::stop-commands::pwned\r##[error]bad <img src=x> [click](https://evil.example) @team ' +
  '\u200b::add-mask::y'

function sampleReport(): AuditReport {
  const hostile = key({ id: 'key_hostile', name: HOSTILE, expires_at: null })
  return {
    now: NOW,
    limits: LIMITS,
    keys: [
      {
        key: hostile,
        usage: null,
        findings: judgeKey(hostile, null, undefined, LIMITS, NOW)
      },
      { key: key(), usage: usage(), findings: [] }
    ]
  }
}

describe('the report', () => {
  it('outputs findings as a JSON array of key-id, prefix, rule, severity, reason', () => {
    expect(JSON.parse(findingsOutput(sampleReport(), []))).toEqual([
      {
        'key-id': 'key_hostile',
        prefix: 'hv_3f9a',
        rule: 'no-expiry',
        severity: 'high',
        reason: 'never expires: set an expiry (Hive advises 30 to 90 days)'
      }
    ])
  })

  it('writes a versioned document with every field, the names as one line of plain text', () => {
    const doc = reportDocument(sampleReport(), auditSettings(), [])
    expect(doc).toMatchObject({
      version: 1,
      generated_at: '2026-12-01T00:00:00Z',
      limits: {
        audit_max_age_days: 90,
        audit_unused_days: 30,
        expiring_within_days: 7,
        fail_on: 'high'
      },
      key_names: [ROTATION],
      counts: { keys: 2, clean: 1, high: 1, medium: 0, low: 0 },
      failed: true
    })
    expect(doc.keys[1]).toEqual({
      id: 'key_clean',
      name: 'aphids-cli CI',
      name_truncated: false,
      prefix: 'hv_3f9a',
      permission: 'read-only',
      scope: { type: 'engagements', engagement_ids: ['eng_12'] },
      created_at: '2026-11-21T00:00:00Z',
      age_days: 10,
      expires_at: '2026-12-31T00:00:00Z',
      last_used_at: '2026-11-30T23:00:00Z',
      usage_known: true,
      requests_24h: 100,
      errors_24h: 0,
      findings: []
    })
    const hostile = doc.keys[0]
    expect([hostile.usage_known, hostile.requests_24h, hostile.last_used_at]).toEqual([
      false,
      null,
      null
    ])
    expect(hostile.name).not.toMatch(/[\r\n\u200b]/)
    expect(hostile.name).toMatch(
      /^: :error::pwned ::stop-commands::pwned # #\[error\]bad <img src=x>/
    )
    expect(commandLines(JSON.stringify(doc, null, 2))).toEqual([])
  })

  it('fails only at or above fail-on, naming the count', () => {
    const report = sampleReport()
    expect(verdict(report, 'high')).toMatch(
      /^The audit found 1 finding\(s\) at or above fail-on \(high\) in 1 key\(s\): 1 high\./
    )
    expect(verdict(report, 'never')).toBeUndefined()
    report.keys[0].findings = [{ rule: 'scope-all', severity: RULES['scope-all'], reason: '' }]
    expect(verdict(report, 'medium')).toBeUndefined()
    expect(verdict(report, 'low')).toMatch(/1 low\./)
  })

  it('shows hostile names as text in the summary: no markup, no command', async () => {
    const { sink, html } = recordingSummary()
    await writeAuditSummary(sampleReport(), auditSettings(), undefined, '/tmp/r.json', sink, [])
    const rendered = renderSummary(html())
    expect(foreignMarkup(rendered)).toEqual([])
    expect(commandLines(html())).toEqual([])
    expect(rendered).toContain('&lt;img src=x&gt;')
    // Last use, requests and errors unknown (no usage data), and said so by the findings.
    expect(html()).toContain(
      '<td>unknown</td><td>unknown</td><td>unknown</td><td>🔴 no-expiry (usage unknown)</td>'
    )
  })

  it(`stops the summary’s key table at ${SUMMARY_ROWS_MAX} rows, the cleanest left to the file`, async () => {
    const report = sampleReport()
    const clean = report.keys[1]
    report.keys = [
      report.keys[0],
      ...Array.from({ length: SUMMARY_ROWS_MAX + 10 }, (_, i) => ({
        ...clean,
        key: { ...clean.key, id: `key_${i}` }
      }))
    ]
    const { sink, html } = recordingSummary()
    await writeAuditSummary(report, auditSettings(), undefined, '/tmp/r.json', sink, [])
    expect(html()).toContain('key_hostile')
    expect(html()).toContain(`key_${SUMMARY_ROWS_MAX - 2}<`)
    expect(html()).not.toContain(`key_${SUMMARY_ROWS_MAX - 1}<`)
    expect(html()).toContain('<p>11 more key(s), the cleanest, are in the report file only')
  })
})
