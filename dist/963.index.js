export const id = 963;
export const ids = [963];
export const modules = {

/***/ 6963:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   HiveClient: () => (/* binding */ HiveClient),
/* harmony export */   MAX_PAGES: () => (/* binding */ MAX_PAGES)
/* harmony export */ });
/* harmony import */ var _http_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7480);
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8992);
/* harmony import */ var _parse_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1257);



/**
 * A guard against a server that hands out fresh cursors forever: 100 pages of 100 keys is 10 000
 * active keys, far more than an organisation keeps.
 */
const MAX_PAGES = 100;
/** Propagation retries: 1 s, 2 s, 4 s, 8 s, then every 10 s until the deadline. */
const PROPAGATION_FIRST_DELAY_MS = 1_000;
const PROPAGATION_MAX_DELAY_MS = 10_000;
class HiveClient {
    http;
    sleep;
    now;
    mask;
    constructor(http, options = {}) {
        this.http = http;
        this.sleep = options.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms)));
        this.now = options.now ?? Date.now;
        this.mask = options.mask ?? (() => { });
    }
    /** GET /api-keys/current: the id, permission, scope and expiry of the key that calls. */
    async current(apiKey, doing = 'reading the current key') {
        const response = await this.http
            .request({ method: 'GET', path: '/api-keys/current', apiKey, doing })
            .catch(noKeyApi('/api-keys/current', this.http.baseUrl));
        return checked(response, doing, _parse_js__WEBPACK_IMPORTED_MODULE_1__/* .parseKey */ .Do);
    }
    /** GET /api-keys/{id}; null when Hive answers 404 (unknown or revoked). */
    async get(apiKey, id) {
        const doing = `reading key ${label(id)}`;
        const response = await this.http.request({
            method: 'GET',
            path: keyPath(id),
            apiKey,
            doing,
            expect: [404]
        });
        return response.status === 404 ? null : checked(response, doing, _parse_js__WEBPACK_IMPORTED_MODULE_1__/* .parseKey */ .Do);
    }
    /**
     * GET /api-keys, every page: the active keys. Stops with a protocol error on a cursor seen
     * before (a loop), a key listed twice, or more than MAX_PAGES pages.
     */
    async list(adminKey, options = {}) {
        const keys = [];
        const ids = new Set();
        const cursors = new Set();
        let cursor = null;
        for (let page = 1; page <= MAX_PAGES; page++) {
            const doing = `listing keys (page ${page})`;
            const path = cursor === null ? '/api-keys' : `/api-keys?cursor=${encodeURIComponent(cursor)}`;
            const response = await this.http
                .request({ method: 'GET', path, apiKey: adminKey, doing })
                .catch(noKeyApi('/api-keys', this.http.baseUrl));
            const { items, nextCursor } = checked(response, doing, _parse_js__WEBPACK_IMPORTED_MODULE_1__/* .parsePage */ .NL);
            const first = keys.length;
            for (const [i, item] of items.entries()) {
                const long = options.onLongName ? longName(item) : undefined;
                const body = long === undefined ? item : { ...item, name: long.cut };
                const key = checked({ ...response, body }, doing, _parse_js__WEBPACK_IMPORTED_MODULE_1__/* .parseKey */ .Do, `key ${i + 1} of the page: `);
                if (long !== undefined)
                    options.onLongName?.(key.id, long.length);
                if (ids.has(key.id))
                    throw invalid(response, doing, `it lists key ${key.id} twice`);
                ids.add(key.id);
                keys.push(key);
            }
            options.onPage?.(keys.slice(first));
            if (nextCursor === null)
                return keys;
            if (cursors.has(nextCursor)) {
                throw invalid(response, doing, 'it handed out a page cursor it had given before (a loop)');
            }
            cursors.add(nextCursor);
            cursor = nextCursor;
        }
        throw new _http_js__WEBPACK_IMPORTED_MODULE_0__.HiveHttpError(`Hive kept answering with more pages while listing keys; stopped after ${MAX_PAGES} pages ` +
            `(${MAX_PAGES * 100} keys), a protocol error: nothing was changed.`, { kind: 'invalid-response', doing: 'listing keys' });
    }
    /**
     * POST /api-keys (201). Never retried on 5xx or timeout: the key may exist already, and a second
     * one would be a leftover. The answer is the only place a key value appears.
     */
    async create(adminKey, request) {
        const doing = 'creating the new key';
        const response = await this.http.request({
            method: 'POST',
            path: '/api-keys',
            apiKey: adminKey,
            body: request,
            doing
        });
        const body = response.body;
        // Masked before any check can throw, so no message built from here on can show it.
        if ((0,_parse_js__WEBPACK_IMPORTED_MODULE_1__/* .isObject */ .Gv)(body) && typeof body.key === 'string' && body.key !== '')
            this.mask(body.key);
        // If Hive created a key but answered oddly, the id is what lets someone find and revoke it.
        const id = (0,_parse_js__WEBPACK_IMPORTED_MODULE_1__/* .isObject */ .Gv)(body) && (0,_parse_js__WEBPACK_IMPORTED_MODULE_1__/* .isKeyId */ .rZ)(body.id) ? body.id : undefined;
        const created = id ? ` Hive may have created key ${id}.` : '';
        return checked(response, doing, _parse_js__WEBPACK_IMPORTED_MODULE_1__/* .parseNewKey */ .$1, '', created);
    }
    /** PATCH /api-keys/{id}: change name, permission, scope or expiry (the grace period). */
    async update(adminKey, id, patch) {
        const doing = `updating key ${label(id)}`;
        const response = await this.http.request({
            method: 'PATCH',
            path: keyPath(id),
            apiKey: adminKey,
            body: patch,
            doing
        });
        return checked(response, doing, _parse_js__WEBPACK_IMPORTED_MODULE_1__/* .parseKey */ .Do);
    }
    /** DELETE /api-keys/{id}. Idempotent: a 404 means it is already revoked or unknown. */
    async revoke(apiKey, id) {
        const response = await this.http.request({
            method: 'DELETE',
            path: keyPath(id),
            apiKey,
            doing: `revoking key ${label(id)}`,
            expect: [404],
            expectJson: false
        });
        return response.status === 404 ? 'already-gone' : 'revoked';
    }
    /** GET /api-keys/{id}/usage; null when Hive has no usage data (404). */
    async usage(adminKey, id) {
        const doing = `reading the usage of key ${label(id)}`;
        const response = await this.http.request({
            method: 'GET',
            path: `${keyPath(id)}/usage`,
            apiKey: adminKey,
            doing,
            expect: [404]
        });
        if (response.status === 404)
            return null;
        return checked(response, doing, _parse_js__WEBPACK_IMPORTED_MODULE_1__/* .parseUsage */ .Zb);
    }
    /**
     * One GET of the verify path. Returns the status when it is 2xx, 401 or 403; any other answer
     * throws (after HiveHttp's retries). The body is not read: any 2xx counts.
     */
    async probe(apiKey, path) {
        const response = await this.http.request({
            method: 'GET',
            path,
            apiKey,
            doing: `testing a key with GET ${(0,_text_js__WEBPACK_IMPORTED_MODULE_2__/* .sanitize */ .aj)(path)}`,
            expect: [401, 403],
            expectJson: false
        });
        return response.status;
    }
    /**
     * Probe a new key until Hive accepts it. A fresh key may answer 401 for a few seconds while its
     * creation propagates, so 401 is retried with backoff until `timeoutMs` has passed. 403 ends the
     * wait at once: the key exists but lacks the permission or scope, which waiting won't change.
     */
    async waitUntilAccepted(apiKey, path, timeoutMs) {
        const start = this.now();
        let delay = PROPAGATION_FIRST_DELAY_MS;
        for (let attempts = 1;; attempts++) {
            const status = await this.probe(apiKey, path);
            const elapsedMs = this.now() - start;
            if (status !== 401 || elapsedMs >= timeoutMs) {
                return { accepted: status >= 200 && status < 300, status, attempts, elapsedMs };
            }
            // Never sleep past the deadline: the last probe happens at it.
            await this.sleep(Math.min(delay, timeoutMs - elapsedMs));
            delay = Math.min(delay * 2, PROPAGATION_MAX_DELAY_MS);
        }
    }
    /** How many requests this client has sent with the key (retries included). */
    sentWith(apiKey) {
        return this.http.sentWith(apiKey);
    }
    /** After a revocation: does the key answer 401 now? (Hive revokes immediately.) */
    async confirmRevoked(apiKey, path) {
        return (await this.probe(apiKey, path)) === 401;
    }
}
/**
 * A 404 where the key API must be: this deployment does not serve the API the action uses (or
 * hive-url points elsewhere). Said as such, not as "an unknown key id".
 */
function noKeyApi(path, baseUrl) {
    return (error) => {
        if (error instanceof _http_js__WEBPACK_IMPORTED_MODULE_0__.HiveHttpError && error.status === 404) {
            throw new _http_js__WEBPACK_IMPORTED_MODULE_0__.HiveHttpError(`Hive answered 404 to GET ${path}: the deployment at hive-url (${baseUrl}) does not ` +
                'serve the key API this action uses (GET /api-keys/current, GET /api-keys, POST ' +
                '/api-keys, DELETE /api-keys/{id}; see docs/hive-api.openapi.yaml), or hive-url ' +
                'points at something else. Nothing was changed.', {
                kind: 'status',
                doing: error.doing,
                status: 404,
                code: error.code,
                attempts: error.attempts
            });
        }
        throw error;
    };
}
/** The name of a listed key, cut to the contract's length, when it is longer. */
function longName(item) {
    if (!(0,_parse_js__WEBPACK_IMPORTED_MODULE_1__/* .isObject */ .Gv)(item) || typeof item.name !== 'string')
        return undefined;
    const { name } = item;
    return name.length > _parse_js__WEBPACK_IMPORTED_MODULE_1__/* .MAX_NAME_LENGTH */ .EM
        ? { cut: name.slice(0, _parse_js__WEBPACK_IMPORTED_MODULE_1__/* .MAX_NAME_LENGTH */ .EM), length: name.length }
        : undefined;
}
function keyPath(id) {
    // encodeURIComponent leaves '.' alone: an id of '..' is refused by HiveHttp's path check.
    return `/api-keys/${encodeURIComponent(id)}`;
}
/** An id for a message: ids are not secret, but they may come from outside. */
function label(id) {
    return (0,_text_js__WEBPACK_IMPORTED_MODULE_2__/* .sanitize */ .aj)(String(id), [], 80);
}
function invalid(response, doing, problem, extra = '') {
    // Never the body: it may be the answer to POST /api-keys, which holds a key value.
    return new _http_js__WEBPACK_IMPORTED_MODULE_0__.HiveHttpError(`Hive answered ${response.status} while ${doing}, but its answer is not what the Hive API ` +
        `contract describes: ${problem}.${extra}`, { kind: 'invalid-response', doing, status: response.status });
}
/** Parses an answer's body; a contract violation becomes a protocol error that names the field. */
function checked(response, doing, parse, where = '', extra = '') {
    try {
        return parse(response.body);
    }
    catch (error) {
        if (!(error instanceof _parse_js__WEBPACK_IMPORTED_MODULE_1__/* .ContractViolation */ .a9))
            throw error;
        throw invalid(response, doing, where + error.problem, extra);
    }
}


/***/ }),

/***/ 1257:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $1: () => (/* binding */ parseNewKey),
/* harmony export */   Do: () => (/* binding */ parseKey),
/* harmony export */   EM: () => (/* binding */ MAX_NAME_LENGTH),
/* harmony export */   Gv: () => (/* binding */ isObject),
/* harmony export */   NL: () => (/* binding */ parsePage),
/* harmony export */   Zb: () => (/* binding */ parseUsage),
/* harmony export */   a9: () => (/* binding */ ContractViolation),
/* harmony export */   rZ: () => (/* binding */ isKeyId)
/* harmony export */ });
/* unused harmony exports ID_PATTERN, PREFIX_PATTERN, MAX_KEY_LENGTH, MAX_PAGE_ITEMS, CURSOR_PATTERN, isIsoUtc, isKeyValue */
/* harmony import */ var _http_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7480);
/* harmony import */ var _types_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1079);
/**
 * The formats of shared/design/hive-api.md, checked on every answer before anything reads it.
 *
 * Hive's fields travel far: into log lines, the job summary, outputs, the names of new keys and the
 * paths of later requests. A field outside its format is a protocol error, and the answer is refused
 * whole. A problem names the field and what is wrong with it, never the value: the value may hold a
 * workflow command, markup, or a key.
 */


/** Key ids and scope ids: 1-64 characters of [A-Za-z0-9_-]. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** A prefix: 1-16 characters of [A-Za-z0-9_-], the first characters of the value. */
const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;
const MAX_KEY_LENGTH = 4096;
const MAX_NAME_LENGTH = 200;
/** A list page holds at most this many keys. */
const MAX_PAGE_ITEMS = 100;
/** next_cursor is opaque, but it goes into a URL and may be quoted: bounded, and a safe charset. */
const CURSOR_PATTERN = /^[A-Za-z0-9._~+/=-]{1,512}$/;
/** More engagement or campaign ids than any real scope has: a bound, not a rule of the contract. */
const MAX_SCOPE_IDS = 1000;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
/** An answer that breaks the contract; `problem` is safe to print (it never quotes a value). */
class ContractViolation extends Error {
    problem;
    constructor(problem) {
        super(problem);
        this.problem = problem;
        this.name = 'ContractViolation';
    }
}
function violation(problem) {
    throw new ContractViolation(problem);
}
function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
/**
 * ISO-8601 UTC (`2026-11-28T11:00:00Z`, optionally with fractions), and a real date: no offsets,
 * no February 30 (which Date.parse would quietly turn into March 2).
 */
function isIsoUtc(value) {
    if (typeof value !== 'string' || !ISO_UTC.test(value))
        return false;
    const ms = Date.parse(value);
    return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === value.slice(0, 19);
}
function isKeyId(value) {
    return typeof value === 'string' && ID_PATTERN.test(value);
}
/** A key value a client could send: visible ASCII, no whitespace, bounded. */
function isKeyValue(value) {
    return typeof value === 'string' && value.length <= MAX_KEY_LENGTH && _http_js__WEBPACK_IMPORTED_MODULE_0__.KEY_PATTERN.test(value);
}
function timestamp(body, field) {
    if (!isIsoUtc(body[field]))
        violation(`"${field}" is not an ISO-8601 UTC timestamp`);
    return body[field];
}
/** A timestamp or null; a field left out counts as null. */
function timestampOrNull(body, field) {
    const value = body[field] ?? null;
    if (value !== null && !isIsoUtc(value)) {
        violation(`"${field}" is neither an ISO-8601 UTC timestamp nor null`);
    }
    return value;
}
function scopeIds(value, field) {
    if (!Array.isArray(value) || value.length === 0) {
        violation(`"scope.${field}" is not a list of at least one id`);
    }
    if (value.length > MAX_SCOPE_IDS)
        violation(`"scope.${field}" has over ${MAX_SCOPE_IDS} ids`);
    if (!value.every(isKeyId)) {
        violation(`an id in "scope.${field}" is not 1-64 characters of A-Z, a-z, 0-9, _ and -`);
    }
    return [...value];
}
function parseScope(value) {
    if (!isObject(value))
        violation('"scope" is not an object');
    if (value.type === 'all')
        return { type: 'all' };
    if (value.type === 'engagements') {
        return { type: 'engagements', engagement_ids: scopeIds(value.engagement_ids, 'engagement_ids') };
    }
    if (value.type === 'campaigns') {
        return { type: 'campaigns', campaign_ids: scopeIds(value.campaign_ids, 'campaign_ids') };
    }
    return violation('"scope" is not one it knows (all, engagements or campaigns)');
}
/**
 * A key object, checked field by field and copied: nothing Hive adds (a stray `key`, say) is
 * copied, so it travels no further than this file.
 */
function parseKey(body) {
    if (!isObject(body))
        violation('it is not a key object');
    const { id, name, prefix, permission } = body;
    if (typeof id !== 'string' || !id)
        violation('"id" is missing or empty');
    if (!ID_PATTERN.test(id))
        violation('"id" is not 1-64 characters of A-Z, a-z, 0-9, _ and -');
    if (typeof name !== 'string')
        violation('"name" is missing');
    if (name.length > MAX_NAME_LENGTH)
        violation(`"name" is longer than ${MAX_NAME_LENGTH} characters`);
    if (typeof prefix !== 'string' || !prefix)
        violation('"prefix" is missing or empty');
    if (!PREFIX_PATTERN.test(prefix)) {
        violation('"prefix" is not 1-16 characters of A-Z, a-z, 0-9, _ and -');
    }
    if (!_types_js__WEBPACK_IMPORTED_MODULE_1__/* .PERMISSIONS */ .J.includes(permission))
        violation('"permission" is not one it knows');
    const scope = parseScope(body.scope);
    return {
        id,
        name,
        prefix,
        permission: permission,
        scope,
        created_at: timestamp(body, 'created_at'),
        expires_at: timestampOrNull(body, 'expires_at'),
        last_used_at: timestampOrNull(body, 'last_used_at'),
        revoked_at: timestampOrNull(body, 'revoked_at')
    };
}
/** The answer to POST /api-keys: a key object plus its value, whose prefix is really a prefix. */
function parseNewKey(body) {
    const key = parseKey(body);
    const value = body.key;
    // Described, never quoted.
    if (typeof value !== 'string' || value === '')
        violation('its "key" is missing or empty');
    if (!isKeyValue(value)) {
        violation(`its "key" is not visible ASCII without spaces, up to ${MAX_KEY_LENGTH} characters ` +
            '(a key must be usable as a header)');
    }
    if (key.prefix.length >= value.length) {
        violation('its "prefix" is as long as the key itself (a prefix must be shorter)');
    }
    if (!value.startsWith(key.prefix))
        violation('its "prefix" is not the start of its "key"');
    return { ...key, key: value };
}
/** One page of GET /api-keys. */
function parsePage(body) {
    if (!isObject(body) || !Array.isArray(body.items))
        violation('it has no "items" list');
    if (body.items.length > MAX_PAGE_ITEMS) {
        violation(`its page holds ${body.items.length} keys, more than ${MAX_PAGE_ITEMS}`);
    }
    const next = body.next_cursor;
    if (next !== null && (typeof next !== 'string' || !CURSOR_PATTERN.test(next))) {
        violation('"next_cursor" is neither null nor 1-512 characters of A-Z, a-z, 0-9 and ._~+/=-');
    }
    return { items: body.items, nextCursor: next };
}
function count(body, field) {
    const value = body[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
        violation(`"${field}" is not a whole number of 0 or more`);
    }
    return value;
}
/** GET /api-keys/{id}/usage. */
function parseUsage(body) {
    if (!isObject(body))
        violation('it is not a usage object');
    return {
        requests_24h: count(body, 'requests_24h'),
        errors_24h: count(body, 'errors_24h'),
        last_used_at: timestampOrNull(body, 'last_used_at')
    };
}


/***/ })

};
