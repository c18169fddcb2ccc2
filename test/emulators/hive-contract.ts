/**
 * The Hive contract, docs/hive-api.openapi.yaml, as a checker: which operation a request is, and
 * whether a request or an answer keeps the contract (path and query parameters, body schemas,
 * statuses, headers, content types).
 *
 * The Hive emulator (hive.ts) runs every request it receives and every answer it computes through
 * `ContractMonitor`, so the OpenAPI file, the emulator and the client cannot drift apart: a client
 * request off the contract is answered as the contract says (404/422) and recorded; an emulator
 * answer off the contract is an emulator bug, recorded and turned into a loud 500.
 *
 * Schemas are compiled with Ajv's JSON Schema 2020-12 dialect (OpenAPI 3.1's), strict, so a typo
 * in a keyword of the file fails at load instead of validating nothing. OpenAPI-level `$ref`s
 * (responses, parameters, headers) are resolved here; schema `$ref`s by Ajv.
 *
 * Problems name the field and the rule, never the value (a value may be a key).
 */

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Ajv2020, ErrorObject, Options, ValidateFunction } from 'ajv/dist/2020.js'
import type addFormatsModule from 'ajv-formats'
import { ajvVersions, cachedModule, digestOf, readYaml } from '../support/json-cache.js'

const load = createRequire(import.meta.url)

// verbose: discriminator errors need their schema to list the allowed tags. validateSchema:
// false, because checking the whole document against the meta-schema on load cost 70 ms in
// each of the suite's test files, and reaches no schema: the document's root is no schema,
// and the meta-schema does not descend into `paths` or `components`. `compileAll` checks
// each schema against the meta-schema instead. code.source: so that the compiled validators
// can be kept as standalone code (`load`).
const AJV_OPTIONS: Options = {
  allErrors: true,
  strict: true,
  discriminator: true,
  verbose: true,
  validateSchema: false,
  code: { source: true }
}

// OpenAPI's top-level fields are not JSON Schema keywords; only the document is "schema" here.
const OPENAPI_FIELDS = [
  'openapi',
  'info',
  'jsonSchemaDialect',
  'servers',
  'security',
  'tags',
  'paths',
  'webhooks',
  'components',
  'externalDocs'
]

/** Where the contract lives. */
export const CONTRACT_FILE = fileURLToPath(
  new URL('../../docs/hive-api.openapi.yaml', import.meta.url)
)

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/** The parts of an OpenAPI 3.1 document this checker reads; the rest is passed through. */
type Node = Record<string, unknown>

export interface OpenApiDocument extends Node {
  openapi: string
  paths: Record<string, Node>
  components?: Node
}

/** One operation of the contract. */
export interface ContractOperation {
  method: string
  /** The path template, e.g. `/api-keys/{id}`. */
  template: string
  operationId: string
  /** Status keys of its responses as written (`200`, `404`, `5XX`). */
  statuses: string[]
}

export interface ContractRequest {
  method: string
  /** As sent, without the query string. */
  path: string
  /** Without the leading `?`. */
  query: string
  /** The `Content-Type` request header, if any. */
  contentType?: string
  /** The raw body ('' for none); undefined when it was not read (too large). */
  body: string | undefined
}

export interface RequestCheck {
  /** The contract's operation, when the method and path are one. */
  operation?: ContractOperation
  problems: string[]
  /** The answer the contract prescribes for this request (404 for a malformed id, 422). */
  refusal?: { status: 404 | 422; message: string }
}

export interface ContractAnswer {
  status: number
  /** Response headers as sent (names in any case). */
  headers: Record<string, string>
  /** The body as a JSON value; undefined for no body. */
  body?: unknown
}

export interface ContractViolation {
  /**
   * `request`: the client sent what the contract does not allow. `answer`: the emulator answered
   * off the contract, which is a bug of the emulator.
   */
  side: 'request' | 'answer'
  method: string
  path: string
  /** The status answered (for `answer`: the one the emulator meant to send). */
  status?: number
  problems: string[]
}

interface Resolved {
  node: Node
  /** JSON pointer of `node` in the document. */
  pointer: string
}

interface Route {
  operation: ContractOperation
  node: Resolved
  pathItem: Resolved
  matcher: RegExp
  paramNames: string[]
}

/** JSON pointer of a path below `base`. */
function pointerOf(base: string, ...parts: string[]): string {
  return base + parts.map(p => '/' + p.replace(/~/g, '~0').replace(/\//g, '~1')).join('')
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `/scope/engagement_ids/0` + `x` -> `scope.engagement_ids[0].x`. */
function fieldName(instancePath: string, child?: string): string {
  const parts = instancePath === '' ? [] : instancePath.slice(1).split('/')
  if (child !== undefined) parts.push(child)
  return parts
    .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('')
}

export class HiveContract {
  private static cache = new Map<string, HiveContract>()

  /**
   * The contract of `file` (default docs/hive-api.openapi.yaml), parsed once per test file, with
   * its validators kept as standalone code (`precompiled`). A contract made with `new` from a
   * document compiles its schemas with Ajv as the checks first need them.
   */
  static load(file = CONTRACT_FILE): HiveContract {
    let contract = HiveContract.cache.get(file)
    if (contract === undefined) {
      contract = HiveContract.precompiled(file)
      HiveContract.cache.set(file, contract)
    }
    return contract
  }

  /**
   * The contract of `file` with every validator `compileAll` makes, compiled once per machine
   * and content into standalone code (Ajv's `standaloneCode`) and loaded from there: jest gives
   * each test file its own modules, and loading Ajv and compiling the schemas again in each of
   * them cost the suite about 13 s of CPU. Making the code runs `compileAll`, so a schema Ajv
   * refuses fails the first test file that loads the contract. The code is named by the digest
   * of the file, Ajv's options and versions: a change to any of them makes it again.
   */
  private static precompiled(file: string): HiveContract {
    const document = readYaml(file) as OpenApiDocument
    const name = digestOf(
      readFileSync(file, 'utf8'),
      JSON.stringify(AJV_OPTIONS),
      OPENAPI_FIELDS.join(','),
      ajvVersions()
    )
    const validators = cachedModule<Record<string, ValidateFunction>>(
      `hive-validators-${name}.cjs`,
      () => {
        const contract = new HiveContract(document)
        contract.compileAll()
        const { default: standaloneCode } = load(
          'ajv/dist/standalone/index.js'
        ) as typeof import('ajv/dist/standalone/index.js')
        const refs = Object.fromEntries(contract.schemaPointers().map(p => [p, `hive${p}`]))
        return standaloneCode(contract.compiler(), refs)
      }
    )
    const contract = new HiveContract(document)
    for (const [pointer, validate] of Object.entries(validators)) {
      contract.validators.set(pointer, validate)
    }
    return contract
  }

  readonly document: OpenApiDocument
  private ajv: Ajv2020 | undefined
  private readonly routes: Route[] = []
  private readonly validators = new Map<string, ValidateFunction>()

  constructor(document: OpenApiDocument) {
    if (!isNode(document) || typeof document.openapi !== 'string' || !isNode(document.paths)) {
      throw new Error('the Hive contract is not an OpenAPI document (no openapi or paths)')
    }
    this.document = document
    for (const [template, raw] of Object.entries(document.paths)) {
      const pathItem = this.resolve(raw, pointerOf('#/paths', template))
      const paramNames = [...template.matchAll(/\{([^}]+)\}/g)].map(m => m[1])
      const source = template
        .split(/\{[^}]+\}/)
        .map(part => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
        .join('([^/]+)')
      for (const method of HTTP_METHODS) {
        const op = pathItem.node[method]
        if (!isNode(op)) continue
        const node = { node: op, pointer: pointerOf(pathItem.pointer, method) }
        this.routes.push({
          operation: {
            method: method.toUpperCase(),
            template,
            operationId: String(op.operationId ?? `${method} ${template}`),
            statuses: Object.keys(isNode(op.responses) ? op.responses : {})
          },
          node,
          pathItem,
          matcher: new RegExp(`^${source}$`),
          paramNames
        })
      }
    }
    // A literal path wins over a template that also matches it (`/api-keys/current`), as in
    // OpenAPI; among equals, the order of the file.
    this.routes.sort((a, b) => a.paramNames.length - b.paramNames.length)
  }

  /** Ajv with the document added, made when a schema is first compiled here. */
  private compiler(): Ajv2020 {
    if (this.ajv === undefined) {
      const { Ajv2020 } = load('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js')
      const addFormats = load('ajv-formats') as typeof addFormatsModule
      const ajv = new Ajv2020(AJV_OPTIONS)
      ajv.addVocabulary(OPENAPI_FIELDS)
      addFormats.default(ajv)
      ajv.addSchema(this.document, 'hive')
      this.ajv = ajv
    }
    return this.ajv
  }

  /**
   * Checks every schema the checks use against JSON Schema 2020-12's meta-schema and compiles it,
   * and says how many: throws on the first one Ajv refuses.
   * Not done on load: a test file uses a few of them, and compiling all of them in each of the
   * suite's test files cost about 20 s of CPU.
   */
  compileAll(): number {
    const pointers = this.schemaPointers()
    for (const pointer of pointers) {
      const ajv = this.compiler()
      if (!ajv.validateSchema(this.at(pointer) as object)) {
        throw new Error(`the Hive contract: ${pointer}: ${ajv.errorsText(ajv.errors)}`)
      }
      this.validator(pointer)
    }
    return pointers.length
  }

  /** Every operation, literal paths first. */
  operations(): ContractOperation[] {
    return this.routes.map(r => ({ ...r.operation, statuses: [...r.operation.statuses] }))
  }

  /** The value at a JSON pointer (`#/components/schemas/Key`), or undefined. */
  at(pointer: string): unknown {
    if (!pointer.startsWith('#')) return undefined
    let node: unknown = this.document
    for (const raw of pointer.slice(1).split('/').slice(1)) {
      const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')
      if (Array.isArray(node)) node = node[Number(part)]
      else if (isNode(node)) node = node[part]
      else return undefined
    }
    return node
  }

  /** Checks a request; see RequestCheck. */
  checkRequest(request: ContractRequest): RequestCheck {
    const method = request.method.toUpperCase()
    const found = this.find(method, request.path)
    if (found === undefined) {
      return { problems: [`${method} ${request.path} is no operation of the contract`] }
    }
    const { route, values } = found
    const problems: string[] = []
    let refusal: RequestCheck['refusal']

    // Path parameters: an id outside the format is nobody's id, which the contract answers 404.
    const parameters = this.parameters(route)
    for (const [name, raw] of Object.entries(values)) {
      const param = parameters.find(p => p.node.in === 'path' && p.node.name === name)
      let value: string | undefined
      try {
        value = decodeURIComponent(raw)
      } catch {
        value = undefined
      }
      const bad =
        value === undefined
          ? [`${name}: not valid percent-encoding`]
          : param === undefined
            ? [`${name}: the contract declares no such path parameter`]
            : this.validate(pointerOf(param.pointer, 'schema'), value, name)
      if (bad.length > 0) {
        problems.push(...bad)
        refusal ??= { status: 404, message: `no such key (${bad.join('; ')})` }
      }
    }

    // Query parameters: declared ones are checked (422); others are off the contract.
    const query = new URLSearchParams(request.query)
    for (const name of new Set(query.keys())) {
      const param = parameters.find(p => p.node.in === 'query' && p.node.name === name)
      if (param === undefined) {
        problems.push(`${name}: not a query parameter of ${route.operation.operationId}`)
        continue
      }
      const all = query.getAll(name)
      const bad =
        all.length > 1
          ? [`${name}: given ${all.length} times`]
          : this.validate(pointerOf(param.pointer, 'schema'), all[0], name)
      if (bad.length > 0) {
        problems.push(...bad)
        refusal ??= { status: 422, message: bad.join('; ') }
      }
    }

    // The body.
    const bodySpec = isNode(route.node.node.requestBody)
      ? this.resolve(route.node.node.requestBody, pointerOf(route.node.pointer, 'requestBody'))
      : undefined
    if (bodySpec === undefined) {
      if (request.body !== undefined && request.body !== '') {
        problems.push(`body: ${route.operation.operationId} takes no body`)
      }
    } else if (request.body !== undefined) {
      const bad = this.checkBody(bodySpec, request)
      if (bad.length > 0) {
        problems.push(...bad)
        refusal ??= { status: 422, message: bad.join('; ') }
      }
    }
    return { operation: { ...route.operation }, problems, refusal }
  }

  /** The problems of an answer to `request` (empty: it keeps the contract). */
  checkAnswer(request: { method: string; path: string }, answer: ContractAnswer): string[] {
    const found = this.find(request.method.toUpperCase(), request.path)
    // An unknown operation is still answered as the contract answers any request: 401, 404, 429.
    const responses = found
      ? this.resolve(
          found.route.node.node.responses,
          pointerOf(found.route.node.pointer, 'responses')
        )
      : undefined
    const where = found?.route.operation.operationId ?? 'a request outside the contract'
    const response = responses
      ? this.responseFor(responses, answer.status)
      : this.componentResponse({ 401: 'Unauthorized', 404: 'NotFound', 429: 'RateLimited' }, answer)
    if (response === undefined) return [`status ${answer.status} is not an answer of ${where}`]

    const problems: string[] = []
    const headers = new Map(Object.entries(answer.headers).map(([k, v]) => [k.toLowerCase(), v]))

    const declared = isNode(response.node.headers) ? response.node.headers : {}
    for (const [name, raw] of Object.entries(declared)) {
      const header = this.resolve(raw, pointerOf(response.pointer, 'headers', name))
      const value = headers.get(name.toLowerCase())
      if (value === undefined) {
        if (header.node.required === true) problems.push(`header ${name}: required`)
        continue
      }
      const schemaPointer = pointerOf(header.pointer, 'schema')
      const schema = this.resolve(this.at(schemaPointer), schemaPointer).node
      problems.push(...this.validate(schemaPointer, headerValue(schema, value), name))
    }

    const content = isNode(response.node.content) ? response.node.content : undefined
    if (content === undefined) {
      if (answer.body !== undefined) problems.push('body: this answer has no body')
      return problems
    }
    if (answer.body === undefined) return [...problems, 'body: required']
    const type = mediaType(headers.get('content-type'))
    if (!Object.hasOwn(content, type)) {
      return [...problems, `header Content-Type: must be one of ${Object.keys(content).join(', ')}`]
    }
    const schemaPointer = pointerOf(response.pointer, 'content', type, 'schema')
    // What goes on the wire: JSON.stringify drops undefined fields and turns Dates into strings.
    const wire = type === 'application/json' ? JSON.parse(JSON.stringify(answer.body)) : answer.body
    problems.push(...this.validate(schemaPointer, wire, 'body'))
    return problems
  }

  // --- internals ------------------------------------------------------------------------------

  /** Follows OpenAPI-level `$ref`s (responses, parameters, headers, request bodies). */
  private resolve(node: unknown, pointer: string): Resolved {
    let current: unknown = node
    let at = pointer
    for (let hops = 0; isNode(current) && typeof current.$ref === 'string'; hops++) {
      if (hops > 20) throw new Error(`the Hive contract: $ref loop at ${pointer}`)
      at = current.$ref
      current = this.at(at)
    }
    if (!isNode(current)) throw new Error(`the Hive contract: ${pointer} does not resolve`)
    return { node: current, pointer: at }
  }

  private find(
    method: string,
    path: string
  ): { route: Route; values: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.operation.method !== method) continue
      const match = route.matcher.exec(path)
      if (match === null) continue
      return {
        route,
        values: Object.fromEntries(route.paramNames.map((name, i) => [name, match[i + 1]]))
      }
    }
    return undefined
  }

  /** Path-item and operation parameters; the operation's win (same name and location). */
  private parameters(route: Route): Resolved[] {
    const list = (owner: Resolved): Resolved[] =>
      Array.isArray(owner.node.parameters)
        ? owner.node.parameters.map((p, i) =>
            this.resolve(p, pointerOf(owner.pointer, 'parameters', String(i)))
          )
        : []
    const own = list(route.node)
    const inherited = list(route.pathItem).filter(
      p => !own.some(o => o.node.name === p.node.name && o.node.in === p.node.in)
    )
    return [...own, ...inherited]
  }

  private checkBody(spec: Resolved, request: ContractRequest): string[] {
    const content = isNode(spec.node.content) ? spec.node.content : {}
    if (request.body === '') return spec.node.required === true ? ['body: required'] : []
    const type = mediaType(request.contentType)
    if (!Object.hasOwn(content, type)) {
      return [`body: Content-Type must be ${Object.keys(content).join(' or ')}`]
    }
    let value: unknown
    try {
      value = JSON.parse(request.body ?? '')
    } catch {
      return ['body: not valid JSON']
    }
    return this.validate(pointerOf(spec.pointer, 'content', type, 'schema'), value, 'body')
  }

  private responseFor(responses: Resolved, status: number): Resolved | undefined {
    for (const key of [String(status), `${Math.floor(status / 100)}XX`, 'default']) {
      const raw = responses.node[key]
      if (raw !== undefined) return this.resolve(raw, pointerOf(responses.pointer, key))
    }
    return undefined
  }

  private componentResponse(
    names: Record<number, string>,
    answer: ContractAnswer
  ): Resolved | undefined {
    const name = answer.status >= 500 ? 'ServerError' : names[answer.status]
    if (name === undefined) return undefined
    const pointer = pointerOf('#/components/responses', name)
    return this.resolve(this.at(pointer), pointer)
  }

  /** Problems of `value` against the schema at `pointer`; `label` names the root. */
  private validate(pointer: string, value: unknown, label: string): string[] {
    const validate = this.validator(pointer)
    if (validate(value)) return []
    return describe(validate.errors ?? [], label, this)
  }

  private validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer)
    if (validate === undefined) {
      validate = this.compiler().getSchema(`hive${pointer}`)
      if (validate === undefined) throw new Error(`the Hive contract has no schema at ${pointer}`)
      this.validators.set(pointer, validate)
    }
    return validate
  }

  /** Every schema the checks use: components, parameters, headers, bodies of every answer. */
  schemaPointers(): string[] {
    const pointers: string[] = []
    const schemas = this.at('#/components/schemas')
    for (const name of Object.keys(isNode(schemas) ? schemas : {})) {
      pointers.push(pointerOf('#/components/schemas', name))
    }
    for (const route of this.routes) {
      for (const p of this.parameters(route)) pointers.push(pointerOf(p.pointer, 'schema'))
      const op = route.node
      if (isNode(op.node.requestBody)) {
        const body = this.resolve(op.node.requestBody, pointerOf(op.pointer, 'requestBody'))
        for (const type of Object.keys(isNode(body.node.content) ? body.node.content : {})) {
          pointers.push(pointerOf(body.pointer, 'content', type, 'schema'))
        }
      }
      const responses = this.resolve(op.node.responses, pointerOf(op.pointer, 'responses'))
      for (const status of Object.keys(responses.node)) {
        const response = this.resolve(responses.node[status], pointerOf(responses.pointer, status))
        for (const [name, raw] of Object.entries(
          isNode(response.node.headers) ? response.node.headers : {}
        )) {
          const header = this.resolve(raw, pointerOf(response.pointer, 'headers', name))
          pointers.push(pointerOf(header.pointer, 'schema'))
        }
        for (const type of Object.keys(
          isNode(response.node.content) ? response.node.content : {}
        )) {
          pointers.push(pointerOf(response.pointer, 'content', type, 'schema'))
        }
      }
    }
    return [...new Set(pointers)]
  }
}

/** `application/json; charset=utf-8` -> `application/json`. */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase()
}

/** A header value as its schema types it: integers are written as decimal digits. */
function headerValue(schema: Node, value: string): unknown {
  if (schema.type === 'integer' || schema.type === 'number') {
    return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value
  }
  return value
}

/** Ajv's errors as `field: rule`, without ever quoting the value. */
function describe(errors: ErrorObject[], label: string, contract: HiveContract): string[] {
  const messages = errors.map(e => {
    const field = fieldName(e.instancePath) || label
    const params = e.params as Record<string, unknown>
    switch (e.keyword) {
      case 'required':
        return `${fieldName(e.instancePath, String(params.missingProperty))}: required`
      case 'additionalProperties':
        return `${fieldName(e.instancePath, String(params.additionalProperty))}: unknown field`
      case 'unevaluatedProperties':
        return `${fieldName(e.instancePath, String(params.unevaluatedProperty))}: unknown field`
      case 'discriminator': {
        const tag = String(params.tag)
        return `${fieldName(e.instancePath, tag)}: must be one of ${tagsOf(e.parentSchema, tag, contract)}`
      }
      case 'enum':
        return `${field}: must be one of ${(params.allowedValues as unknown[]).join(', ')}`
      case 'const':
        return `${field}: must be ${String(params.allowedValue)}`
      case 'pattern':
        return `${field}: must match ${String(params.pattern)}`
      default:
        return `${field}: ${e.message ?? e.keyword}`
    }
  })
  return [...new Set(messages)]
}

/** The values of `tag` that the branches of a discriminated oneOf allow. */
function tagsOf(schema: unknown, tag: string, contract: HiveContract): string {
  const branches = isNode(schema) && Array.isArray(schema.oneOf) ? schema.oneOf : []
  const tags = branches.map(branch => {
    const resolved =
      isNode(branch) && typeof branch.$ref === 'string' ? contract.at(branch.$ref) : branch
    const properties = isNode(resolved) && isNode(resolved.properties) ? resolved.properties : {}
    const property = properties[tag]
    return isNode(property) ? String(property.const ?? property.enum ?? '?') : '?'
  })
  return tags.join(', ')
}

/**
 * What the Hive emulator keeps of the contract: the checks, and every violation seen. The replies
 * it takes and gives are the emulator's own shape (status, JSON body, extra headers).
 */
export interface EmulatorReply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export class ContractMonitor {
  private readonly seen: ContractViolation[] = []

  constructor(private readonly contract: HiveContract = HiveContract.load()) {}

  /** Every violation so far, in order (copies). */
  violations(): ContractViolation[] {
    return structuredClone(this.seen)
  }

  /**
   * Checks a request as it arrived. A request off the contract is recorded; when the contract
   * prescribes the answer (404 for a malformed id, 422 for a bad body or query), that answer is
   * returned for the emulator to give once the caller is authenticated.
   */
  request(request: ContractRequest): EmulatorReply | undefined {
    const check = this.contract.checkRequest(request)
    if (check.problems.length === 0) return undefined
    this.seen.push({
      side: 'request',
      method: request.method.toUpperCase(),
      path: request.path,
      problems: check.problems
    })
    if (check.refusal === undefined) return undefined
    const code = check.refusal.status === 404 ? 'not_found' : 'invalid_request'
    return {
      status: check.refusal.status,
      body: { error: { code, message: check.refusal.message } }
    }
  }

  /**
   * Checks the emulator's own answer (`headers` are the ones `send` adds: rate limits), before any
   * scripted fault or tampering. An answer off the contract is an emulator bug: it is recorded and
   * replaced by a 500 that names the violation, so the test that provoked it fails loudly.
   */
  answer(
    request: { method: string; path: string },
    reply: EmulatorReply,
    headers: Record<string, string>
  ): EmulatorReply {
    const sent: Record<string, string> = { ...headers, ...reply.headers }
    if (reply.body !== undefined) sent['Content-Type'] = 'application/json'
    const problems = this.contract.checkAnswer(request, {
      status: reply.status,
      headers: sent,
      body: reply.body
    })
    if (problems.length === 0) return reply
    const method = request.method.toUpperCase()
    this.seen.push({ side: 'answer', method, path: request.path, status: reply.status, problems })
    const message =
      `hive emulator bug: its ${reply.status} answer to ${method} ${request.path} breaks ` +
      `docs/hive-api.openapi.yaml: ${problems.join('; ')}`
    return { status: 500, body: { error: { code: 'internal', message } } }
  }
}
