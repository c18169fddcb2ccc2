export const id = 786;
export const ids = [786];
export const modules = {

/***/ 3948:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   JC: () => (/* binding */ parseInstallationToken),
/* harmony export */   VM: () => (/* binding */ parseInstallationId),
/* harmony export */   Vz: () => (/* binding */ parseEnvironmentNames),
/* harmony export */   Wf: () => (/* binding */ parseRepositoryIds),
/* harmony export */   ac: () => (/* binding */ GitHubProtocolError),
/* harmony export */   eI: () => (/* binding */ parseSecretNames),
/* harmony export */   ee: () => (/* binding */ parsePublicKey),
/* harmony export */   vF: () => (/* binding */ parseSecretMetadata)
/* harmony export */ });
/* unused harmony export isPublicKey */
/** An answer of GitHub's that breaks its documented format. */
class GitHubProtocolError extends Error {
    name = 'GitHubProtocolError';
}
/** GitHub's key ids are digit strings ('568250167242549743'); this admits a little more. */
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Standard base64 with padding; canonical form is checked after decoding. */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** GitHub's timestamps: `2024-01-10T14:59:22Z`, fractions and offsets tolerated. */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)$/;
/** Secret names: `[A-Za-z0-9_]`, not starting with a digit (GitHub stores them upper-case). */
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
/** Installation tokens (`ghs_…`) go into an Authorization header: a safe charset, bounded. */
const TOKEN = /^[A-Za-z0-9_.-]{16,1024}$/;
/** Names may hold anything printable, but no control or format character (they are printed). */
const PRINTABLE_NAME = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,255}$/u;
function object(data, what) {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        throw new GitHubProtocolError(`${what} is not a JSON object`);
    }
    return data;
}
function list(data, what) {
    if (!Array.isArray(data))
        throw new GitHubProtocolError(`${what} is not a list`);
    return data;
}
/** A 32-byte public key in standard base64 with padding, as GitHub seals with. */
function isPublicKey(key) {
    if (typeof key !== 'string' || !STRICT_BASE64.test(key))
        return false;
    const bytes = Buffer.from(key, 'base64');
    return bytes.length === 32 && bytes.toString('base64') === key;
}
/** `{"key_id", "key"}` of a public-key endpoint. */
function parsePublicKey(data) {
    const { key_id: keyId, key } = object(data, 'the answer');
    if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) {
        throw new GitHubProtocolError('key_id is not 1-64 letters, digits, "-" or "_"');
    }
    if (!isPublicKey(key)) {
        throw new GitHubProtocolError('key is not 32 bytes in standard base64 with padding');
    }
    return { keyId, key };
}
function timestamp(value, field) {
    if (typeof value !== 'string' || !ISO_TIME.test(value) || !Number.isFinite(Date.parse(value))) {
        throw new GitHubProtocolError(`${field} is not an ISO-8601 timestamp`);
    }
    return value;
}
/** `GET …/secrets/{name}`: the secret's metadata (never its value). */
function parseSecretMetadata(data, secretName, org) {
    const body = object(data, 'the answer');
    const { name } = body;
    if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
        throw new GitHubProtocolError('name is not a secret name');
    }
    if (name.toUpperCase() !== secretName.toUpperCase()) {
        throw new GitHubProtocolError(`name is not ${secretName}, the secret asked for`);
    }
    const metadata = {
        name,
        createdAt: timestamp(body.created_at, 'created_at'),
        updatedAt: timestamp(body.updated_at, 'updated_at')
    };
    if (org) {
        const { visibility } = body;
        if (visibility !== 'all' && visibility !== 'private' && visibility !== 'selected') {
            throw new GitHubProtocolError('visibility is not all, private or selected');
        }
        metadata.visibility = visibility;
    }
    return metadata;
}
/** One page of `…/secrets/{name}/repositories`: positive integer ids. */
function parseRepositoryIds(data) {
    return list(data, 'the page of repositories').map(repo => {
        const { id } = object(repo, 'a repository');
        if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
            throw new GitHubProtocolError('a repository id is not a positive integer');
        }
        return id;
    });
}
/** One page of a secrets collection (`GET …/secrets`): the names only. */
function parseSecretNames(data) {
    return list(data, 'the page of secrets').map(secret => {
        const { name } = object(secret, 'a secret');
        if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
            throw new GitHubProtocolError('a secret name is not [A-Za-z0-9_], 1-255 characters');
        }
        return name;
    });
}
/** One page of `GET /repos/{owner}/{repo}/environments`. */
function parseEnvironmentNames(data) {
    return list(data, 'the page of environments').map(environment => {
        const { name } = object(environment, 'an environment');
        if (typeof name !== 'string' || !PRINTABLE_NAME.test(name) || name === '.' || name === '..') {
            throw new GitHubProtocolError('an environment name is not 1-255 printable characters');
        }
        return name;
    });
}
/** `GET …/installation`: the installation's id. */
function parseInstallationId(data) {
    const { id } = object(data, 'the answer');
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
        throw new GitHubProtocolError('the installation id is not a positive integer');
    }
    return id;
}
/** A minted installation token. */
function parseInstallationToken(token) {
    if (typeof token !== 'string' || !TOKEN.test(token)) {
        throw new GitHubProtocolError('the installation token is not 16-1024 letters, digits, ".", "-" or "_"');
    }
    return token;
}


/***/ }),

/***/ 6702:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   HS: () => (/* binding */ createAppClient),
/* harmony export */   LX: () => (/* binding */ createGitHubClient),
/* harmony export */   Sf: () => (/* binding */ MAX_RATE_LIMIT_WAIT_SECONDS),
/* harmony export */   sA: () => (/* binding */ guardRefusal)
/* harmony export */ });
/* unused harmony exports WRITE_SPACING_MS, writeSpacingFor, promptBottleneckYields, MAX_BODY_BYTES, GitHubGuardError, guardedFetch */
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1351);
/* harmony import */ var _actions_github_lib_utils__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(846);
/* harmony import */ var _octokit_plugin_retry__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(9735);
/* harmony import */ var _octokit_plugin_throttling__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(6856);
/* harmony import */ var bottleneck_light_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(3251);
/* harmony import */ var bottleneck_light_js__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(bottleneck_light_js__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var undici__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(6752);
/* harmony import */ var _body_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(8255);
/* harmony import */ var _http_agent_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(6117);
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(8992);
/* harmony import */ var _cancel_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(833);




// @ts-expect-error: bottleneck ships types for its full build only; the light build (the one the
// throttling plugin itself uses, so the bundle holds one copy) has the same Group API.






/** GitHub's guidance: writes one at a time, at least a second apart. */
const WRITE_SPACING_MS = 1000;
/**
 * Test hook: HIVE_ROTATE_KEY_WRITE_SPACING_MS sets the write spacing of the bundled action, so
 * that the end-to-end tests (which run dist/index.js against loopback emulators) don't wait a
 * second per write. It is honoured only when GITHUB_API_URL's host is loopback (an emulator): a
 * real GitHub, or anything else, always gets GitHub's one second.
 */
function writeSpacingFor(baseUrl, env) {
    return (0,_http_agent_js__WEBPACK_IMPORTED_MODULE_4__.loopbackTestHookMs)('HIVE_ROTATE_KEY_WRITE_SPACING_MS', baseUrl, env) ?? WRITE_SPACING_MS;
}
const Bottleneck = (bottleneck_light_js__WEBPACK_IMPORTED_MODULE_2___default());
/**
 * Bottleneck (both Octokit plugins queue every request through it: throttling's groups, and a
 * limiter retry makes per request) yields to the event loop with `setTimeout(resolve, 0)` at
 * each step of a job, about twelve times a read, and Node makes every such timer at least 1 ms:
 * a GitHub request sat idle on them for several ms, a zero-latency rotation for about 40 ms
 * (docs/performance.md). Here a zero-length yield is `setImmediate`: everything else on the event
 * loop still runs first, without the timer's floor. A yield of some length stays a timer, and
 * every wait Bottleneck computes (the write spacing, a job's start) is its own, unchanged.
 *
 * The yield is a method of Bottleneck's in-process datastore, a class it does not export: it is
 * reached through a limiter's store, once per process. Bottleneck's last release (2.19.5, 2019)
 * is the one pinned; test/unit/limiter.test.ts fails if the yield is not replaced.
 */
function promptBottleneckYields() {
    const store = Object.getPrototypeOf(new Bottleneck()._store);
    if (store.promptYields)
        return true;
    const timerYield = store.yieldLoop;
    if (typeof timerYield !== 'function')
        return false;
    store.yieldLoop = function (ms = 0) {
        if (ms > 0)
            return timerYield.call(this, ms);
        return new this.Promise(resolve => setImmediate(resolve));
    };
    store.promptYields = true;
    return true;
}
promptBottleneckYields();
/**
 * The throttling plugin's write group, built here so that its spacing (`minTime`, fixed at 1 s
 * inside the plugin) can be set: one group per spacing, shared by every client of the process as
 * the plugin's own is, so all writes of a run queue one behind the other whichever client (each
 * App installation has its own) sends them.
 */
const writeGroups = new Map();
function writeGroup(spacingMs) {
    let group = writeGroups.get(spacingMs);
    if (group === undefined) {
        group = new Bottleneck.Group({
            id: `octokit-write-${spacingMs}`,
            maxConcurrent: 1,
            minTime: spacingMs,
            timeout: 2 * 60 * 1000 // the plugin's own: how long an idle key's limiter is kept
        });
        writeGroups.set(spacingMs, group);
    }
    return group;
}
const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * GitHub's own advice for a secondary limit without retry-after is to wait a minute. A longer
 * wait (a primary limit an hour from reset, a retry-after of a day) is not waited out: the run
 * fails safe and says so, instead of holding a half-done rotation open for hours.
 */
const MAX_RATE_LIMIT_WAIT_SECONDS = 60;
/** Every answer this action reads is small; a secret listing of 100 names is ~10 KB. */
const MAX_BODY_BYTES = 1024 * 1024;
/**
 * A request the guard refused to send (another origin), or an answer it refused to read (too
 * large). Never retried: the same request would be refused the same way.
 */
class GitHubGuardError extends Error {
    sent;
    name = 'GitHubGuardError';
    constructor(message, 
    /** False when nothing was sent; true when GitHub answered and the answer was refused. */
    sent) {
        super(message);
        this.sent = sent;
    }
}
/**
 * The fetch under every request: undici's, through the process's one proxy-aware dispatcher
 * (http/agent.ts: HTTPS_PROXY, HTTP_PROXY, NO_PROXY), the same as Hive's, with four rules added, so that they hold for every request Octokit makes, pages and App token
 * minting included:
 *
 * - only the origin of GITHUB_API_URL: any other URL (a `Link: rel="next"` that paginate would
 *   follow, say) is refused before a byte is sent, so the token never leaves that origin;
 * - each attempt gets a deadline, body included, so an API that never answers (or answers
 *   forever) fails the run instead of hanging it;
 * - a redirect is never followed: a secret PUT that lands elsewhere must not count as a write,
 *   and Octokit would take the 2xx of wherever it was sent;
 * - the body is read here, streamed, and refused past `maxBodyBytes`, so a huge or endless answer
 *   costs at most that much memory.
 */
function guardedFetch(options) {
    const base = options.fetch ?? _http_agent_js__WEBPACK_IMPORTED_MODULE_4__.fetch;
    const origin = new URL(options.baseUrl).origin;
    const { timeoutMs, maxBodyBytes } = options;
    const masked = new Set();
    const mask = (value) => {
        if (masked.has(value))
            return;
        masked.add(value);
        options.mask?.(value);
    };
    return async (input, init) => {
        // Octokit passes a string; a Request is read by its url (duck-typed: the global Request class is
        // Node's own copy of undici, which this action does not load).
        const url = typeof input === 'object' && 'url' in input ? input.url : String(input);
        let target;
        try {
            target = new URL(url).origin;
        }
        catch {
            target = '(not a URL)';
        }
        if (target !== origin) {
            throw new GitHubGuardError(`refused to send a request to ${(0,_text_js__WEBPACK_IMPORTED_MODULE_6__/* .sanitize */ .aj)(target, [], 100)}: only ${origin} ` +
                '(GITHUB_API_URL) gets the token, and a link or page elsewhere is not followed', false);
        }
        // After a stop nothing new is sent (the error is not retried: noRetryOfGuardRefusals).
        options.cancellation?.throwIfStopped();
        maskBearerJwt(init?.headers, mask);
        const deadline = AbortSignal.timeout(timeoutMs);
        const signals = [deadline, ...(init?.signal ? [init.signal] : [])];
        if (options.cancellation)
            signals.push(options.cancellation.signal());
        const signal = AbortSignal.any(signals);
        const timedOut = (error) => new Error(`GitHub timed out: no answer within ${timeoutMs} ms`, { cause: error });
        let response;
        try {
            response = await base(input, { ...init, redirect: 'manual', signal });
        }
        catch (error) {
            if (deadline.aborted)
                throw timedOut(error);
            throw error;
        }
        if (response.status >= 300 && response.status < 400 && response.status !== 304) {
            await response.body?.cancel().catch(() => undefined);
            throw new Error(`GitHub answered a redirect (${response.status}), which is not followed: check the ` +
                'destination’s name (a renamed repository or organization redirects)');
        }
        let body;
        try {
            body = await (0,_body_js__WEBPACK_IMPORTED_MODULE_7__/* .readCapped */ .E)(response, maxBodyBytes, signal);
        }
        catch (error) {
            if (deadline.aborted)
                throw timedOut(error);
            throw error;
        }
        if (body === undefined) {
            throw new GitHubGuardError(`GitHub's answer (${response.status}) is larger than ${maxBodyBytes} bytes; it was not read`, true);
        }
        // A Response of the bytes read; its status, headers and URL are GitHub's.
        const bodyless = [101, 103, 204, 205, 304].includes(response.status);
        const copy = new undici__WEBPACK_IMPORTED_MODULE_3__.Response(bodyless ? null : body, {
            status: response.status,
            statusText: response.statusText,
            headers: response.headers
        });
        Object.defineProperty(copy, 'url', { value: response.url || url });
        return copy;
    };
}
/** How many times a request is sent again after GitHub's primary or secondary rate limit. */
const RATE_LIMIT_RETRIES = 3;
/**
 * What every client shares: the two plugins that carry GitHub's own guidance. Throttling
 * (@octokit/plugin-throttling 11) queues every non-GET request in one process-wide group keyed by
 * the throttle id, one at a time and at least 1 s after the previous one started; reads go through
 * a group of at most 10 at once; a 403/429 whose message says "secondary rate" waits out
 * `retry-after` (else 60 s), and one with `x-ratelimit-remaining: 0` waits until
 * `x-ratelimit-reset`, but only up to `maxRateLimitWaitSeconds`: a longer wait is refused, and
 * the request fails as rate-limited. Retry (plugin-retry 8) resends 5xx and network failures.
 * 429 is in retry's doNotRetry, so a rate limit is waited out once, for as long as GitHub asks,
 * not on retry's own schedule ((n+1)² s, ignoring Retry-After).
 */
function pluginOptions(options) {
    const cap = options.maxRateLimitWaitSeconds ?? MAX_RATE_LIMIT_WAIT_SECONDS;
    const waitUnit = options.retryAfterBaseValue ?? 1000;
    const onLimit = (what) => async (retryAfter, request, _o, count) => {
        const where = `GitHub ${what} on ${request.method} ${(0,_text_js__WEBPACK_IMPORTED_MODULE_6__/* .sanitize */ .aj)(request.url, [], 150)}`;
        if (!(retryAfter <= cap)) {
            options.warn(`${where}: GitHub asks to wait ${retryAfter} s, longer than the ${cap} s this action ` +
                'waits; giving up (nothing more is sent for this request)');
            return false;
        }
        const again = count < RATE_LIMIT_RETRIES && !options.cancellation?.requested;
        options.warn(`${where}: ` + (again ? `waiting ${retryAfter} s, then trying again` : 'giving up'));
        if (!again)
            return false;
        // The wait is ours, not the plugin's (its retryAfterBaseValue is 0), so a stop ends it:
        // the request then fails as rate-limited, and the run stops.
        try {
            await (options.cancellation ?? (0,_cancel_js__WEBPACK_IMPORTED_MODULE_5__/* .neverCancelled */ .YX)()).sleep(retryAfter * waitUnit);
            return true;
        }
        catch {
            return false;
        }
    };
    const base = options.retryAfterBaseValue !== undefined
        ? { retryAfterBaseValue: options.retryAfterBaseValue }
        : {};
    return {
        baseUrl: options.baseUrl,
        userAgent: 'hive-rotate-key',
        request: {
            fetch: guardedFetch({
                baseUrl: options.baseUrl,
                timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
                maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
                mask: options.mask,
                cancellation: options.cancellation
            })
        },
        log: { debug: options.debug, info: options.debug, warn: options.warn, error: options.debug },
        throttle: {
            write: writeGroup(options.writeSpacingMs ?? writeSpacingFor(options.baseUrl, process.env)),
            onRateLimit: onLimit('rate limit'),
            onSecondaryRateLimit: onLimit('secondary rate limit'),
            retryAfterBaseValue: 0
        },
        retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451], retries: 3, ...base }
    };
}
/**
 * Registered before the retry plugin, so it sees a failure first: a request the guard refused, or
 * one stopped by a cancellation, is not sent again (Octokit reports every fetch failure as a 500,
 * which retry would resend).
 */
function noRetryOfGuardRefusals(octokit) {
    octokit.hook.error('request', (error, options) => {
        const request = options.request;
        const cause = error.cause;
        if (request && (cause instanceof GitHubGuardError || cause instanceof _cancel_js__WEBPACK_IMPORTED_MODULE_5__/* .CancelledError */ .cc)) {
            request.retries = 0;
        }
        throw error;
    });
    return {};
}
/** The GitHub guard's refusal behind an Octokit error, if that is what it is. */
function guardRefusal(error) {
    if (error instanceof GitHubGuardError)
        return error;
    const cause = error?.cause;
    return cause instanceof GitHubGuardError ? cause : undefined;
}
/** A client that authenticates with a token: a PAT, or an installation token minted here. */
function createGitHubClient(options) {
    return withApiVersion((0,_actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q)(options.token, pluginOptions(options), noRetryOfGuardRefusals, _octokit_plugin_retry__WEBPACK_IMPORTED_MODULE_8__/* .retry */ .L, _octokit_plugin_throttling__WEBPACK_IMPORTED_MODULE_9__/* .throttling */ .A));
}
/** Every request names the REST API version this code was written against. */
function withApiVersion(client) {
    client.hook.before('request', request => {
        request.headers['x-github-api-version'] = '2022-11-28';
    });
    return client;
}
/**
 * The GitHub App's own client: @octokit/auth-app signs a JWT for the app's endpoints (finding an
 * installation) and mints installation tokens on `auth({ type: 'installation' })`. It is never
 * used for a secret: see auth.ts.
 */
function createAppClient(options) {
    const App = _actions_github_lib_utils__WEBPACK_IMPORTED_MODULE_1__/* .GitHub */ .gq.plugin(noRetryOfGuardRefusals, _octokit_plugin_retry__WEBPACK_IMPORTED_MODULE_8__/* .retry */ .L, _octokit_plugin_throttling__WEBPACK_IMPORTED_MODULE_9__/* .throttling */ .A);
    return withApiVersion(new App({
        ...pluginOptions(options),
        authStrategy: options.authStrategy,
        auth: { appId: options.appId, privateKey: options.privateKey }
    }));
}
/** A JWT sent as `Authorization: bearer <jwt>` is a credential: it goes to the mask first. */
function maskBearerJwt(headers, mask) {
    if (headers === undefined)
        return;
    const authorization = new undici__WEBPACK_IMPORTED_MODULE_3__.Headers(headers).get('authorization') ?? '';
    const jwt = /^bearer\s+([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(authorization.trim())?.[1];
    if (jwt !== undefined)
        mask(jwt);
}


/***/ }),

/***/ 5262:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   PA: () => (/* binding */ asDestinationError),
/* harmony export */   aR: () => (/* binding */ UnconfirmedWrite),
/* harmony export */   lt: () => (/* binding */ DestinationError)
/* harmony export */ });
/** A destination that could not be read or written. */
class DestinationError extends Error {
    definite;
    status;
    /** True for an UnconfirmedWrite: GitHub accepted the write, but does not show it. */
    unconfirmed = false;
    constructor(message, 
    /** True when GitHub definitely did not store anything (a 4xx answer). */
    definite, status) {
        super(message);
        this.definite = definite;
        this.status = status;
        this.name = 'DestinationError';
    }
}
/**
 * GitHub accepted the write (201/204) but reading the secret back does not show it: it may still
 * land, so it is not definite, and the destination does not count as holding the new key.
 */
class UnconfirmedWrite extends DestinationError {
    unconfirmed = true;
    constructor(message, status) {
        super(message, false, status);
        this.name = 'UnconfirmedWrite';
    }
}
/** Any error of a destination's read or write as a DestinationError (not definite: unknown). */
function asDestinationError(error) {
    return error instanceof DestinationError
        ? error
        : new DestinationError(error instanceof Error ? error.message : String(error), false);
}


/***/ })

};
