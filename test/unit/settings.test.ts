import { tmpdir } from 'node:os'
import { describe, expect, it } from '@jest/globals'
import { getSettings, SettingsError } from '../../src/settings.js'
import { isLoopbackHost } from '../../src/hive/http.js'
import { rsaKeyPair } from '../support/rsa-keys.js'

const KEY = 'hv_0123456789abcdef0123456789abcdef01234567'
const TOKEN = 'github_pat_secretvalue'

function settingsFrom(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const masked: string[] = []
  const all: Record<string, string> = { 'hive-api-key': KEY, 'github-token': TOKEN, ...inputs }
  const settings = () =>
    getSettings({
      getInput: name => all[name] ?? '',
      env: { GITHUB_REPOSITORY: 'octo/app', ...env },
      mask: v => masked.push(v)
    })
  return { settings, masked }
}

function problemsOf(inputs: Record<string, string>, env?: Record<string, string>): string[] {
  try {
    settingsFrom(inputs, env).settings()
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError)
    return (error as SettingsError).problems
  }
  throw new Error('expected a SettingsError')
}

describe('getSettings', () => {
  it('fills the defaults of action.md', () => {
    const { settings, masked } = settingsFrom({})
    const s = settings()
    expect(s).toEqual({
      hiveApiKey: KEY,
      hiveAdminKey: KEY,
      separateAdminKey: false,
      hiveUrl: 'https://api.hive.darksidesecurity.io',
      github: { kind: 'token', token: TOKEN },
      workflowRepository: 'octo/app',
      githubApiUrl: 'https://api.github.com',
      secretName: 'HIVE_API_KEY',
      destinations: [{ kind: 'repo', owner: 'octo', repo: 'app', label: 'repo:octo/app' }],
      keyName: expect.stringMatching(/^hive-rotate-key octo\/app HIVE_API_KEY [0-9a-f]{8}$/),
      permission: 'inherit',
      scope: 'inherit',
      expiresInDays: 30,
      verifyPath: '/executions-cli/executions',
      verifyTimeoutSeconds: 60,
      revokeOld: true,
      oldKeyGraceMinutes: 0,
      prune: true,
      rotateIfExpiringWithinDays: undefined,
      mode: 'rotate',
      dryRun: false,
      auditKeyNames: [s.keyName],
      auditMaxAgeDays: 90,
      auditUnusedDays: 30,
      canaryTimeoutMinutes: 15,
      canaryWorkflows: [],
      failOn: 'high',
      runnerTemp: tmpdir()
    })
    expect(masked).toEqual([KEY, TOKEN])
  })

  it('parses every input it is given', () => {
    const s = settingsFrom(
      {
        'hive-admin-key': 'hv_admin',
        'hive-url': 'http://127.0.0.1:8080/api/',
        'secret-name': 'hive_key',
        destinations: 'repo:octo/app\nenv:octo/app/prod, env:octo/web/stage-eu\n# a comment',
        'key-name': 'ci key',
        permission: 'read-only',
        scope: 'engagements:eng_1, eng_2',
        'expires-in-days': '90',
        'verify-path': '/health/check',
        'verify-timeout-seconds': '0',
        'revoke-old': 'False',
        'dry-run': 'TRUE',
        mode: 'rotate',
        prune: 'false',
        'old-key-grace-minutes': '0'
      },
      { GITHUB_API_URL: 'https://ghe.example/api/v3/' }
    ).settings()
    expect(s.separateAdminKey).toBe(true)
    expect(s.hiveAdminKey).toBe('hv_admin')
    expect(s.hiveUrl).toBe('http://127.0.0.1:8080/api')
    expect(s.githubApiUrl).toBe('https://ghe.example/api/v3')
    expect(s.secretName).toBe('HIVE_KEY')
    expect(s.destinations.map(d => d.label)).toEqual([
      'repo:octo/app',
      'env:octo/app/prod',
      'env:octo/web/stage-eu'
    ])
    expect(s.destinations[2].environment).toBe('stage-eu')
    expect(s.scope).toEqual({ type: 'engagements', engagement_ids: ['eng_1', 'eng_2'] })
    expect(s.permission).toBe('read-only')
    expect([s.expiresInDays, s.verifyTimeoutSeconds, s.revokeOld, s.dryRun]).toEqual([
      90,
      0,
      false,
      true
    ])
  })

  it('treats an admin key equal to the rotated key as no separate admin key', () => {
    expect(settingsFrom({ 'hive-admin-key': KEY }).settings().separateAdminKey).toBe(false)
  })

  it('reports every problem at once, each naming its input and what was given', () => {
    const problems = problemsOf({
      'hive-api-key': '',
      'github-token': '',
      'hive-url': 'http://hive.example.com',
      'secret-name': 'GITHUB_KEY',
      destinations: 'repo:octo',
      permission: 'root',
      scope: 'engagements:',
      'expires-in-days': 'soon',
      'verify-path': '//evil.example/x',
      'verify-timeout-seconds': '601',
      'revoke-old': 'yes',
      'dry-run': '1'
    })
    expect(problems).toEqual([
      expect.stringMatching(/^hive-api-key is required/),
      expect.stringMatching(/^github-token is required.*GITHUB_TOKEN cannot write secrets/),
      'hive-url must use https (plain http is allowed only to localhost or 127.0.0.1), got "http://hive.example.com"',
      expect.stringMatching(/^secret-name must .* got "GITHUB_KEY"$/),
      'destinations: "repo:octo" must be repo:OWNER/REPO',
      'permission must be one of inherit, read-only, read-write, admin, got "root"',
      expect.stringMatching(/^scope must be .* got "engagements:"$/),
      'expires-in-days must be a whole number from 1 to 365, got "soon"',
      expect.stringMatching(/^verify-path must be a path .* got "\/\/evil.example\/x"$/),
      'verify-timeout-seconds must be a whole number from 0 to 600, got "601"',
      'revoke-old must be true or false, got "yes"',
      'dry-run must be true or false, got "1"'
    ])
  })

  it('never shows the value of a secret input', () => {
    const problems = problemsOf({
      'hive-api-key': 'hv_secret value',
      'hive-admin-key': 'hv_admin\nsecret',
      'app-private-key': '-----BEGIN KEY----- secret'
    })
    const text = problems.join('\n')
    expect(problems.map(p => p.split(' ')[0])).toEqual([
      'hive-api-key',
      'hive-admin-key',
      'github-token'
    ])
    for (const secret of ['hv_secret', 'hv_admin', 'BEGIN KEY']) expect(text).not.toContain(secret)
  })

  it('refuses credentials that could not travel in a header, without showing them', () => {
    const problems = problemsOf({
      'hive-api-key': 'hv_ключ',
      'hive-admin-key': 'hv_admin\u0007',
      'github-token': 'ghp_abc\ndef'
    })
    expect(problems).toEqual([
      'hive-api-key must be one value of visible ASCII characters (value not shown)',
      'hive-admin-key must be one value of visible ASCII characters (value not shown)',
      'github-token must be one value of visible ASCII characters (value not shown)'
    ])
  })

  it('parses mode, grace, prune and the expiry threshold', () => {
    const s = settingsFrom({
      'hive-admin-key': 'hv_admin',
      mode: 'rotate',
      'old-key-grace-minutes': '1440',
      prune: 'false',
      'rotate-if-expiring-within-days': '0'
    }).settings()
    expect([s.mode, s.oldKeyGraceMinutes, s.prune, s.rotateIfExpiringWithinDays]).toEqual([
      'rotate',
      1440,
      false,
      0
    ])
  })

  it('refuses a bad mode, grace, prune or threshold, naming each', () => {
    const problems = problemsOf({
      mode: 'panic',
      'old-key-grace-minutes': '1441',
      prune: 'yes',
      'rotate-if-expiring-within-days': '366'
    })
    expect(problems).toEqual([
      'mode must be one of rotate, check, emergency, audit, got "panic"',
      'old-key-grace-minutes must be a whole number from 0 to 1440, got "1441"',
      'prune must be true or false, got "yes"',
      'rotate-if-expiring-within-days must be a whole number from 0 to 365, got "366"'
    ])
  })

  it('lets modes check and audit run without github-token, and no other mode', () => {
    const check = settingsFrom({ 'github-token': '', mode: 'check' }).settings()
    expect([check.mode, check.github]).toEqual(['check', { kind: 'token', token: '' }])
    const audit = settingsFrom({ 'github-token': '', mode: 'audit' }).settings()
    expect([audit.mode, audit.github]).toEqual(['audit', { kind: 'token', token: '' }])
    expect(problemsOf({ 'github-token': '', mode: 'emergency' })).toContainEqual(
      expect.stringMatching(/^github-token is required/)
    )
  })

  it('parses mode audit’s inputs: its windows, fail-on, its key-names and RUNNER_TEMP', () => {
    const s = settingsFrom(
      {
        'github-token': '',
        mode: 'audit',
        'audit-max-age-days': '3650',
        'audit-unused-days': '1',
        'fail-on': 'never',
        'key-name': 'rotation one\n\n  rotation two  \r\nrotation one'
      },
      { RUNNER_TEMP: '/runner/_temp' }
    ).settings()
    expect([s.mode, s.github, s.auditMaxAgeDays, s.auditUnusedDays, s.failOn]).toEqual([
      'audit',
      { kind: 'token', token: '' },
      3650,
      1,
      'never'
    ])
    expect([s.auditKeyNames, s.keyName, s.runnerTemp]).toEqual([
      ['rotation one', 'rotation two'],
      'rotation one',
      '/runner/_temp'
    ])
    // rotate-if-expiring-within-days is expires-soon's window there: 7 unless given.
    expect(s.rotateIfExpiringWithinDays).toBe(7)
    const given = settingsFrom({ mode: 'audit', 'rotate-if-expiring-within-days': '0' })
    expect(given.settings().rotateIfExpiringWithinDays).toBe(0)
    expect(settingsFrom({ mode: 'audit' }).settings().auditKeyNames).toEqual([
      expect.stringMatching(/^hive-rotate-key octo\/app HIVE_API_KEY [0-9a-f]{8}$/)
    ])
  })

  it('refuses bad audit inputs all at once, naming each input, its rule and the value', () => {
    expect(
      problemsOf({
        mode: 'audit',
        'audit-max-age-days': '0',
        'audit-unused-days': '30 days',
        'fail-on': 'critical',
        'key-name': `ok\n${'k'.repeat(106)}\nbad\u200bname`
      })
    ).toEqual([
      'key-name must be at most 90 characters (Hive names a key with at most 200, and each ' +
        'key\'s name adds up to 110: " run-<10 hex> <UTC timestamp> replaces <old key id>"), got 106',
      'key-name must hold no control, format or invisible characters (line breaks, zero-width ' +
        'spaces): it is printed, and marks the keys of this rotation',
      'audit-max-age-days must be a whole number from 1 to 3650, got "0"',
      'audit-unused-days must be a whole number from 1 to 3650, got "30 days"',
      'fail-on must be one of high, medium, low, never, got "critical"'
    ])
    // Checked in every mode: a typo is a typo. Only mode audit takes several key-names.
    expect(problemsOf({ 'audit-unused-days': '3651', 'key-name': 'a\nb' })).toEqual([
      'key-name must hold no control, format or invisible characters (line breaks, zero-width ' +
        'spaces): it is printed, and marks the keys of this rotation (only mode audit takes ' +
        'several, one per line)',
      'audit-unused-days must be a whole number from 1 to 3650, got "3651"'
    ])
  })

  it('runs mode audit outside GitHub Actions without destinations', () => {
    const s = getSettings({
      getInput: n => ({ 'hive-api-key': KEY, mode: 'audit', 'key-name': 'ci rotation' })[n] ?? '',
      env: {},
      mask: () => {}
    })
    expect([s.destinations, s.auditKeyNames, s.runnerTemp]).toEqual([[], ['ci rotation'], tmpdir()])
  })

  it('refuses mode emergency without a separate admin key, or with a gentler retirement', () => {
    expect(problemsOf({ mode: 'emergency' })).toEqual([
      'mode emergency needs hive-admin-key, a separate admin key: the compromised hive-api-key ' +
        'is revoked first, and a revoked key cannot create its successor'
    ])
    const problems = problemsOf({
      mode: 'emergency',
      'hive-admin-key': 'hv_admin',
      'revoke-old': 'false',
      'old-key-grace-minutes': '5',
      'rotate-if-expiring-within-days': '7'
    })
    expect(
      problems.map(p => p.replace(/^mode emergency cannot be combined with (\S+).*/, '$1'))
    ).toEqual(['revoke-old:', 'old-key-grace-minutes', 'rotate-if-expiring-within-days'])
  })

  it.each([
    ['org:octo/app', /"org:octo\/app" must be org:ORG\[\?visibility=private\|all\]/],
    ['dependabot:octo', /must be dependabot:OWNER\/REPO/],
    ['codespaces-org:', /must be codespaces-org:ORG/],
    ['repo:octo/app?visibility=all', /only org-level destinations take \?visibility=/],
    ['org:octo?visibility=selected', /the only option is \?visibility=private or \?visibility=all/],
    ['dependabot-org:octo?private', /the only option is/],
    ['org:octo,org:OCTO?visibility=all', /lists "org:OCTO" twice/],
    [
      'octo/app',
      /is not a destination; each one is repo:OWNER\/REPO, env:OWNER\/REPO\/ENVIRONMENT/
    ],
    ['repo:octo/app/x', /must be repo:OWNER\/REPO/],
    ['repo:-octo/app', /must be repo:OWNER\/REPO/],
    ['env:octo/app', /must be env:OWNER\/REPO\/ENVIRONMENT/],
    ['repo:octo/app,repo:OCTO/app', /lists "repo:OCTO\/app" twice/]
  ])('refuses the destination %s', (destinations, message) => {
    expect(problemsOf({ destinations })).toEqual([expect.stringMatching(message)])
  })

  it('needs destinations outside GitHub Actions', () => {
    const problems = getProblems(() =>
      getSettings({
        getInput: n => ({ 'hive-api-key': KEY, 'github-token': TOKEN })[n] ?? '',
        env: {},
        mask: () => undefined
      })
    )
    expect(problems).toEqual([expect.stringMatching(/^destinations is required outside/)])
  })

  it.each([
    ['https://user:pw@hive.example', /must not contain credentials/],
    ['https://hive.example/?a=b', /must not contain a query or a fragment/],
    ['not a url', /must be an absolute URL/],
    ['ftp://hive.example', /must use https/]
  ])('refuses hive-url %s', (url, message) => {
    expect(problemsOf({ 'hive-url': url })).toEqual([expect.stringMatching(message)])
  })

  describe('scope ids, held to the contract (1 to 64 of A-Z a-z 0-9 _ -)', () => {
    const RULE = 'must be 1 to 64 characters, each a letter, digit, "_" or "-" (Hive\'s id format)'
    const E64 = 'e'.repeat(64)
    const E65 = 'e'.repeat(65)

    it('accepts ids of 1 and 64 characters of the contract', () => {
      expect(settingsFrom({ scope: `engagements:e, ${E64},eng_1-A` }).settings().scope).toEqual({
        type: 'engagements',
        engagement_ids: ['e', E64, 'eng_1-A']
      })
      expect(settingsFrom({ scope: 'campaigns:cmp_7' }).settings().scope).toEqual({
        type: 'campaigns',
        campaign_ids: ['cmp_7']
      })
    })

    it.each([
      ['engagements:eng.1', `scope: engagement id "eng.1" ${RULE}; it holds "."`],
      ['engagements:eng_12,eng:1', `scope: engagement id "eng:1" ${RULE}; it holds ":"`],
      ['campaigns:cmp 1', `scope: campaign id "cmp 1" ${RULE}; it holds " "`],
      ['campaigns:cämp/1', `scope: campaign id "cämp/1" ${RULE}; it holds "ä", "/"`],
      [`engagements:${E65}`, `scope: engagement id "${E65}" ${RULE}; it has 65 characters`],
      [
        `engagements:${'e.'.repeat(33)}`,
        `scope: engagement id "${'e.'.repeat(33)}" ${RULE}; it holds "."; it has 66 characters`
      ],
      [
        'engagements:eng_1,,eng_2',
        `scope: engagement id "" ${RULE}; it is empty (check the commas)`
      ]
    ])('refuses %s, naming the id and the rule', (scope, problem) => {
      expect(problemsOf({ scope })).toEqual([problem])
    })

    it('names every bad id at once, in the order given, with the other problems', () => {
      expect(
        problemsOf({ scope: `engagements:eng_12,eng.1,${E65},eng_40,`, 'expires-in-days': '0' })
      ).toEqual([
        `scope: engagement id "eng.1" ${RULE}; it holds "."`,
        `scope: engagement id "${E65}" ${RULE}; it has 65 characters`,
        `scope: engagement id "" ${RULE}; it is empty (check the commas)`,
        'expires-in-days must be a whole number from 1 to 365, got "0"'
      ])
    })
  })

  it.each([
    '/executions-cli/../api-keys',
    '/%2e%2e/executions-cli/executions',
    '/executions-cli/executions/%2E',
    '/go/https://evil.example/x',
    'https://evil.example/x',
    '/a?b=c',
    '/a#b',
    '/a\\b',
    'x'
  ])('refuses verify-path %s', path => {
    expect(problemsOf({ 'verify-path': path })).toEqual([
      expect.stringMatching(/^verify-path must be a path/)
    ])
  })
})

const { privateKey: APP_KEY } = rsaKeyPair('settings-app')

describe('getSettings: GitHub credentials and destinations', () => {
  const app = { 'github-token': '', 'app-id': '123456', 'app-private-key': APP_KEY }

  it('takes a GitHub App instead of a token, masking the key whole and line by line', () => {
    const { settings, masked } = settingsFrom(app)
    // inputs arrive trimmed, as core.getInput gives them
    expect(settings().github).toEqual({ kind: 'app', appId: '123456', privateKey: APP_KEY.trim() })
    expect(masked).toContain(APP_KEY.trim())
    const body = APP_KEY.split('\n').filter(l => l && !l.startsWith('-----'))
    for (const line of body) expect(masked).toContain(line)
  })

  it('accepts a private key whose line breaks arrive escaped as \\n', () => {
    const escaped = APP_KEY.trim().replace(/\n/g, '\\n')
    const { settings, masked } = settingsFrom({ ...app, 'app-private-key': escaped })
    expect(settings().github).toEqual({ kind: 'app', appId: '123456', privateKey: APP_KEY.trim() })
    // both forms are masked: as given, and as used
    expect(masked).toEqual(expect.arrayContaining([escaped, APP_KEY.trim()]))
  })

  it.each([
    [{ 'app-id': '1' }, [/^github-token and app-id\/app-private-key are alternatives/]],
    [{ 'github-token': '', 'app-id': '12' }, [/^app-private-key is required with app-id/]],
    [
      { 'github-token': '', 'app-private-key': APP_KEY },
      [/^app-id is required with app-private-key/]
    ],
    [
      { ...app, 'app-id': 'my app' },
      [/^app-id must be the GitHub App’s numeric ID or its client ID \(Iv…\), got "my app"$/]
    ],
    [
      { ...app, 'app-private-key': 'not a key at all' },
      [/^app-private-key must be the GitHub App’s private key.*\(value not shown\)$/]
    ]
  ])('refuses GitHub credentials %j', (inputs, messages) => {
    const problems = problemsOf(inputs)
    expect(problems).toEqual(messages.map(m => expect.stringMatching(m)))
    expect(problems.join('\n')).not.toContain('not a key at all')
  })

  it('parses every kind of destination from one table', () => {
    const s = settingsFrom({
      destinations: [
        'org:octo',
        'org:acme?visibility=all',
        'dependabot:octo/app',
        'dependabot-org:octo?visibility=private',
        'codespaces:octo/app',
        'codespaces-org:octo'
      ].join('\n')
    }).settings()
    expect(s.destinations).toEqual([
      { kind: 'org', owner: 'octo', label: 'org:octo' },
      { kind: 'org', owner: 'acme', visibility: 'all', label: 'org:acme' },
      { kind: 'dependabot', owner: 'octo', repo: 'app', label: 'dependabot:octo/app' },
      {
        kind: 'dependabot-org',
        owner: 'octo',
        visibility: 'private',
        label: 'dependabot-org:octo'
      },
      { kind: 'codespaces', owner: 'octo', repo: 'app', label: 'codespaces:octo/app' },
      { kind: 'codespaces-org', owner: 'octo', label: 'codespaces-org:octo' }
    ])
  })

  it('refuses org Codespaces secrets with a GitHub App, which GitHub does not allow', () => {
    expect(problemsOf({ ...app, destinations: 'org:octo\ncodespaces-org:octo' })).toEqual([
      'destinations: "codespaces-org:octo": GitHub Apps cannot write organization Codespaces ' +
        'secrets; use github-token with a fine-grained or classic personal access token for it'
    ])
  })

  it('refuses Codespaces destinations on GitHub Enterprise Server, naming each', () => {
    const ghes = { GITHUB_API_URL: 'https://github.example.com/api/v3' }
    const problems = problemsOf(
      { destinations: 'repo:octo/app\ncodespaces:octo/app\ncodespaces-org:octo' },
      ghes
    )
    expect(problems).toEqual([
      'destinations: "codespaces:octo/app": GitHub Enterprise Server (GITHUB_API_URL ' +
        'https://github.example.com/api/v3) has no Codespaces secrets; remove it, or run against ' +
        'github.com',
      expect.stringMatching(/^destinations: "codespaces-org:octo": GitHub Enterprise Server/)
    ])
    const s = settingsFrom({ destinations: 'repo:octo/app\norg:octo' }, ghes).settings()
    expect(s.githubApiUrl).toBe('https://github.example.com/api/v3')
  })

  it('refuses a GITHUB_API_URL the token would reach in clear, but not in mode check', () => {
    const http = { GITHUB_API_URL: 'http://github.example.com/api/v3' }
    expect(problemsOf({}, http)).toEqual([
      'GITHUB_API_URL (set by the runner) must be an https URL (plain http is allowed only to ' +
        'localhost or 127.0.0.1), got "http://github.example.com/api/v3"'
    ])
    expect(problemsOf({}, { GITHUB_API_URL: 'not a url' })).toHaveLength(1)
    expect(
      settingsFrom({}, { GITHUB_API_URL: 'http://127.0.0.1:8702' }).settings().githubApiUrl
    ).toBe('http://127.0.0.1:8702')
    expect(settingsFrom({ mode: 'check' }, http).settings().mode).toBe('check')
  })
})

describe('getSettings: no credentials in URLs (issue 18)', () => {
  const PASSWORD = 'pa55-w0rd-in-the-url'
  const HIVE_RULE =
    'hive-url must not contain credentials (a user name or password before "@"): Hive takes ' +
    'its key in X-Api-Key only (value not shown)'
  const GITHUB_RULE =
    'GITHUB_API_URL (set by the runner) must not contain credentials (a user name or password ' +
    'before "@"): GitHub takes its token in the Authorization header only (value not shown)'

  /** The problems, having checked that none of them shows the password. */
  function refused(inputs: Record<string, string>, env?: Record<string, string>): string[] {
    const problems = problemsOf(inputs, env)
    expect(problems.filter(p => p.includes(PASSWORD))).toEqual([])
    return problems
  }

  it.each([
    `http://:${PASSWORD}@127.0.0.1:1`,
    `https://${PASSWORD}@hive.example`,
    `https://user:${PASSWORD}@hive.example/api`,
    `https://user:${PASSWORD}@127.0.0.1:8443`
  ])('refuses hive-url %s by name, without showing it', url => {
    expect(refused({ 'hive-url': url })).toEqual([HIVE_RULE])
  })

  it.each([
    `http://:${PASSWORD}@127.0.0.1:1`,
    `https://${PASSWORD}@github.example`,
    `https://user:${PASSWORD}@github.example/api/v3`
  ])('refuses GITHUB_API_URL %s by name, without showing it, in every mode', url => {
    expect(refused({}, { GITHUB_API_URL: url })).toEqual([GITHUB_RULE])
    // mode check sends GitHub nothing, but the URL would still be kept, and logged with core.debug
    expect(refused({ mode: 'check' }, { GITHUB_API_URL: url })).toEqual([GITHUB_RULE])
  })

  it('never quotes a URL holding "@" in its other problems either', () => {
    const hidden = '(value not shown: it holds "@", which may end a user name or password)'
    expect(
      refused(
        { 'hive-url': `http://user:${PASSWORD}@hive.example.com` },
        { GITHUB_API_URL: `http://${PASSWORD}@github.example.com` }
      )
    ).toEqual([
      `hive-url must use https (plain http is allowed only to localhost or 127.0.0.1), got ${hidden}`,
      HIVE_RULE,
      GITHUB_RULE,
      'GITHUB_API_URL (set by the runner) must be an https URL (plain http is allowed only to ' +
        `localhost or 127.0.0.1), got ${hidden}`
    ])
    // Not a URL a parser reads as holding credentials (a port out of range; a scheme "user:"):
    // still not shown.
    expect(refused({ 'hive-url': `https://user:${PASSWORD}@hive.example:99999` })).toEqual([
      `hive-url must be an absolute URL such as https://api.hive.darksidesecurity.io, got ${hidden}`
    ])
    expect(refused({ 'hive-url': `user:${PASSWORD}@hive.example` })).toEqual([
      `hive-url must use https (plain http is allowed only to localhost or 127.0.0.1), got ${hidden}`
    ])
    expect(refused({}, { GITHUB_API_URL: `user:${PASSWORD}@github.example` })).toEqual([
      'GITHUB_API_URL (set by the runner) must be an https URL (plain http is allowed only to ' +
        `localhost or 127.0.0.1), got ${hidden}`
    ])
  })

  it('never quotes a query, which may hold a token', () => {
    expect(refused({ 'hive-url': `ftp://hive.example/x?token=${PASSWORD}` })).toEqual([
      'hive-url must use https (plain http is allowed only to localhost or 127.0.0.1), got ' +
        '"ftp://hive.example/x"',
      'hive-url must not contain a query or a fragment (value not shown)'
    ])
  })

  it('accepts proxy variables with credentials, without showing them when they are refused', () => {
    const proxy = `http://user:${PASSWORD}@proxy.example:3128`
    expect(settingsFrom({}, { HTTPS_PROXY: proxy, http_proxy: proxy }).settings().mode).toBe(
      'rotate'
    )
    expect(refused({}, { https_proxy: `user:${PASSWORD}@proxy.example:3128` })).toEqual([
      expect.stringMatching(/^https_proxy must be a proxy URL .*value not shown/)
    ])
  })
})

describe('getSettings: guards against misconfiguration', () => {
  const keyNameOf = (inputs: Record<string, string>, env?: Record<string, string>) =>
    settingsFrom(inputs, env).settings().keyName

  it('gives rotations with other destinations other default key-names', () => {
    const production = keyNameOf({ destinations: 'env:octo/app/production' })
    const staging = keyNameOf({ destinations: 'env:octo/app/staging' })
    const both = keyNameOf({ destinations: 'env:octo/app/production\nenv:octo/app/staging' })
    expect(production).toMatch(/^hive-rotate-key octo\/app HIVE_API_KEY [0-9a-f]{8}$/)
    expect(new Set([production, staging, both]).size).toBe(3)
    // The secret name counts as well: another secret at the same place is another rotation.
    expect(
      keyNameOf({ destinations: 'env:octo/app/production', 'secret-name': 'APHIDS_API_KEY' })
    ).not.toBe(production.replace('HIVE_API_KEY', 'APHIDS_API_KEY'))
  })

  it('keeps the default key-name when the same destinations come in another order or case', () => {
    const one = keyNameOf({ destinations: 'repo:octo/app\nenv:octo/app/production' })
    expect(keyNameOf({ destinations: 'env:Octo/App/Production, repo:octo/app' })).toBe(one)
  })

  it('keeps an explicit key-name as given, so an upgrade can keep the old name', () => {
    expect(keyNameOf({ 'key-name': 'hive-rotate-key octo/app HIVE_API_KEY' })).toBe(
      'hive-rotate-key octo/app HIVE_API_KEY'
    )
  })

  it('counts the suffix each key name gets: 90 characters fit, 91 do not', () => {
    expect(keyNameOf({ 'key-name': 'k'.repeat(90) })).toHaveLength(90)
    expect(problemsOf({ 'key-name': 'k'.repeat(91) })).toEqual([
      'key-name must be at most 90 characters (Hive names a key with at most 200, and each ' +
        'key\'s name adds up to 110: " run-<10 hex> <UTC timestamp> replaces <old key id>"), got 91'
    ])
  })

  it('shortens a default key-name that would be too long, and still tells repositories apart', () => {
    const repo = (name: string) => ({ GITHUB_REPOSITORY: `octo/${name}` })
    const long = 'r'.repeat(99)
    const a = keyNameOf({ destinations: `repo:octo/${long}a` }, repo(`${long}a`))
    const b = keyNameOf({ destinations: `repo:octo/${long}b` }, repo(`${long}b`))
    expect(a.length).toBeLessThanOrEqual(90)
    expect(a).toMatch(/^hive-rotate-key octo\/r+ [0-9a-f]{8}$/)
    expect(a).not.toBe(b)
  })

  it.each([
    ['a line break', 'ci\nkey'],
    ['a zero-width space', 'ci\u200bkey'],
    ['a bidi override', 'ci\u202ekey'],
    ['a line separator', 'ci\u2028key']
  ])('refuses a key-name with %s', (_, keyName) => {
    expect(problemsOf({ 'key-name': keyName })).toEqual([
      expect.stringMatching(/^key-name must hold no control, format or invisible characters/)
    ])
  })

  /** The rule for dot segments (issue 21, item 6), as the error states it. */
  const DOTS =
    'must not be "." or ".." nor have "." or ".." as a part between "/"s (a URL path resolves ' +
    'such a segment away: the request would reach another endpoint)'

  it.each(['.', '..', 'prod/..', '../eu', 'prod/./eu', '../../../orgs/octo'])(
    'refuses the environment name %s, a dot segment, naming the input, the rule and the name',
    name => {
      expect(problemsOf({ destinations: `repo:octo/app\nenv:octo/app/${name}` })).toEqual([
        `destinations: "env:octo/app/${name}": the environment name ${DOTS}, got "${name}"`
      ])
    }
  )

  it.each(['prod/', '/prod', 'prod//eu', '/'])(
    'refuses the environment name %s, an empty part between "/"s, naming the rule and the name',
    name => {
      expect(problemsOf({ destinations: `env:octo/app/${name}` })).toEqual([
        `destinations: "env:octo/app/${name}": the environment name must not start or end with ` +
          `"/" nor hold "//" (an empty part: most likely a typo; GitHub shows the names of a ` +
          `repository's environments under Settings, Environments), got "${name}"`
      ])
    }
  )

  it('refuses an environment name with a control, format or invisible character', () => {
    expect(problemsOf({ destinations: 'env:octo/app/prod\u202eue' })).toEqual([
      'destinations: "env:octo/app/prod\u202eue": the environment name must hold no control, ' +
        'format or invisible characters'
    ])
  })

  it('accepts environment names with dots, spaces and other punctuation', () => {
    const s = settingsFrom({ destinations: 'env:octo/app/.hidden, env:octo/app/prod eu (v2)' })
    expect(s.settings().destinations.map(d => d.environment)).toEqual(['.hidden', 'prod eu (v2)'])
  })

  it('takes everything after OWNER/REPO/ as the environment name, "/" included (issue 21, item 6)', () => {
    const s = settingsFrom({
      destinations: 'env:octo/app/production/eu\nenv:octo/app/a/b/c\nenv:octo/app/..x/.y./z..'
    })
    expect(
      s.settings().destinations.map(({ kind, owner, repo, environment, label }) => ({
        kind,
        owner,
        repo,
        environment,
        label
      }))
    ).toEqual([
      {
        kind: 'env',
        owner: 'octo',
        repo: 'app',
        environment: 'production/eu',
        label: 'env:octo/app/production/eu'
      },
      {
        kind: 'env',
        owner: 'octo',
        repo: 'app',
        environment: 'a/b/c',
        label: 'env:octo/app/a/b/c'
      },
      {
        kind: 'env',
        owner: 'octo',
        repo: 'app',
        environment: '..x/.y./z..',
        label: 'env:octo/app/..x/.y./z..'
      }
    ])
  })

  it('tells env:octo/app/production/eu and env:octo/app/production apart, and a repeat by case', () => {
    expect(
      problemsOf({
        destinations:
          'env:octo/app/production/eu\nenv:octo/app/production\nenv:octo/app/Production/EU'
      })
    ).toEqual(['destinations lists "env:octo/app/Production/EU" twice'])
  })
})

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['[::1]', true],
    ['128.0.0.1', false],
    ['127.0.0.1.evil.example', false],
    ['localhost.evil.example', false],
    ['10.0.0.1', false]
  ])('%s is loopback: %s', (host, expected) => {
    // as the WHATWG URL parser hands it over
    expect(isLoopbackHost(new URL(`http://${host}/`).hostname)).toBe(expected)
  })
})

function getProblems(fn: () => unknown): string[] {
  try {
    fn()
  } catch (error) {
    return (error as SettingsError).problems
  }
  return []
}
