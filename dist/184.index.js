export const id = 184;
export const ids = [184];
export const modules = {

/***/ 4184:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Limiter: () => (/* binding */ Limiter),
/* harmony export */   USAGE_READS_AT_ONCE: () => (/* binding */ USAGE_READS_AT_ONCE),
/* harmony export */   atMost: () => (/* binding */ atMost),
/* harmony export */   auditKeys: () => (/* binding */ auditKeys),
/* harmony export */   describeKey: () => (/* binding */ describeKey)
/* harmony export */ });
/* harmony import */ var _hive_parse_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1257);
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8992);
/* harmony import */ var _rules_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9440);



/** Usage reads in flight at once: enough to audit 1,000 keys in seconds, few enough for Hive. */
const USAGE_READS_AT_ONCE = 8;
async function auditKeys(s, deps) {
    const { hive, log } = deps;
    const adminKey = s.hiveAdminKey;
    const limits = {
        maxAgeDays: s.auditMaxAgeDays,
        unusedDays: s.auditUnusedDays,
        expiringWithinDays: s.rotateIfExpiringWithinDays ?? 7
    };
    const long = new Map();
    // Each page's usage reads start as the page arrives, while the next page is read.
    const { keys, usages } = await log.group('List the active keys and read their usage', async () => {
        const limiter = new Limiter(USAGE_READS_AT_ONCE);
        const reads = [];
        const read = (key) => {
            const usage = limiter.run(() => hive.usage(adminKey, key.id));
            usage.catch(() => undefined); // handled by limiter.all, once the list has ended
            reads.push(usage);
        };
        let listed;
        try {
            listed = await hive.list(adminKey, {
                onLongName: (id, length) => long.set(id, length),
                onPage: page => page.forEach(read)
            });
            // A port that gave no pages: the rest is read now.
            listed.slice(reads.length).forEach(read);
        }
        catch (error) {
            // The reads in flight end first; none starts after this.
            limiter.stop(error);
            await Promise.allSettled(reads);
            if (error.status !== 403)
                throw error;
            throw new Error('mode audit lists every key, which needs an admin key: give hive-admin-key, or an ' +
                `admin hive-api-key. ${error.message}`, { cause: error });
        }
        log.info(`Hive lists ${listed.length} active key(s).`);
        for (const [id, length] of long) {
            log.warning(`Hive gave key ${id} a name of ${length} characters, longer than the ` +
                `${_hive_parse_js__WEBPACK_IMPORTED_MODULE_0__/* .MAX_NAME_LENGTH */ .EM} its API allows: it is shown cut.`);
        }
        const usages = await limiter.all(reads);
        const unknown = usages.filter(u => u === null).length;
        log.info(`Read the usage of ${listed.length - unknown} key(s), at most ${USAGE_READS_AT_ONCE} at ` +
            'once' +
            (unknown > 0 ? `; Hive has no usage data for ${unknown} (the report says unknown).` : '.'));
        return { keys: listed, usages };
    });
    return log.group('Hold each key against the rules', async () => {
        const now = deps.now();
        const leftovers = (0,_rules_js__WEBPACK_IMPORTED_MODULE_1__/* .findLeftovers */ .Q_)(keys, s.auditKeyNames);
        const audited = keys.map((key, i) => ({
            key,
            ...(long.has(key.id) ? { nameLength: long.get(key.id) } : {}),
            usage: usages[i],
            findings: (0,_rules_js__WEBPACK_IMPORTED_MODULE_1__/* .judgeKey */ .FF)(key, usages[i], leftovers.get(key.id), limits, now)
        }));
        audited.sort(_rules_js__WEBPACK_IMPORTED_MODULE_1__/* .worstFirst */ .md);
        // A high finding fails the step unless fail-on is never: an error then, else a warning.
        const level = (0,_rules_js__WEBPACK_IMPORTED_MODULE_1__/* .failsAt */ .ZN)('high', s.failOn) ? 'error' : 'warning';
        for (const { key, findings } of audited) {
            if (findings.length === 0)
                continue;
            log.info(`${describeKey(key)}: ` + findings.map(f => `${f.rule} (${f.severity})`).join(', '));
            for (const f of findings.filter(f => f.severity === 'high')) {
                deps.annotate(level, `Hive key ${describeKey(key)}: ${f.rule} (high): ${f.reason}`);
            }
        }
        const counts = (0,_rules_js__WEBPACK_IMPORTED_MODULE_1__/* .countBySeverity */ .Ot)(audited.flatMap(a => a.findings));
        const clean = audited.filter(a => a.findings.length === 0).length;
        log.info(`${audited.length} key(s): ${counts.high} high, ${counts.medium} medium and ${counts.low} ` +
            `low finding(s); ${clean} key(s) with none.`);
        return { now, limits, keys: audited };
    });
}
/** A key for a log line or annotation: its id, prefix and name, the name as capped plain text. */
function describeKey(key) {
    return `${key.id} (${key.prefix}…) "${(0,_text_js__WEBPACK_IMPORTED_MODULE_2__/* .sanitize */ .aj)(key.name, [], 60)}"`;
}
/**
 * Runs calls at most `limit` at once, in the order they were asked for. The first failure (or a
 * stop) starts no new call: the calls waiting reject with it, the calls in flight end.
 */
class Limiter {
    limit;
    running = 0;
    waiting = [];
    failure;
    constructor(limit) {
        this.limit = limit;
    }
    async run(fn) {
        if (this.running < this.limit)
            this.running++;
        else
            await new Promise(resolve => this.waiting.push(resolve)); // a slot handed over
        try {
            if (this.failure !== undefined)
                throw this.failure.error;
            return await fn();
        }
        catch (error) {
            this.stop(error);
            throw error;
        }
        finally {
            const next = this.waiting.shift();
            if (next !== undefined)
                next();
            else
                this.running--;
        }
    }
    /** No call starts from now on; the waiting ones reject with `error`. */
    stop(error) {
        this.failure ??= { error };
    }
    /** Every result, in order, once every call has ended; or the first failure, thrown then. */
    async all(calls) {
        const settled = await Promise.allSettled(calls);
        if (this.failure !== undefined)
            throw this.failure.error;
        return settled.map(s => s.value);
    }
}
/** `fn` over every item, at most `limit` at once (a Limiter), results in the items' order. */
async function atMost(limit, items, fn) {
    const limiter = new Limiter(limit);
    return limiter.all(items.map(item => limiter.run(() => fn(item))));
}


/***/ }),

/***/ 9440:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   FF: () => (/* binding */ judgeKey),
/* harmony export */   Ot: () => (/* binding */ countBySeverity),
/* harmony export */   Q_: () => (/* binding */ findLeftovers),
/* harmony export */   ZN: () => (/* binding */ failsAt),
/* harmony export */   md: () => (/* binding */ worstFirst),
/* harmony export */   oC: () => (/* binding */ SEVERITIES),
/* harmony export */   y0: () => (/* binding */ RULES),
/* harmony export */   yC: () => (/* binding */ lastUse)
/* harmony export */ });
/* unused harmony exports ERRORS_MIN, ERRORS_SHARE */
/* harmony import */ var _rotation_names_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(4590);
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8992);


/** Worst first: the order of the summary's counts, and of a key's findings. */
const SEVERITIES = ['high', 'medium', 'low'];
/** Every rule and its severity, in the order a key's findings are listed. */
const RULES = {
    'no-expiry': 'high',
    'broad-write': 'high',
    'lifetime-over-max': 'medium',
    'older-than-max': 'medium',
    unused: 'medium',
    errors: 'medium',
    leftover: 'medium',
    'expires-soon': 'low',
    'scope-all': 'low'
};
/** The errors rule: at least this many errors in 24 h ... */
const ERRORS_MIN = 10;
/** ... and at least this share of the requests (a fifth). */
const ERRORS_SHARE = 1 / 5;
const DAY_MS = 86_400_000;
/**
 * The leftovers among the active keys: for each key-name, every key named as that rotation names
 * its keys (parseKeyName), but the newest one (by Hive's created_at, then the name's timestamp,
 * then id, so that exactly one is newest). A key is counted for the first key-name it matches.
 */
function findLeftovers(keys, keyNames) {
    const groups = new Map();
    for (const key of keys) {
        for (const keyName of keyNames) {
            const parsed = (0,_rotation_names_js__WEBPACK_IMPORTED_MODULE_0__/* .parseKeyName */ .wN)(keyName, key.name);
            if (parsed === undefined)
                continue;
            const group = groups.get(keyName) ?? [];
            group.push({ key, stamp: parsed.createdAt });
            groups.set(keyName, group);
            break;
        }
    }
    const leftovers = new Map();
    for (const [keyName, group] of groups) {
        const newest = group.reduce((a, b) => (newer(b, a) ? b : a)).key;
        for (const { key } of group) {
            if (key.id !== newest.id)
                leftovers.set(key.id, { keyName, newest });
        }
    }
    return leftovers;
}
function newer(a, b) {
    const created = Date.parse(a.key.created_at) - Date.parse(b.key.created_at);
    if (created !== 0)
        return created > 0;
    const stamped = Date.parse(a.stamp) - Date.parse(b.stamp);
    if (stamped !== 0)
        return stamped > 0;
    return a.key.id > b.key.id;
}
/**
 * The findings of one key, in the order of RULES. `usage` null: Hive has no usage data for it
 * (404), and the rules unused and errors say nothing.
 */
function judgeKey(key, usage, leftover, limits, now) {
    const found = [];
    const add = (rule, reason) => found.push({ rule, severity: RULES[rule], reason });
    const nowMs = now.getTime();
    const created = Date.parse(key.created_at);
    const expires = key.expires_at === null ? undefined : Date.parse(key.expires_at);
    const maxAgeMs = limits.maxAgeDays * DAY_MS;
    if (expires === undefined) {
        add('no-expiry', 'never expires: set an expiry (Hive advises 30 to 90 days)');
    }
    if (key.scope.type === 'all' && key.permission !== 'read-only') {
        add('broad-write', `${key.permission} with scope all: it may change every engagement; give the least ` +
            'permission, scoped to specific engagements');
    }
    if (expires !== undefined && expires - created > maxAgeMs) {
        add('lifetime-over-max', `lives ${days(expires - created)} days (created ${key.created_at}, expires ` +
            `${key.expires_at}), longer than audit-max-age-days (${limits.maxAgeDays})`);
    }
    if (nowMs - created > maxAgeMs) {
        add('older-than-max', `created ${days(nowMs - created)} days ago (${key.created_at}), longer ago than ` +
            `audit-max-age-days (${limits.maxAgeDays}): rotate it`);
    }
    if (usage !== null) {
        const used = lastUse(key, usage);
        const since = used === null ? created : Date.parse(used);
        if (nowMs - since >= limits.unusedDays * DAY_MS) {
            add('unused', (used === null
                ? `never used in the ${days(nowMs - since)} days since its creation`
                : `not used for ${days(nowMs - since)} days (last use ${used})`) +
                `, at least audit-unused-days (${limits.unusedDays}): revoke it if nothing needs it`);
        }
        const { errors_24h: errors, requests_24h: requests } = usage;
        if (errors >= ERRORS_MIN && errors >= requests * ERRORS_SHARE) {
            const share = requests > 0 ? ` (${Math.round((errors / requests) * 100)}%)` : '';
            add('errors', `${errors} of ${requests} requests in 24 h failed${share}: look for misuse or a ` +
                'consumer that is broken');
        }
    }
    if (leftover !== undefined) {
        add('leftover', `an earlier key of the rotation "${(0,_text_js__WEBPACK_IMPORTED_MODULE_1__/* .sanitize */ .aj)(leftover.keyName, [], 60)}", whose newest ` +
            `key is ${leftover.newest.id} (created ${leftover.newest.created_at}): revoke it`);
    }
    if (expires !== undefined && expires <= nowMs + limits.expiringWithinDays * DAY_MS) {
        add('expires-soon', `expires in ${days(Math.max(0, expires - nowMs))} day(s) (${key.expires_at}), within ` +
            `rotate-if-expiring-within-days (${limits.expiringWithinDays}): rotate it`);
    }
    if (key.scope.type === 'all' && key.permission === 'read-only') {
        add('scope-all', 'read-only with scope all: scope it to the engagements it reads');
    }
    return found;
}
/** The later of the key object's last use and the usage answer's (either may be null). */
function lastUse(key, usage) {
    const uses = [key.last_used_at, usage?.last_used_at ?? null].filter((t) => t !== null);
    if (uses.length === 0)
        return null;
    return uses.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}
/** Whole days, rounded down, as mode check counts them (the exact times are in the reason). */
function days(ms) {
    return Math.floor(ms / DAY_MS);
}
const RANK = { high: 3, medium: 2, low: 1 };
const THRESHOLD = { high: 3, medium: 2, low: 1, never: Infinity };
/** True when a finding at or above `failOn` turns the step red. */
function failsAt(severity, failOn) {
    return RANK[severity] >= THRESHOLD[failOn];
}
/** How many findings of each severity. */
function countBySeverity(findings) {
    const counts = { high: 0, medium: 0, low: 0 };
    for (const f of findings)
        counts[f.severity]++;
    return counts;
}
/**
 * Worst first: the key with more high findings, then more medium, then more low; among equals the
 * oldest (created first), then by id, so that the order is the same on every run.
 */
function worstFirst(a, b) {
    const ca = countBySeverity(a.findings);
    const cb = countBySeverity(b.findings);
    for (const s of SEVERITIES)
        if (ca[s] !== cb[s])
            return cb[s] - ca[s];
    const age = Date.parse(a.key.created_at) - Date.parse(b.key.created_at);
    if (age !== 0)
        return age;
    return a.key.id < b.key.id ? -1 : a.key.id > b.key.id ? 1 : 0;
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
