export const id = 261;
export const ids = [261];
export const modules = {

/***/ 4261:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   FILE_NAME_MAX: () => (/* binding */ FILE_NAME_MAX),
/* harmony export */   REPORT_VERSION: () => (/* binding */ REPORT_VERSION),
/* harmony export */   SUMMARY_NAME_MAX: () => (/* binding */ SUMMARY_NAME_MAX),
/* harmony export */   SUMMARY_ROWS_MAX: () => (/* binding */ SUMMARY_ROWS_MAX),
/* harmony export */   findingsOutput: () => (/* binding */ findingsOutput),
/* harmony export */   reportDocument: () => (/* binding */ reportDocument),
/* harmony export */   scopeText: () => (/* binding */ scopeText),
/* harmony export */   verdict: () => (/* binding */ verdict),
/* harmony export */   writeAuditSummary: () => (/* binding */ writeAuditSummary),
/* harmony export */   writeReportFile: () => (/* binding */ writeReportFile)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _report_summary_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(7994);
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(8992);
/* harmony import */ var _rules_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(9440);
/* harmony import */ var _rotation_names_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(4590);
/**
 * What mode audit leaves: the outputs `findings` and `report-path`, the report file (a versioned
 * JSON document under RUNNER_TEMP, its schema in docs/audit.md), the job summary, and the sentence
 * with which main.ts fails the step when fail-on says so.
 *
 * Every text from Hive (a key's name above all) is untrusted: it passes through text.ts's
 * sanitize (one line, no control or invisible characters, no workflow command, capped) before it
 * is written anywhere, the file included, and through escapeCell (no markup) in the summary.
 */







/** The report file's format; a change that would break a script that reads it bumps it. */
const REPORT_VERSION = 1;
/** A key's name in the report file: at most this many characters (Hive allows 200). */
const FILE_NAME_MAX = 200;
/** A key's name in the job summary. */
const SUMMARY_NAME_MAX = 80;
/** A scope's text in the summary (a scope may list up to 1,000 ids). */
const SUMMARY_SCOPE_MAX = 80;
/**
 * Rows of the summary's key table: GitHub refuses a step summary over 1 MiB. The keys left out
 * are the cleanest (the table is worst first), and the report file holds them all.
 */
const SUMMARY_ROWS_MAX = 500;
const DAY_MS = 86_400_000;
/** The output `findings`: one object per finding, worst key first. */
function findingsOutput(report, secrets) {
    return JSON.stringify(report.keys.flatMap(({ key, findings }) => findings.map(f => ({
        'key-id': key.id,
        prefix: key.prefix,
        rule: f.rule,
        severity: f.severity,
        reason: (0,_text_js__WEBPACK_IMPORTED_MODULE_6__/* .oneLine */ .TN)(f.reason, secrets)
    }))));
}
/** The report file's document (schema: docs/audit.md, "The report file"). */
function reportDocument(report, s, secrets) {
    const all = report.keys.flatMap(k => k.findings);
    return {
        version: REPORT_VERSION,
        generated_at: (0,_rotation_names_js__WEBPACK_IMPORTED_MODULE_5__/* .isoSeconds */ .nE)(report.now),
        hive_url: s.hiveUrl,
        limits: {
            audit_max_age_days: report.limits.maxAgeDays,
            audit_unused_days: report.limits.unusedDays,
            expiring_within_days: report.limits.expiringWithinDays,
            fail_on: s.failOn
        },
        key_names: s.auditKeyNames.map(n => (0,_text_js__WEBPACK_IMPORTED_MODULE_6__/* .sanitize */ .aj)(n, secrets, FILE_NAME_MAX)),
        counts: {
            keys: report.keys.length,
            clean: report.keys.filter(k => k.findings.length === 0).length,
            ...(0,_rules_js__WEBPACK_IMPORTED_MODULE_4__/* .countBySeverity */ .Ot)(all)
        },
        failed: all.some(f => (0,_rules_js__WEBPACK_IMPORTED_MODULE_4__/* .failsAt */ .ZN)(f.severity, s.failOn)),
        keys: report.keys.map(k => keyEntry(k, report.now, secrets))
    };
}
function keyEntry({ key, nameLength, usage, findings }, now, secrets) {
    return {
        id: key.id,
        name: (0,_text_js__WEBPACK_IMPORTED_MODULE_6__/* .sanitize */ .aj)(key.name, secrets, FILE_NAME_MAX),
        name_truncated: nameLength !== undefined || Array.from(key.name).length > FILE_NAME_MAX,
        prefix: key.prefix,
        permission: key.permission,
        scope: key.scope,
        created_at: key.created_at,
        age_days: Math.floor((now.getTime() - Date.parse(key.created_at)) / DAY_MS),
        expires_at: key.expires_at,
        last_used_at: (0,_rules_js__WEBPACK_IMPORTED_MODULE_4__/* .lastUse */ .yC)(key, usage),
        usage_known: usage !== null,
        requests_24h: usage?.requests_24h ?? null,
        errors_24h: usage?.errors_24h ?? null,
        findings: findings.map(f => ({
            rule: f.rule,
            severity: f.severity,
            reason: (0,_text_js__WEBPACK_IMPORTED_MODULE_6__/* .oneLine */ .TN)(f.reason, secrets)
        }))
    };
}
/**
 * Writes the document to a new file under `dir` (RUNNER_TEMP): its own name, so two audits in one
 * job keep both. Returns the path.
 */
async function writeReportFile(document, dir) {
    const path = (0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(dir, `hive-key-audit-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_1__.randomBytes)(4).toString('hex')}.json`);
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.writeFile)(path, JSON.stringify(document, null, 2) + '\n', { flag: 'wx', mode: 0o644 });
    return path;
}
/** The sentence that fails the step, or undefined when no finding reaches fail-on. */
function verdict(report, failOn) {
    const failing = report.keys.flatMap(k => k.findings).filter(f => (0,_rules_js__WEBPACK_IMPORTED_MODULE_4__/* .failsAt */ .ZN)(f.severity, failOn));
    if (failing.length === 0)
        return undefined;
    const counts = (0,_rules_js__WEBPACK_IMPORTED_MODULE_4__/* .countBySeverity */ .Ot)(failing);
    const keys = report.keys.filter(k => k.findings.some(f => (0,_rules_js__WEBPACK_IMPORTED_MODULE_4__/* .failsAt */ .ZN)(f.severity, failOn))).length;
    const bySeverity = _rules_js__WEBPACK_IMPORTED_MODULE_4__/* .SEVERITIES */ .oC.filter(s => counts[s] > 0)
        .map(s => `${counts[s]} ${s}`)
        .join(', ');
    return (`The audit found ${failing.length} finding(s) at or above fail-on (${failOn}) in ${keys} ` +
        `key(s): ${bySeverity}. See the job summary, and the file of the output report-path. ` +
        'Nothing was changed.');
}
const MARK = { high: '🔴', medium: '🟠', low: '🟡' };
/** What each rule says, with the windows of this run, for the summary's table of rules. */
function ruleMeaning(rule, report) {
    const { maxAgeDays, unusedDays, expiringWithinDays } = report.limits;
    switch (rule) {
        case 'no-expiry':
            return 'never expires';
        case 'broad-write':
            return 'admin or read-write, with scope all';
        case 'lifetime-over-max':
            return `expiry less creation over ${maxAgeDays} days (audit-max-age-days)`;
        case 'older-than-max':
            return `created over ${maxAgeDays} days ago (audit-max-age-days)`;
        case 'unused':
            return `not used for ${unusedDays} days or more (audit-unused-days; usage data only)`;
        case 'errors':
            return 'at least 10 errors in 24 h, and at least a fifth of its requests (usage data only)';
        case 'leftover':
            return 'an earlier key of a rotation (key-name) that is not its newest, still active';
        case 'expires-soon':
            return `expires within ${expiringWithinDays} days (rotate-if-expiring-within-days)`;
        case 'scope-all':
            return 'read-only with scope all';
    }
}
/** The job summary of an audit: counts, the rules, the keys worst first; or its failure. */
async function writeAuditSummary(report, s, failure, reportPath, summary, secrets) {
    const cell = (text) => (0,_report_summary_js__WEBPACK_IMPORTED_MODULE_3__/* .escapeCell */ .kq)(text, secrets);
    const header = (...names) => names.map(data => ({ data, header: true }));
    if (report === undefined) {
        summary.addHeading('Hive key audit failed', 2);
        if (failure)
            summary.addRaw((0,_report_summary_js__WEBPACK_IMPORTED_MODULE_3__/* .preformatted */ .EC)(failure, secrets), true);
        await summary.write();
        return;
    }
    const all = report.keys.flatMap(k => k.findings);
    const counts = (0,_rules_js__WEBPACK_IMPORTED_MODULE_4__/* .countBySeverity */ .Ot)(all);
    const clean = report.keys.filter(k => k.findings.length === 0).length;
    summary.addHeading(`Hive key audit: ${counts.high} high, ${counts.medium} medium, ${counts.low} low ` +
        `finding(s) in ${report.keys.length} active key(s)`, 2);
    if (failure)
        summary.addRaw((0,_report_summary_js__WEBPACK_IMPORTED_MODULE_3__/* .preformatted */ .EC)(failure, secrets), true);
    summary.addRaw(`<p>${report.keys.length} active key(s), ${clean} with no finding; fail-on ` +
        `${cell(s.failOn)}. Nothing was changed.` +
        (reportPath ? ` Every key and finding is in the report file (output report-path).` : '') +
        '</p>', true);
    summary.addHeading('Rules', 3);
    summary.addTable([
        header('Rule', 'Severity', 'Keys', 'Finds a key that'),
        ...Object.keys(_rules_js__WEBPACK_IMPORTED_MODULE_4__/* .RULES */ .y0).map(rule => [
            cell(rule),
            `${MARK[_rules_js__WEBPACK_IMPORTED_MODULE_4__/* .RULES */ .y0[rule]]} ${_rules_js__WEBPACK_IMPORTED_MODULE_4__/* .RULES */ .y0[rule]}`,
            String(all.filter(f => f.rule === rule).length),
            cell(ruleMeaning(rule, report))
        ])
    ]);
    const shown = report.keys.slice(0, SUMMARY_ROWS_MAX);
    summary.addHeading('Keys, worst first', 3);
    summary.addTable([
        header('Name', 'Id', 'Prefix', 'Permission', 'Scope', 'Age', 'Expires', 'Last use', 'Requests 24 h', 'Errors 24 h', 'Findings'),
        ...shown.map(({ key, usage, findings }) => {
            const days = (ms) => `${Math.floor(ms / DAY_MS)} d`;
            const expires = key.expires_at === null
                ? 'never'
                : `${key.expires_at} (in ${days(Date.parse(key.expires_at) - report.now.getTime())})`;
            return [
                cell((0,_text_js__WEBPACK_IMPORTED_MODULE_6__/* .sanitize */ .aj)(key.name, secrets, SUMMARY_NAME_MAX)),
                cell(key.id),
                cell(`${key.prefix}…`),
                cell(key.permission),
                cell((0,_text_js__WEBPACK_IMPORTED_MODULE_6__/* .sanitize */ .aj)(scopeText(key.scope), secrets, SUMMARY_SCOPE_MAX)),
                days(report.now.getTime() - Date.parse(key.created_at)),
                cell(expires),
                cell((0,_rules_js__WEBPACK_IMPORTED_MODULE_4__/* .lastUse */ .yC)(key, usage) ?? (usage === null ? 'unknown' : 'never')),
                usage === null ? 'unknown' : String(usage.requests_24h),
                usage === null ? 'unknown' : String(usage.errors_24h),
                (findings.length === 0
                    ? '✅ none'
                    : findings.map(f => `${MARK[f.severity]} ${cell(f.rule)}`).join(', ')) +
                    // Said where it matters: unused and errors could not be judged.
                    (usage === null ? ' (usage unknown)' : '')
            ];
        })
    ]);
    if (report.keys.length > shown.length) {
        summary.addRaw(`<p>${report.keys.length - shown.length} more key(s), the cleanest, are in the report ` +
            'file only (a job summary is at most 1 MiB).</p>', true);
    }
    await summary.write();
}
/** A scope as the inputs write it: all, engagements:ID,ID or campaigns:ID,ID. */
function scopeText(scope) {
    switch (scope.type) {
        case 'all':
            return 'all';
        case 'engagements':
            return `engagements:${scope.engagement_ids.join(',')}`;
        case 'campaigns':
            return `campaigns:${scope.campaign_ids.join(',')}`;
    }
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


/***/ })

};
