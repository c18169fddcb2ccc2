/**
 * docs/hive-api.openapi.yaml, the Hive contract as OpenAPI, and the checks the Hive emulator makes
 * with it (test/emulators/hive-contract.ts): the file is a sound OpenAPI document that holds every
 * endpoint of the contract; the checks pass what keeps it and catch what breaks it; the emulator
 * refuses off-contract requests as the contract says and turns its own off-contract answers into
 * loud 500s; and a whole rotation by our client keeps the contract from the first call to the last.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'

import {
  HiveContract,
  HTTP_METHODS,
  type ContractAnswer,
  type ContractRequest
} from '../emulators/hive-contract.js'
import { HiveEmulator } from '../emulators/hive.js'
import { fetchAnswer } from '../support/fetch-answer.js'
import { inProcess, nextRunKey, useClock } from '../support/inprocess.js'
import { expectEveryDestinationLive } from '../support/convergence.js'
import { startWorld } from '../support/world.js'

const contract = HiveContract.load()
const doc = contract.document

/**
 * The endpoint table of the contract (shared/design/hive-api.md) with every status each answers:
 * its success, its errors (401 for all; 403 where only some keys may call; 404 where an id is
 * named; 422 where a body or cursor is read), 429 and 5xx for all.
 */
const ENDPOINTS: [string, string, string[]][] = [
  ['GET', '/api-keys/current', ['200', '401', '429', '5XX']],
  ['GET', '/api-keys', ['200', '401', '403', '422', '429', '5XX']],
  ['POST', '/api-keys', ['201', '401', '403', '422', '429', '5XX']],
  ['GET', '/api-keys/{id}', ['200', '401', '403', '404', '429', '5XX']],
  ['PATCH', '/api-keys/{id}', ['200', '401', '403', '404', '422', '429', '5XX']],
  ['DELETE', '/api-keys/{id}', ['204', '401', '403', '404', '429', '5XX']],
  ['GET', '/api-keys/{id}/usage', ['200', '401', '403', '404', '429', '5XX']],
  ['GET', '/executions-cli/executions', ['200', '401', '429', '5XX']]
]

const ERROR_CODES: Record<string, string[]> = {
  '401': ['unauthorized'],
  '403': ['forbidden'],
  '404': ['not_found'],
  '422': ['invalid_request'],
  '429': ['rate_limited'],
  '5XX': ['internal', 'unavailable']
}

/** The example of hive-api.md's "Key object". */
const KEY = {
  id: 'key_7Hq2mX',
  name: 'hive-rotate-key octo/app HIVE_API_KEY 2026-11-28T11:00:00Z',
  prefix: 'hv_3f9a',
  permission: 'read-only',
  scope: { type: 'engagements', engagement_ids: ['eng_12', 'eng_40'] },
  created_at: '2026-11-28T11:00:00Z',
  expires_at: '2027-02-26T11:00:00Z',
  last_used_at: null,
  revoked_at: null
}
const VALUE = 'hv_3f9a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b'
const RATE = { 'X-RateLimit-Remaining': '999', 'X-RateLimit-Reset': '1795863660' }
const JSON_TYPE = { 'Content-Type': 'application/json' }

function answer(status: number, body?: unknown, headers: Record<string, string> = {}) {
  const base = body === undefined ? RATE : { ...RATE, ...JSON_TYPE }
  return { status, body, headers: { ...base, ...headers } } satisfies ContractAnswer
}

const get = (path: string) => ({ method: 'GET', path })

/** A copy of `object` without `field`. */
function without<T extends object>(object: T, field: keyof T): Partial<T> {
  const copy: Partial<T> = { ...object }
  delete copy[field]
  return copy
}

/** The problems of a key object answered to GET /api-keys/current. */
const keyProblems = (key: unknown) =>
  contract.checkAnswer(get('/api-keys/current'), answer(200, key))

function request(overrides: Partial<ContractRequest> & { json?: unknown }): ContractRequest {
  const { json, ...rest } = overrides
  return {
    method: 'POST',
    path: '/api-keys',
    query: '',
    contentType: 'application/json',
    body: json === undefined ? '' : JSON.stringify(json),
    ...rest
  }
}

const CREATE = {
  name: 'rotated',
  permission: 'read-only',
  scope: { type: 'all' },
  expires_at: '2027-01-01T00:00:00Z'
}

/** Every value under `node` whose key is `$ref`, with where it sits. */
function refsIn(node: unknown, at = '#'): [string, string][] {
  if (Array.isArray(node)) return node.flatMap((v, i) => refsIn(v, `${at}/${i}`))
  if (typeof node !== 'object' || node === null) return []
  return Object.entries(node).flatMap(([k, v]): [string, string][] =>
    k === '$ref'
      ? [[at, String(v)]]
      : refsIn(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`)
  )
}

/** Follows `$ref`s of the OpenAPI level (responses, headers, parameters). */
function deref(node: unknown): Record<string, unknown> {
  let current = node as Record<string, unknown>
  while (typeof current.$ref === 'string') current = contract.at(current.$ref) as typeof current
  return current
}

type Operation = {
  operationId?: string
  parameters?: unknown[]
  responses: Record<string, unknown>
}

function operation(method: string, template: string): Operation {
  return (doc.paths[template] as Record<string, Operation>)[method.toLowerCase()]
}

describe('docs/hive-api.openapi.yaml', () => {
  it('is an OpenAPI 3.1 document with the public host and the X-Api-Key scheme', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/)
    expect(doc).toMatchObject({
      info: { title: expect.any(String), version: expect.any(String) },
      servers: [{ url: 'https://api.hive.darksidesecurity.io' }],
      security: [{ ApiKey: [] }],
      components: {
        securitySchemes: { ApiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } }
      }
    })
  })

  it('has schemas Ajv compiles, every one (the checks compile them only as they need them)', () => {
    expect(contract.compileAll()).toBeGreaterThan(20)
    // A schema Ajv refuses (strict mode: a keyword it does not know) fails here.
    const broken = structuredClone(doc)
    const schemas = (broken.components as { schemas: Record<string, Record<string, unknown>> })
      .schemas
    const [name] = Object.keys(schemas)
    schemas[name] = { ...schemas[name], typo: true }
    expect(() => new HiveContract(broken).compileAll()).toThrow(/typo/)
    // A keyword Ajv knows, with a value JSON Schema does not allow, fails too.
    const negative = structuredClone(doc)
    const negativeSchemas = (
      negative.components as { schemas: Record<string, Record<string, unknown>> }
    ).schemas
    negativeSchemas[name] = { ...negativeSchemas[name], minLength: -1 }
    expect(() => new HiveContract(negative).compileAll()).toThrow(
      new RegExp(`#/components/schemas/${name}: .*minLength`)
    )
  })

  it('answers with its kept standalone validators as Ajv compiling the document answers', () => {
    // HiveContract.load() takes its validators from standalone code made once per machine
    // (support/json-cache.ts); a contract made from the document compiles them with Ajv here.
    const fresh = new HiveContract(structuredClone(doc))
    const bodies: unknown[] = [
      KEY,
      { ...KEY, id: 'key 7' },
      { ...KEY, permission: 'root' },
      { ...KEY, scope: { type: 'teams', team_ids: ['t'] } },
      { ...KEY, scope: { type: 'engagements' } },
      { ...KEY, created_at: 'yesterday', extra: 1 },
      without(KEY, 'prefix'),
      [KEY],
      'text'
    ]
    const verdicts = (c: HiveContract) =>
      bodies.map(body => c.checkAnswer(get('/api-keys/key_1'), answer(200, body)))
    const kept = verdicts(contract)
    expect(kept.filter(problems => problems.length === 0)).toHaveLength(1)
    // The discriminator's message reads its schema (Ajv's verbose errors) from the kept code too.
    expect(kept[3].join('\n')).toMatch(/scope\.type: must be one of all, engagements, campaigns/)
    expect(kept).toEqual(verdicts(fresh))
  })

  it('keeps standalone validators under the digest of the document: an edit is never answered by the old code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotate-key-contract-'))
    try {
      const edited = structuredClone(doc)
      const schemas = (edited.components as { schemas: Record<string, Record<string, unknown>> })
        .schemas
      schemas.KeyId = { ...schemas.KeyId, pattern: '^key_[0-9]{1,8}$' }
      const file = join(dir, 'hive-api.openapi.yaml')
      writeFileSync(file, stringify(edited))
      const check = (c: HiveContract) =>
        c.checkAnswer(get('/api-keys/key_1'), answer(200, KEY)).join('\n')
      expect(check(contract)).toBe('')
      expect(check(HiveContract.load(file))).toBe('id: must match ^key_[0-9]{1,8}$')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('resolves every $ref', () => {
    const refs = refsIn(doc)
    expect(refs.length).toBeGreaterThan(50)
    const dangling = refs.filter(([, ref]) => contract.at(ref) === undefined)
    expect(dangling).toEqual([])
    // The check finds a dangling one.
    expect(contract.at('#/components/schemas/Nope')).toBeUndefined()
  })

  it('holds every endpoint of the contract, with exactly its statuses, and nothing else', () => {
    const found = contract
      .operations()
      .map(op => [op.method, op.template, [...op.statuses].sort()])
      .sort((a, b) => `${a[1]} ${a[0]}`.localeCompare(`${b[1]} ${b[0]}`))
    const wanted = ENDPOINTS.map(([m, t, s]) => [m, t, [...s].sort()]).sort((a, b) =>
      `${a[1]} ${a[0]}`.localeCompare(`${b[1]} ${b[0]}`)
    )
    expect(found).toEqual(wanted)
  })

  it('gives every operation a unique id, and declares every path parameter it uses', () => {
    const ids = contract.operations().map(op => op.operationId)
    expect(new Set(ids).size).toBe(ENDPOINTS.length)
    for (const [template, item] of Object.entries(doc.paths)) {
      const names = [...template.matchAll(/\{([^}]+)\}/g)].map(m => m[1])
      for (const method of HTTP_METHODS.filter(m => m in item)) {
        const params = [
          ...(((item as Record<string, unknown>).parameters as unknown[]) ?? []),
          ...(operation(method, template).parameters ?? [])
        ].map(deref)
        const inPath = params.filter(p => p.in === 'path')
        expect(inPath.map(p => p.name).sort()).toEqual([...names].sort())
        expect(inPath.every(p => p.required === true)).toBe(true)
      }
    }
  })

  it("keeps OpenAPI 3.1's rules for names, status keys, headers and parameters", () => {
    const components = doc.components as Record<string, Record<string, unknown>>
    for (const [kind, entries] of Object.entries(components)) {
      for (const name of Object.keys(entries))
        expect([kind, name]).toEqual([kind, expect.stringMatching(/^[a-zA-Z0-9._-]+$/)])
    }
    for (const { method, template } of contract.operations()) {
      const op = operation(method, template)
      for (const [status, raw] of Object.entries(op.responses)) {
        expect(status).toMatch(/^([1-5]([0-9]{2}|XX)|default)$/)
        const response = deref(raw)
        for (const header of Object.values((response.headers ?? {}) as Record<string, unknown>)) {
          // A header has a schema (or content), and `required` is a boolean when given.
          expect(deref(header)).toMatchObject({ schema: expect.any(Object) })
          expect(['boolean', 'undefined']).toContain(typeof deref(header).required)
        }
        for (const type of Object.keys((response.content ?? {}) as object)) {
          expect(type).toMatch(/^[a-z]+\/[a-z0-9.+-]+$/)
        }
      }
    }
    // Reference objects outside schemas hold nothing but the reference.
    for (const [at] of refsIn(doc).filter(([at]) => !at.includes('/schema'))) {
      const holder = contract.at(at) as Record<string, unknown>
      expect([at, Object.keys(holder)]).toEqual([at, ['$ref']])
    }
  })

  it('declares the error body, code and headers of every answer', () => {
    for (const [method, template, statuses] of ENDPOINTS) {
      for (const status of statuses) {
        const response = deref(operation(method, template).responses[status])
        const context = `${method} ${template} ${status}`
        expect({ context, description: typeof response.description }).toEqual({
          context,
          description: 'string'
        })
        const headers = Object.fromEntries(
          Object.entries((response.headers ?? {}) as Record<string, unknown>).map(([k, v]) => [
            k,
            deref(v).required === true
          ])
        )
        // Rate-limit headers on every answer; a 5xx may come from a proxy that lacks them.
        const rate = status !== '5XX'
        expect({ context, headers }).toEqual({
          context,
          headers: {
            'X-RateLimit-Remaining': rate,
            'X-RateLimit-Reset': rate,
            ...(status === '429' ? { 'Retry-After': true } : {})
          }
        })
        if (ERROR_CODES[status] === undefined) continue
        // The error body with its code passes; another code does not.
        const code = status === '5XX' ? 503 : Number(status)
        const path = template.replace('{id}', 'key_1')
        const extra: Record<string, string> = status === '429' ? { 'Retry-After': '1' } : {}
        const check = (error: unknown) => [
          context,
          contract.checkAnswer({ method, path }, answer(code, { error }, extra))
        ]
        for (const good of ERROR_CODES[status]) {
          expect(check({ code: good, message: 'why' })).toEqual([context, []])
        }
        const codes = ERROR_CODES[status]
        const rule = codes.length === 1 ? codes[0] : `one of ${codes.join(', ')}`
        expect(check({ code: 'oops', message: 'why' })).toEqual([
          context,
          [`error.code: must be ${rule}`]
        ])
        expect(check({ code: codes[0] })).toEqual([context, ['error.message: required']])
      }
    }
  })
})

describe('answers', () => {
  it('passes the contract example and a key that never expires', () => {
    expect(keyProblems(KEY)).toEqual([])
    expect(
      keyProblems({ ...KEY, expires_at: null, last_used_at: '2026-11-28T11:00:00.123Z' })
    ).toEqual([])
    expect(keyProblems({ ...KEY, scope: { type: 'all' } })).toEqual([])
    expect(keyProblems({ ...KEY, scope: { type: 'campaigns', campaign_ids: ['c-1'] } })).toEqual([])
  })

  it('passes the create answer, a page, usage and a revocation', () => {
    const created = { ...KEY, key: VALUE }
    expect(
      contract.checkAnswer({ method: 'POST', path: '/api-keys' }, answer(201, created))
    ).toEqual([])
    const page = { items: [KEY, { ...KEY, id: 'key_2' }], next_cursor: 'c_Mg' }
    expect(contract.checkAnswer(get('/api-keys'), answer(200, page))).toEqual([])
    expect(
      contract.checkAnswer(get('/api-keys'), answer(200, { items: [], next_cursor: null }))
    ).toEqual([])
    const usage = { requests_24h: 3, errors_24h: 0, last_used_at: null }
    expect(contract.checkAnswer(get('/api-keys/key_1/usage'), answer(200, usage))).toEqual([])
    expect(
      contract.checkAnswer({ method: 'DELETE', path: '/api-keys/key_1' }, answer(204))
    ).toEqual([])
  })

  const withoutId = without(KEY, 'id')
  const withoutExpiry = without(KEY, 'expires_at')
  const cases: [string, unknown, RegExp][] = [
    ['an id with a space', { ...KEY, id: 'key 7Hq2mX' }, /^id: must match/],
    ['an empty id', { ...KEY, id: '' }, /^id: must match/],
    ['an id of 65 characters', { ...KEY, id: 'k'.repeat(65) }, /^id: must match/],
    ['an id with a line break', { ...KEY, id: 'key_1\n::warning::x' }, /^id: must match/],
    [
      'a prefix of 17 characters',
      { ...KEY, prefix: 'hv_' + 'a'.repeat(14) },
      /^prefix: must match/
    ],
    ['a prefix with a dot', { ...KEY, prefix: 'hv.3f9a' }, /^prefix: must match/],
    ['a name of 201 characters', { ...KEY, name: 'n'.repeat(201) }, /^name: must NOT have more/],
    ['a permission outside the enum', { ...KEY, permission: 'owner' }, /^permission: must be one/],
    ['a missing id', withoutId, /^id: required$/],
    [
      'a missing expires_at (null is the way to say never)',
      withoutExpiry,
      /^expires_at: required$/
    ],
    ['an extra field', { ...KEY, owner: 'someone' }, /^owner: unknown field$/],
    ['the key value outside the create answer', { ...KEY, key: VALUE }, /^key: unknown field$/],
    ['a scope of an unknown type', { ...KEY, scope: { type: 'org' } }, /^scope\.type: must be one/],
    ['a scope without its type', { ...KEY, scope: { engagement_ids: ['e'] } }, /^scope\.type/],
    [
      'a scope with no ids',
      { ...KEY, scope: { type: 'engagements', engagement_ids: [] } },
      /^scope\.engagement_ids: must NOT have fewer than 1/
    ],
    [
      'a scope with a bad id',
      { ...KEY, scope: { type: 'campaigns', campaign_ids: ['c 1'] } },
      /^scope\.campaign_ids\[0\]: must match/
    ],
    [
      'a scope mixing shapes',
      { ...KEY, scope: { type: 'all', campaign_ids: ['c1'] } },
      /^scope\.campaign_ids: unknown field$/
    ],
    [
      'a timestamp with an offset',
      { ...KEY, created_at: '2026-11-28T12:00:00+01:00' },
      /^created_at/
    ],
    ['a timestamp without a zone', { ...KEY, created_at: '2026-11-28T11:00:00' }, /^created_at/],
    ['a date that does not exist', { ...KEY, expires_at: '2027-02-30T11:00:00Z' }, /^expires_at/],
    ['a date only', { ...KEY, revoked_at: '2026-11-28' }, /^revoked_at/],
    ['a number for a timestamp', { ...KEY, last_used_at: 1795863600 }, /^last_used_at/],
    ['an array for the key', [KEY], /^body: must be object$/]
  ]

  it.each(cases)('reports a key object with %s', (_label, key, problem) => {
    const problems = keyProblems(key)
    expect(problems).toContainEqual(expect.stringMatching(problem))
    // Problems name the rule, never the value (which, in the create answer, is a secret).
    expect(problems.join('\n')).not.toContain('someone')
    expect(problems.join('\n')).not.toContain('::warning::')
  })

  it('reports the same faults in the create answer, and a bad or missing value', () => {
    const path = { method: 'POST', path: '/api-keys' }
    const check = (body: unknown) => contract.checkAnswer(path, answer(201, body))
    expect(check({ ...KEY, prefix: 'a'.repeat(17), key: VALUE })).toEqual([
      'prefix: must match ^[A-Za-z0-9_-]{1,16}$'
    ])
    expect(check({ ...KEY, extra: 1, key: VALUE })).toEqual(['extra: unknown field'])
    expect(check(KEY)).toEqual(['key: required'])
    for (const bad of ['', 'hv_abc def', 'hv_abc\n', 'hv_\u00e9t\u00e9']) {
      const problems = check({ ...KEY, key: bad })
      expect(problems).toEqual(['key: must match ^[!-~]+$'])
      expect(problems.join()).not.toContain('hv_abc')
    }
  })

  it('reports a page of more than 100 keys, a bad item and an empty cursor', () => {
    const check = (body: unknown) => contract.checkAnswer(get('/api-keys'), answer(200, body))
    const items = Array.from({ length: 101 }, (_, i) => ({ ...KEY, id: `key_${i}` }))
    expect(check({ items, next_cursor: 'c_1' })).toEqual([
      'items: must NOT have more than 100 items'
    ])
    expect(check({ items: items.slice(0, 100), next_cursor: 'c_1' })).toEqual([])
    expect(check({ items: [{ ...KEY, prefix: '' }], next_cursor: null })).toEqual([
      'items[0].prefix: must match ^[A-Za-z0-9_-]{1,16}$'
    ])
    expect(check({ items: [], next_cursor: '' })).toEqual([
      'next_cursor: must NOT have fewer than 1 characters'
    ])
    expect(check({ items: [] })).toEqual(['next_cursor: required'])
    expect(check({ items: [], next_cursor: null, total: 0 })).toEqual(['total: unknown field'])
  })

  it('reports usage numbers that are not counts', () => {
    const check = (body: unknown) =>
      contract.checkAnswer(get('/api-keys/key_1/usage'), answer(200, body))
    expect(check({ requests_24h: -1, errors_24h: 0, last_used_at: null })).toEqual([
      'requests_24h: must be >= 0'
    ])
    expect(check({ requests_24h: 1.5, errors_24h: 0, last_used_at: null })).toEqual([
      'requests_24h: must be integer'
    ])
    expect(check({ requests_24h: 1, errors_24h: 0 })).toEqual(['last_used_at: required'])
  })

  it('reports missing or malformed headers', () => {
    const path = get('/api-keys/current')
    const noRemaining = without(RATE, 'X-RateLimit-Remaining')
    expect(
      contract.checkAnswer(path, {
        status: 200,
        body: KEY,
        headers: { ...noRemaining, ...JSON_TYPE }
      })
    ).toEqual(['header X-RateLimit-Remaining: required'])
    expect(
      contract.checkAnswer(path, answer(200, KEY, { 'X-RateLimit-Reset': 'tomorrow' }))
    ).toEqual(['X-RateLimit-Reset: must be integer'])
    // Header names are case-insensitive.
    expect(contract.checkAnswer(path, answer(200, KEY, { 'x-ratelimit-remaining': '5' }))).toEqual(
      []
    )
    const limited = { error: { code: 'rate_limited', message: 'slow down' } }
    expect(contract.checkAnswer(path, answer(429, limited))).toEqual([
      'header Retry-After: required'
    ])
    expect(contract.checkAnswer(path, answer(429, limited, { 'Retry-After': '3' }))).toEqual([])
    expect(
      contract.checkAnswer(
        path,
        answer(429, limited, { 'Retry-After': 'Wed, 21 Oct 2026 07:28:00 GMT' })
      )
    ).toEqual(['Retry-After: must be integer'])
  })

  it('reports statuses, bodies and content types the contract does not have', () => {
    const revoke = { method: 'DELETE', path: '/api-keys/key_1' }
    expect(contract.checkAnswer(revoke, answer(200, KEY))).toEqual([
      'status 200 is not an answer of revokeKey'
    ])
    expect(contract.checkAnswer(revoke, answer(204, {}))).toEqual(['body: this answer has no body'])
    const forbidden = { error: { code: 'forbidden', message: 'no' } }
    expect(contract.checkAnswer(get('/executions-cli/executions'), answer(403, forbidden))).toEqual(
      ['status 403 is not an answer of listExecutions']
    )
    expect(contract.checkAnswer(get('/api-keys/current'), answer(302))).toEqual([
      'status 302 is not an answer of getCurrentKey'
    ])
    expect(contract.checkAnswer(get('/api-keys/current'), answer(200))).toEqual(['body: required'])
    const html = { 'Content-Type': 'text/html' }
    expect(contract.checkAnswer(get('/api-keys/key_1'), answer(404, '<h1>404</h1>', html))).toEqual(
      ['header Content-Type: must be one of application/json']
    )
    // A 5xx may be a proxy's HTML page.
    expect(contract.checkAnswer(get('/api-keys/key_1'), answer(502, '<h1>502</h1>', html))).toEqual(
      []
    )
    // Outside the contract only its generic answers exist.
    const notFound = { error: { code: 'not_found', message: 'no route' } }
    expect(contract.checkAnswer(get('/nope'), answer(404, notFound))).toEqual([])
    expect(contract.checkAnswer(get('/nope'), answer(200, {}))).toEqual([
      'status 200 is not an answer of a request outside the contract'
    ])
  })
})

describe('requests', () => {
  it('passes a create request and a patch of one field', () => {
    expect(contract.checkRequest(request({ json: CREATE }))).toMatchObject({
      operation: { operationId: 'createKey' },
      problems: []
    })
    const patch = request({ method: 'PATCH', path: '/api-keys/key_1', json: { expires_at: null } })
    expect(contract.checkRequest(patch).refusal).toEqual({
      status: 422,
      message: 'expires_at: must be string'
    })
    const ok = request({ method: 'PATCH', path: '/api-keys/key_1', json: { name: 'x' } })
    expect(contract.checkRequest(ok).problems).toEqual([])
  })

  it.each([
    ['missing expires_at', { ...CREATE, expires_at: undefined }, 'expires_at: required'],
    [
      'a bad scope',
      { ...CREATE, scope: { type: 'engagements' } },
      'scope.engagement_ids: required'
    ],
    ['an unknown field', { ...CREATE, expiresAt: CREATE.expires_at }, 'expiresAt: unknown field'],
    ['a name of 201 characters', { ...CREATE, name: 'n'.repeat(201) }, 'name: must NOT have'],
    ['a local time', { ...CREATE, expires_at: '2027-01-01T00:00:00' }, 'expires_at: must match']
  ])('refuses a create body with %s: 422 naming the field', (_label, json, message) => {
    const check = contract.checkRequest(request({ json }))
    expect(check.refusal?.status).toBe(422)
    expect(check.refusal?.message).toContain(message)
    expect(check.problems).toContainEqual(expect.stringContaining(message))
  })

  it('refuses a body that is no JSON object, or not sent as JSON', () => {
    const refusal = (r: Partial<ContractRequest>) => contract.checkRequest(request(r)).refusal
    expect(refusal({ body: '{"name": ' })).toEqual({ status: 422, message: 'body: not valid JSON' })
    expect(refusal({ body: '[]' })).toEqual({ status: 422, message: 'body: must be object' })
    expect(refusal({ body: '' })).toEqual({ status: 422, message: 'body: required' })
    expect(refusal({ body: JSON.stringify(CREATE), contentType: 'text/plain' })).toEqual({
      status: 422,
      message: 'body: Content-Type must be application/json'
    })
    // A media type is looked up as a name of the contract, never as a property of any object.
    expect(refusal({ body: JSON.stringify(CREATE), contentType: 'constructor' })?.status).toBe(422)
    expect(
      refusal({ body: JSON.stringify(CREATE), contentType: 'application/json; charset=utf-8' })
    ).toBeUndefined()
    const patchNothing = { method: 'PATCH', path: '/api-keys/key_1', body: '{}' }
    expect(refusal(patchNothing)?.message).toBe('body: must NOT have fewer than 1 properties')
  })

  it('answers 404 for an id outside the format, and 422 for an empty cursor', () => {
    for (const path of [
      '/api-keys/key%201',
      '/api-keys/%ZZ',
      `/api-keys/${'k'.repeat(65)}/usage`
    ]) {
      expect(contract.checkRequest(request({ method: 'GET', path })).refusal?.status).toBe(404)
    }
    // A literal path is not an id: GET /api-keys/current is its own operation.
    expect(
      contract.checkRequest(request({ method: 'GET', path: '/api-keys/current' }))
    ).toMatchObject({ operation: { operationId: 'getCurrentKey' }, problems: [] })
    expect(
      contract.checkRequest(request({ method: 'DELETE', path: '/api-keys/current' }))
    ).toMatchObject({ operation: { operationId: 'revokeKey' }, problems: [] })
    const list = (query: string) => contract.checkRequest(request({ method: 'GET', query }))
    expect(list('cursor=c_1').problems).toEqual([])
    expect(list('cursor=').refusal).toEqual({
      status: 422,
      message: 'cursor: must NOT have fewer than 1 characters'
    })
    expect(list('cursor=a&cursor=b').refusal?.status).toBe(422)
  })

  it('records, without refusing, what the contract has no answer for', () => {
    const check = (r: Partial<ContractRequest>) => contract.checkRequest(request(r))
    expect(check({ method: 'PUT', path: '/api-keys' })).toEqual({
      problems: ['PUT /api-keys is no operation of the contract']
    })
    expect(check({ method: 'GET', query: 'limit=5' })).toMatchObject({
      problems: ['limit: not a query parameter of listKeys'],
      refusal: undefined
    })
    expect(check({ method: 'DELETE', path: '/api-keys/key_1', body: '{}' })).toMatchObject({
      problems: ['body: revokeKey takes no body'],
      refusal: undefined
    })
  })
})

describe('the Hive emulator against the contract', () => {
  let emu: HiveEmulator
  let admin: { id: string; value: string }
  beforeEach(async () => {
    emu = new HiveEmulator()
    await emu.start()
    admin = emu.seedKey({ name: 'admin' })
  })
  afterEach(() => emu.stop())

  const call = (method: string, path: string, key: string, body?: unknown) =>
    fetchAnswer(
      emu.url + path,
      {
        method,
        headers: { 'X-Api-Key': key, ...(body === undefined ? {} : JSON_TYPE) },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual'
      },
      undefined
    )

  it('refuses a request off the contract as the contract says, and records it', async () => {
    const body = without(CREATE, 'expires_at')
    const res = await call('POST', '/api-keys', admin.value, body)
    expect(res.status).toBe(422)
    expect(res.json).toEqual({
      error: { code: 'invalid_request', message: 'expires_at: required' }
    })
    expect(emu.keys()).toHaveLength(1)
    // The hand-written checks never saw it: a longer name than the contract allows is refused too.
    const long = await call('POST', '/api-keys', admin.value, { ...CREATE, name: 'n'.repeat(201) })
    expect(long.status).toBe(422)
    expect(emu.keys()).toHaveLength(1)
    expect(emu.contractViolations()).toEqual([
      { side: 'request', method: 'POST', path: '/api-keys', problems: ['expires_at: required'] },
      {
        side: 'request',
        method: 'POST',
        path: '/api-keys',
        problems: ['name: must NOT have more than 200 characters']
      }
    ])
  })

  it('authenticates before it judges the body: a bad key gets 401, and the body is still recorded', async () => {
    const res = await call('POST', '/api-keys', 'hv_unknown', { name: 'x' })
    expect(res.status).toBe(401)
    expect(emu.contractViolations().map(v => v.side)).toEqual(['request'])
  })

  it('turns an answer of its own that breaks the contract into a 500 that names it', async () => {
    // seedKey checks nothing: a name longer than the contract allows gets into the store.
    const odd = emu.seedKey({ permission: 'read-only', name: 'n'.repeat(201) })
    const res = await call('GET', `/api-keys/${odd.id}`, admin.value)
    expect(res.status).toBe(500)
    expect(res.json).toEqual({
      error: {
        code: 'internal',
        message:
          `hive emulator bug: its 200 answer to GET /api-keys/${odd.id} breaks ` +
          'docs/hive-api.openapi.yaml: name: must NOT have more than 200 characters'
      }
    })
    expect(emu.requests.at(-1)?.status).toBe(500)
    // A value whose first characters are no prefix: every answer holding that key is refused.
    const dotted = emu.seedKey({ value: 'hv.0123456789abcdef' })
    expect((await call('GET', '/api-keys/current', dotted.value)).status).toBe(500)
    expect(emu.contractViolations()).toEqual([
      {
        side: 'answer',
        method: 'GET',
        path: `/api-keys/${odd.id}`,
        status: 200,
        problems: ['name: must NOT have more than 200 characters']
      },
      {
        side: 'answer',
        method: 'GET',
        path: '/api-keys/current',
        status: 200,
        problems: ['prefix: must match ^[A-Za-z0-9_-]{1,16}$']
      }
    ])
  })

  it('does not check scripted faults, which are off the contract on purpose', async () => {
    emu.addFault({ path: '/api-keys/current', status: 503, contentType: 'text/html' })
    emu.addFault({ path: '/api-keys/current', status: 302, nth: 2, headers: { Location: '/x' } })
    const html = await call('GET', '/api-keys/current', admin.value)
    expect(html.status).toBe(503)
    expect(html.text).toMatch(/^<html>/)
    expect((await call('GET', '/api-keys/current', admin.value)).status).toBe(302)
    expect((await call('GET', '/api-keys/current', admin.value)).status).toBe(200)
    expect(emu.contractViolations()).toEqual([])
  })
})

describe('our client against the contract', () => {
  it('keeps it through rotations with and without grace, a check and an emergency', async () => {
    const world = await startWorld()
    const clock = useClock(world)
    try {
      const runs: Record<string, string>[] = [
        {},
        { 'old-key-grace-minutes': '30' },
        { mode: 'check' },
        { mode: 'emergency' },
        {}
      ]
      for (const inputs of runs) {
        // Past the in-flight window of the run before, and past the grace it gave.
        clock.advance(40 * 60_000)
        const run = inProcess(world, {
          clock,
          githubPlugins: false,
          inputs: { 'hive-api-key': nextRunKey(world), ...inputs }
        })
        await run.start()
      }
      // The runs did their work (so the calls below were the real ones): every destination
      // holds a key Hive accepts, and it is not the key the world started with.
      expectEveryDestinationLive(world, 'after the runs')
      expect(world.hive.accepts(world.ci.value)).toBe(false)
      const operations = new Set(
        world.hive.requests.map(r => {
          const op = contract.checkRequest({ ...r, body: undefined }).operation
          return op === undefined ? `${r.method} ${r.path}` : op.operationId
        })
      )
      expect([...operations].sort()).toEqual(
        expect.arrayContaining([
          'createKey',
          'getCurrentKey',
          'listExecutions',
          'listKeys',
          'revokeKey',
          'updateKey'
        ])
      )
      expect(world.hive.contractViolations()).toEqual([])
      expect(world.hive.requests.every(r => r.status < 500)).toBe(true)
    } finally {
      await world.stop()
    }
  })
})
