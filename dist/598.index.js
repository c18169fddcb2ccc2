export const id = 598;
export const ids = [598];
export const modules = {

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


/***/ }),

/***/ 8598:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  RotationError: () => (/* reexport */ RotationError),
  rotate: () => (/* binding */ rotate)
});

// EXTERNAL MODULE: ./src/rotation/plan.ts
var plan = __webpack_require__(3475);
// EXTERNAL MODULE: ./src/rotation/report.ts
var rotation_report = __webpack_require__(4746);
// EXTERNAL MODULE: ./src/cancel.ts
var cancel = __webpack_require__(833);
;// CONCATENATED MODULE: ./src/rotation/steps.ts

/** A failure the user can act on; its message is the whole explanation (no stack trace). */
class RotationError extends Error {
    constructor(message) {
        super(message);
        this.name = 'RotationError';
    }
}
/**
 * Runs one step in its own log group, timed, and records how it ended in the report. A step that
 * ends while a stop is asked, however it ended, is a cancelled step: its `whenStopped` runs as
 * clean-up, and the run ends with a CancelledError that says in which step it stopped and what
 * it left.
 */
function stepRunner(log, report, journal, cancellation) {
    return async (name, fn, whenStopped) => {
        const started = Date.now();
        journal?.step(name);
        return log.group(name, async () => {
            try {
                // Stopped between steps: this step's safe state is where the run is.
                cancellation?.throwIfStopped();
                const work = fn();
                let ended;
                if (cancellation) {
                    work.catch(() => undefined); // abandoned at the deadline: its end no longer matters
                    ended = await Promise.race([work, cancellation.forwardDeadline()]);
                }
                else {
                    ended = await work;
                }
                const { result, detail } = ended;
                report.steps.push({ step: name, status: 'ok', detail, ms: Date.now() - started });
                log.info(detail);
                return result;
            }
            catch (error) {
                if (cancellation?.requested) {
                    throw await cancelled(name, started, error, cancellation, whenStopped);
                }
                const detail = error instanceof Error ? error.message : String(error);
                report.steps.push({ step: name, status: 'failed', detail, ms: Date.now() - started });
                throw error;
            }
        });
    };
    async function cancelled(name, started, error, cancellation, whenStopped) {
        const signal = cancellation.signalName ?? 'a signal';
        log.debug(`Stopped by ${signal}: ${error instanceof Error ? error.message : String(error)}`);
        let left = 'Nothing was changed.';
        if (whenStopped) {
            try {
                left = await cancellation.cleanup(async () => whenStopped());
            }
            catch (cleanupError) {
                left = `The clean-up failed: ${cleanupError.message}`;
            }
        }
        left +=
            ' ' +
                (report.rotated
                    ? 'The next run starts from the new key and prunes what this run left.'
                    : 'The next run starts the rotation again and prunes what this run left.');
        const detail = `Cancelled (${signal}) during this step. ${left}`;
        report.steps.push({ step: name, status: 'cancelled', detail, ms: Date.now() - started });
        report.cancelled = { signal, step: name, left };
        return new cancel/* CancelledError */.cc(signal, `The run was cancelled (${signal}) during the step "${name}". ${left}`);
    }
}
/** Records steps that did not run, and why. */
function skipSteps(report, names, why) {
    for (const step of names)
        report.steps.push({ step, status: 'skipped', detail: why, ms: 0 });
}
/** A warning: printed now (`::warning::`) and kept for the job summary. */
function warn(log, report, message) {
    log.warning(message);
    report.warnings.push(message);
}

;// CONCATENATED MODULE: ./src/rotation/check.ts



const DAY_MS = 86_400_000;
async function checkKey(s, deps, report) {
    const { keys } = deps;
    const step = stepRunner(deps.log, report);
    await step('Check the current key', async () => {
        const status = await keys.probe(s.hiveApiKey, s.verifyPath);
        if (status === 401) {
            throw new RotationError(`hive-api-key is not valid: GET ${s.verifyPath} answers 401 (the key is revoked, ` +
                'expired or unknown), so every consumer that holds it fails now. Make a new key in ' +
                'Hive, store it in the secret, and let this action rotate it from then on.');
        }
        if (status === 403) {
            throw new RotationError(`hive-api-key is valid but may not read ${s.verifyPath} (403): it lacks the permission ` +
                'or scope for it. Give it the permission and scope your jobs need, or set verify-path ' +
                'to a read it is meant to make.');
        }
        const key = await keys.current(s.hiveApiKey, 'reading the current key (hive-api-key)');
        report.oldKey = key;
        const now = deps.now();
        const days = (0,rotation_report/* daysUntilExpiry */.Vg)(key, now);
        const left = days === undefined ? 'it never expires' : `${days} day(s) left`;
        const threshold = s.rotateIfExpiringWithinDays;
        if (threshold !== undefined &&
            key.expires_at !== null &&
            Date.parse(key.expires_at) <= now.getTime() + threshold * DAY_MS) {
            throw new RotationError(`hive-api-key ${key.id} (${key.prefix}…) expires at ${key.expires_at}, ${left}: within ` +
                `rotate-if-expiring-within-days (${threshold}). Rotate it: run this action with ` +
                'mode: rotate.');
        }
        report.due = threshold === undefined ? undefined : `not within ${threshold} day(s) of expiry`;
        return {
            result: undefined,
            detail: `hive-api-key ${key.id} (${key.prefix}…) is valid: ${key.permission}, ` +
                `${(0,plan/* describeScope */.O)(key.scope)}, expires ${key.expires_at ?? 'never'} (${left}); ` +
                `GET ${s.verifyPath} answered ${status}.`
        };
    });
}

// EXTERNAL MODULE: ./src/rotation/names.ts
var names = __webpack_require__(4590);
// EXTERNAL MODULE: ./src/settings.ts + 1 modules
var settings = __webpack_require__(4277);
;// CONCATENATED MODULE: ./src/rotation/leftovers.ts


/** A key of this rotation created this recently, after the current key, is a run in flight. */
const IN_FLIGHT_MS = 10 * 60_000;
/**
 * The longest grace a run gives an old key (old-key-grace-minutes: at most 1440). A leftover that
 * expires within this window was given grace by an earlier run: it is left to expire.
 */
const MAX_GRACE_MS = settings/* MAX_GRACE_MINUTES */.ic * 60_000;
/**
 * Sorts the active keys. Never returns the current key or the admin key as a leftover: the
 * current key is retired by the retire step, as the user asked (revoke, grace or keep).
 */
function findLeftovers(keyName, active, current, adminKeyId, now) {
    // No current key: a recovery (hive-api-key is dead); every key of this rotation is a leftover.
    const spared = new Set([current?.id, adminKeyId]);
    const byId = new Map(active.map(k => [k.id, k]));
    const found = new Map();
    const predecessors = [];
    const own = current ? (0,names/* parseKeyName */.wN)(keyName, current.name) : undefined;
    if (own?.replaces && current)
        predecessors.push([own.replaces, current.id]);
    let inFlight;
    for (const key of active) {
        const parsed = (0,names/* parseKeyName */.wN)(keyName, key.name);
        if (!parsed || spared.has(key.id))
            continue;
        found.set(key.id, { key, why: 'an earlier key of this rotation' });
        if (parsed.replaces)
            predecessors.push([parsed.replaces, key.id]);
        const createdAt = key.created_at || parsed.createdAt;
        const created = Date.parse(createdAt);
        const newer = current === undefined || created >= Date.parse(current.created_at);
        // A key a post step marked stopped: its run was killed, so nothing is in flight.
        const live = newer && !parsed.stopped && now.getTime() - created < IN_FLIGHT_MS;
        if (live && !inFlight)
            inFlight = { key, createdAt };
    }
    for (const [named, successor] of predecessors) {
        const id = resolvePrefix(named, active, byId.get(successor));
        if (id === undefined)
            continue;
        const key = byId.get(id);
        if (key && !spared.has(id) && !found.has(id)) {
            found.set(id, { key, why: `replaced by ${successor}` });
        }
    }
    // The keys the current key replaced, following the 'replaces' of each key of this rotation.
    const chain = new Set();
    for (let id = own?.replaces; id !== undefined && !chain.has(id);) {
        chain.add(id);
        const key = byId.get(id);
        id = key ? (0,names/* parseKeyName */.wN)(keyName, key.name)?.replaces : undefined;
    }
    const leftovers = [...found.values()].map(l => ({ ...l, replacedByCurrent: chain.has(l.key.id) }));
    return { leftovers, inFlight };
}
/**
 * A predecessor named by id, or by `prefix:<prefix>` (a recovery's record of a key whose id it
 * could not read): the one active key with exactly that prefix, created before its successor.
 * Two or more such keys name none: a prefix is short, and a wrong key must never be taken.
 *
 * Why a prefix is enough here: the recovery that wrote it had confirmed that no active key had
 * that prefix (preflight.ts, deadOrListed), so a key matching it now was either created after
 * the successor (refused above) or inactive then and active again since: the dead key itself,
 * revived (a Hive glitch, an expiry lengthened). Any other key sharing the prefix would have
 * had to be revived in the same way.
 */
function resolvePrefix(named, active, successor) {
    if (!named.startsWith('prefix:'))
        return named;
    const prefix = named.slice('prefix:'.length);
    const before = successor ? Date.parse(successor.created_at) : Infinity;
    const found = active.filter(k => k.prefix === prefix && Date.parse(k.created_at) < before);
    return found.length === 1 ? found[0].id : undefined;
}
/**
 * True when the key expires within MAX_GRACE_MS from now: an earlier run gave it grace (or it is
 * about to expire anyway), so jobs may still be finishing with it and Hive will end it itself.
 */
function inGrace(key, now) {
    if (key.expires_at === null)
        return false;
    const expires = Date.parse(key.expires_at);
    return expires > now.getTime() && expires <= now.getTime() + MAX_GRACE_MS;
}

// EXTERNAL MODULE: ./src/text.ts
var src_text = __webpack_require__(8992);
;// CONCATENATED MODULE: ./src/rotation/revocation.ts


/** A revocation the policy forbids: a bug or a lie, never a reason to go on. */
class RevocationRefused extends Error {
    constructor(message) {
        super(message);
        this.name = 'RevocationRefused';
    }
}
class RevocationPolicy {
    keys;
    facts;
    options;
    /** The last check of the old key: what a message may say about it. */
    lastCheck;
    /** True once this run revoked the old key (retire or emergency): it is dead on purpose. */
    oldRevoked = false;
    constructor(keys, facts, options) {
        this.keys = keys;
        this.facts = facts;
        this.options = options;
    }
    /**
     * Does the old key answer now? A fresh request; a 401 is asked again a moment later and counts
     * only when Hive's own 401 answers twice.
     */
    async oldKeyState() {
        const state = await this.checkOldKey();
        this.lastCheck = state;
        this.options.debug?.(`The old key's state: ${state.state}.`);
        return state;
    }
    async checkOldKey() {
        const { oldKeyId } = this.facts;
        if (oldKeyId === undefined) {
            return { state: 'dead', said: 'hive-api-key was dead before this run (a recovery)' };
        }
        if (this.oldRevoked)
            return { state: 'dead', said: 'this run revoked it' };
        const first = await this.ask(oldKeyId);
        if (first.state !== 'unauthorized')
            return first;
        await this.options.sleep(this.options.confirmDelayMs ?? 1_000);
        const second = await this.ask(oldKeyId);
        if (second.state === 'unauthorized')
            return { state: 'dead', said: second.said };
        if (second.state === 'answers')
            return second;
        return { state: 'unknown', said: `${first.said}, then ${second.said}` };
    }
    async ask(oldKeyId) {
        try {
            const key = await this.keys.get(this.facts.apiKey, oldKeyId);
            if (key?.id === oldKeyId)
                return { state: 'answers' };
            return {
                state: 'unknown',
                said: key === null
                    ? `Hive answered 404 for the old key ${oldKeyId}`
                    : `Hive answered for key ${(0,src_text/* sanitize */.aj)(key.id)}, not the old key ${oldKeyId}`
            };
        }
        catch (error) {
            const { status, code, hiveMessage } = error;
            if (status === 401 && code === 'unauthorized') {
                return {
                    state: 'unauthorized',
                    said: `Hive answers 401 to it${hiveMessage ? ` ("${hiveMessage}")` : ''}`
                };
            }
            return { state: 'unknown', said: (0,src_text/* sanitize */.aj)(error.message, [], 300) };
        }
    }
    /** The old key was revoked by this run (the post step reads it from the journal). */
    oldKeyRevoked() {
        this.oldRevoked = true;
    }
    /** True when the key is provably this run's own. */
    isOwn(key) {
        const { ownIds, knownIds, mark, asked, keyName, madeAfter } = this.facts;
        if (this.isProtected(key.id) || knownIds.has(key.id))
            return false;
        if (ownIds.has(key.id))
            return true;
        if (mark === undefined || asked === undefined || key.name === undefined)
            return false;
        if (!(0,names/* carriesMark */.LR)(keyName, mark, asked, key.name))
            return false;
        if (madeAfter === undefined)
            return true;
        const created = key.created_at === undefined ? NaN : Date.parse(key.created_at);
        return created >= Date.parse(madeAfter);
    }
    /** The old and admin keys. */
    isProtected(id) {
        return id === this.facts.oldKeyId || id === this.facts.adminKeyId;
    }
    /**
     * Revokes a key this run made, which no destination holds: only when it is provably this run's
     * and the old key answers now. Otherwise it is kept, and the fate says why; a key that is not
     * this run's is refused outright.
     */
    async revokeNew(adminKey, key) {
        if (!this.isOwn(key)) {
            throw new RevocationRefused(`Refused to revoke ${(0,src_text/* sanitize */.aj)(key.id)}: ` +
                (this.isProtected(key.id)
                    ? 'it is the key being rotated or the admin key.'
                    : 'nothing proves this run made it (not its create answer, not its mark).'));
        }
        const old = await this.oldKeyState();
        if (old.state === 'dead')
            return { revoked: false, why: 'old-dead', said: old.said };
        if (old.state === 'unknown')
            return { revoked: false, why: 'old-unknown', said: old.said };
        return { revoked: true, outcome: await this.keys.revoke(adminKey, key.id) };
    }
    /**
     * Revokes a leftover of an earlier run (the prune step, once every destination holds the new
     * key): never the old, admin or a new key of this run.
     */
    async revokeLeftover(adminKey, id) {
        if (this.isProtected(id) || this.facts.ownIds.has(id)) {
            throw new RevocationRefused(`Refused to revoke ${(0,src_text/* sanitize */.aj)(id)} as a leftover: it is the key being rotated, the ` +
                'admin key or the new key.');
        }
        return this.keys.revoke(adminKey, id);
    }
    /**
     * Revokes the old key: the retire step, once every destination holds the new key, or the
     * emergency step, before the new key exists. Never the admin key.
     */
    async revokeOld(adminKey, why) {
        const { oldKeyId, adminKeyId } = this.facts;
        if (oldKeyId === undefined || oldKeyId === adminKeyId) {
            throw new RevocationRefused(oldKeyId === undefined
                ? 'Refused to revoke the old key: there is none (a recovery).'
                : `Refused to ${why === 'retire' ? 'retire' : 'revoke'} ${oldKeyId}: it is also the admin key.`);
        }
        const outcome = await this.keys.revoke(adminKey, oldKeyId);
        this.oldRevoked = true;
        return outcome;
    }
}
/** A sentence for a kept new key: why the policy did not revoke it. */
function whyKept(fate) {
    return fate.why === 'old-dead'
        ? `the old key no longer answers (${fate.said}), so the new key may be the only live key`
        : `the old key's state could not be checked (${fate.said}), and a new key is revoked only ` +
            'while the old key is known to answer';
}

;// CONCATENATED MODULE: ./src/rotation/run.ts





function newRun(s, deps, report) {
    const cancellation = deps.cancellation ?? (0,cancel/* neverCancelled */.YX)();
    const knownIds = new Set();
    const mark = (0,names/* newRunMark */.N5)();
    deps.journal?.mark(mark);
    return {
        s,
        deps,
        report,
        log: deps.log,
        emergency: s.mode === 'emergency',
        cancellation,
        keys: withoutRevoke(deps.keys),
        revocations: new RevocationPolicy(deps.keys, { keyName: s.keyName, apiKey: s.hiveApiKey, mark, ownIds: new Set(), knownIds }, { sleep: deps.sleep ?? (ms => cancellation.sleep(ms)), debug: deps.log.debug }),
        mark,
        knownIds,
        writesSent: [],
        pending: []
    };
}
/**
 * The end of every failure message before the store: what is still as it was. "The old key is
 * unchanged" is said only when a fresh request just found it answering.
 */
function unchanged(run, oldKey) {
    if (oldKey === undefined) {
        return 'No destination was written: every destination still holds the dead key. Fix the cause and run again.';
    }
    if (run.emergency) {
        return (`The compromised key ${oldKey.id} stays revoked and no destination was written: every ` +
            'consumer fails until a new key is stored. Fix the cause and run again.');
    }
    const check = run.revocations.lastCheck;
    if (check?.state === 'answers') {
        return 'The old key answered just now, and every destination still holds it: nothing else changed.';
    }
    if (check?.state === 'dead') {
        return (`The old key ${oldKey.id} no longer answers (${check.said}), and no destination was ` +
            'written: every destination holds a dead key. Run again with hive-admin-key, permission ' +
            'and scope set: the run then recovers (creates, tests and stores a new key).');
    }
    return 'No destination was written.';
}
/**
 * Once every destination holds the new key, a self-managed rotation does its admin work (prune,
 * retire) with the new key: the old one is on its way out.
 */
function adminAfterStore(run, created) {
    return run.s.separateAdminKey ? run.s.hiveAdminKey : created.value;
}
function describeKey(role, key) {
    return (`${role} ${key.id} (${key.prefix}…), ${key.permission}, ${(0,plan/* describeScope */.O)(key.scope)}, ` +
        `expires ${key.expires_at ?? 'never'}`);
}
/** The key service without `revoke`: the steps revoke only through the revocation policy. */
function withoutRevoke(keys) {
    return {
        current: (apiKey, doing) => keys.current(apiKey, doing),
        get: (apiKey, id) => keys.get(apiKey, id),
        list: adminKey => keys.list(adminKey),
        create: (adminKey, request) => keys.create(adminKey, request),
        update: (adminKey, id, patch) => keys.update(adminKey, id, patch),
        probe: (apiKey, path) => keys.probe(apiKey, path),
        waitUntilAccepted: (apiKey, path, ms) => keys.waitUntilAccepted(apiKey, path, ms),
        confirmRevoked: (apiKey, path) => keys.confirmRevoked(apiKey, path),
        usage: (adminKey, id) => keys.usage(adminKey, id),
        sentWith: apiKey => keys.sentWith(apiKey)
    };
}
/** When a key of this rotation stops counting as a rotation in flight. */
function inFlightUntil(createdAt) {
    return (0,names/* isoSeconds */.nE)(new Date(Date.parse(createdAt) + IN_FLIGHT_MS));
}

// EXTERNAL MODULE: ./src/rotation/ports.ts
var ports = __webpack_require__(5262);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
;// CONCATENATED MODULE: ./src/rotation/canary.ts
/**
 * Step 6, test the applications (only with canary-workflows): Hive's own procedure is "create a
 * new key, update the applications, test, then revoke the old key". The key's own test proves the
 * key; only a consumer proves the applications (an environment secret that shadows the one
 * written, a scope the consumer's engagement lacks, a job that reads another secret name).
 *
 * Every canary workflow is dispatched at once with the inputs `hive-key-id` (the new key's id,
 * never its value) and `canary-id` (random, one per run), found (GitHub names the run, or it is
 * found by the canary-id in its title), and polled at most every POLL_MS until it completes or
 * canary-timeout-minutes pass. It passes only on conclusion `success` and proof of use: Hive's
 * usage of the new key moved during the canary (no usage data: judged by the conclusion alone).
 *
 * A failure rolls back: runs still going are cancelled, the old key (hive-api-key) is written back
 * into every destination that was given the new key (sealed again, read back), and only when
 * every rollback write is confirmed, and the old key answers (revocation.ts), is the new key
 * revoked. A rollback write that fails revokes nothing: both keys stay live (invariant 10).
 *
 * Stopping during it leaves: every destination holds the new key, the old key still works; the
 * dispatched runs are cancelled, both keys kept, and the next run converges (the post step marks
 * the new key stopped after a kill).
 */






/** At most one request per run this often (GitHub gives no interval; 5 s is gentle). */
const POLL_MS = 5_000;
/** How long a dispatched run may take to appear in the list, when GitHub did not name it. */
const FIND_RUN_MS = 60_000;
/** Clock skew allowed when listing runs created since the dispatch. */
const SKEW_MS = 2 * 60_000;
/** Consecutive failed polls of one run before it counts as failed. */
const POLL_FAILURES = 3;
/** The canary's runs under way, for the clean-up after a signal. */
const dispatched = new WeakMap();
async function canaryStep(run, ready, created) {
    const { s, deps, report } = run;
    const runner = deps.workflows;
    if (!runner)
        throw new RotationError('canary-workflows is set, but no workflow runner exists.');
    const { newKey } = created;
    const canaryId = (0,external_node_crypto_.randomBytes)(8).toString('hex');
    const sleep = deps.sleep ?? (ms => run.cancellation.sleep(ms));
    const pollMs = deps.canaryPollMs ?? POLL_MS;
    const admin = adminAfterStore(run, created);
    const before = await readUse(run, admin, newKey.id);
    const since = deps.now();
    const records = s.canaryWorkflows.map(w => ({
        workflow: w.label,
        url: '',
        conclusion: 'pending',
        usedNewKey: 'unknown',
        failed: []
    }));
    report.canary = records;
    const under = [];
    dispatched.set(run, under);
    await Promise.all(s.canaryWorkflows.map((w, i) => oneCanary(run, runner, w, records[i], {
        canaryId,
        since,
        sleep,
        pollMs,
        under,
        newKeyId: newKey.id
    })));
    const after = await readUse(run, admin, newKey.id);
    const used = usedSince(before, after, since);
    for (const r of records)
        r.usedNewKey = used;
    const failed = records.filter(r => r.conclusion !== 'success' || used === false);
    if (failed.length === 0) {
        return {
            result: undefined,
            detail: `${records.length} canary run(s) succeeded` +
                (used === true
                    ? ', and Hive saw the new key used.'
                    : ': Hive has no usage data for the new key, so the conclusion alone decided.')
        };
    }
    const why = failed
        .map(r => `${r.workflow}: ${r.conclusion}` +
        (r.conclusion === 'success' && used === false
            ? ' but Hive saw no use of the new key'
            : '') +
        (r.url ? ` (${r.url})` : '') +
        (r.failed.length ? `; failed: ${r.failed.join(', ')}` : '') +
        (r.detail ? `; ${r.detail}` : ''))
        .join('\n  - ');
    const outcome = await rollBack(run, ready, created);
    throw new RotationError(`The canary failed, so the new key is not trusted with the applications:\n  - ${why}\n${outcome}`);
}
async function oneCanary(run, runner, w, record, ctx) {
    const { deps, s, log } = run;
    let found;
    try {
        found = await runner.dispatch(w, { 'hive-key-id': ctx.newKeyId, 'canary-id': ctx.canaryId });
    }
    catch (error) {
        if (run.cancellation.requested)
            throw error;
        record.conclusion = 'not dispatched';
        record.detail = error.message;
        return;
    }
    // GitHub did not name the run (GHES before 3.21): find it by the canary-id in its title.
    const start = deps.now().getTime();
    while (!found && deps.now().getTime() - start < FIND_RUN_MS) {
        await ctx.sleep(ctx.pollMs);
        found = await runner
            .findRun(w, ctx.canaryId, new Date(ctx.since.getTime() - SKEW_MS))
            .catch((error) => {
            if (run.cancellation.requested)
                throw error;
            log.debug(`Looking for the run of ${w.label}: ${error.message}`);
            return undefined;
        });
    }
    if (!found) {
        record.conclusion = 'not found';
        record.detail =
            `no run with the canary-id ${ctx.canaryId} in its title appeared within ` +
                `${FIND_RUN_MS / 1000} s: put \${{ inputs.canary-id }} in the workflow's run-name`;
        return;
    }
    record.url = found.htmlUrl;
    ctx.under.push({ workflow: w, run: found });
    log.info(`Dispatched ${w.label}: run ${found.id}${found.htmlUrl ? ` ${found.htmlUrl}` : ''}.`);
    const deadline = start + s.canaryTimeoutMinutes * 60_000;
    let failures = 0;
    for (;;) {
        await ctx.sleep(ctx.pollMs);
        try {
            const state = await runner.state(w, found.id);
            failures = 0;
            if (state.htmlUrl)
                record.url = state.htmlUrl;
            if (state.status === 'completed') {
                record.conclusion = state.conclusion ?? 'unknown';
                break;
            }
        }
        catch (error) {
            if (run.cancellation.requested)
                throw error;
            if (++failures >= POLL_FAILURES) {
                record.conclusion = 'unknown';
                record.detail = `reading the run failed ${failures} times: ${error.message}`;
                break;
            }
        }
        if (deps.now().getTime() >= deadline) {
            record.conclusion = 'timed out';
            record.detail = `not completed after canary-timeout-minutes (${s.canaryTimeoutMinutes})`;
            await runner.cancel(w, found.id).catch(() => undefined);
            break;
        }
    }
    const done = ctx.under.findIndex(u => u.run.id === found.id);
    if (done >= 0 && record.conclusion !== 'timed out')
        ctx.under.splice(done, 1);
    if (record.conclusion !== 'success') {
        record.failed = await runner.failedSteps(w, found.id).catch(() => []);
    }
}
async function readUse(run, adminKey, id) {
    try {
        const usage = await run.keys.usage(adminKey, id);
        return usage ? { requests: usage.requests_24h, lastUsedAt: usage.last_used_at } : null;
    }
    catch (error) {
        if (run.cancellation.requested)
            throw error;
        run.log.debug(`Reading the new key's usage failed: ${error.message}`);
        return 'error';
    }
}
/** Did the consumers use the new key? true, false, or 'unknown' (no usage data). */
function usedSince(before, after, since) {
    if (before === null || after === null || before === 'error' || after === 'error') {
        return 'unknown';
    }
    if (after.requests > before.requests)
        return true;
    return after.lastUsedAt !== null && Date.parse(after.lastUsedAt) > since.getTime();
}
/**
 * The canary failed: the old key back into every destination given the new one, then the new key
 * revoked, only when every rollback write is confirmed and the old key answers. Never throws.
 */
async function rollBack(run, ready, created) {
    const { s, deps, report } = run;
    const { newKey } = created;
    if (!ready.oldKey || report.oldKeyDied) {
        return (`There is no live old key to roll back to (${ready.oldKey ? 'it no longer answers' : 'a recovery'}): ` +
            `every destination keeps the new key ${newKey.id}, which stays active. Fix the consumers, ` +
            'and run again.');
    }
    const old = await run.revocations.oldKeyState();
    if (old.state !== 'answers') {
        return (`Nothing was rolled back: ${whyKept({ revoked: false, why: old.state === 'dead' ? 'old-dead' : 'old-unknown', said: old.said })}. ` +
            `Every destination keeps the new key ${newKey.id}; both keys stay active.`);
    }
    const given = ready.prepared.filter(p => {
        const status = report.destinations.find(d => d.destination === p.destination.label)?.status;
        return status === 'created' || status === 'updated';
    });
    const failed = [];
    for (const p of given) {
        const record = report.destinations.find(d => d.destination === p.destination.label);
        try {
            await deps.secrets.write(p, s.secretName, s.hiveApiKey);
            record.status = 'rolled back';
            record.detail = `${s.secretName} holds the old key again`;
        }
        catch (error) {
            const e = (0,ports/* asDestinationError */.PA)(error);
            record.detail = `rollback failed: ${e.message}`;
            failed.push(`${p.destination.label}: ${e.message}`);
        }
    }
    report.rotated = false;
    const holds = (status) => report.destinations.filter(d => d.status === status).map(d => d.destination);
    if (failed.length > 0) {
        warn(run.log, report, `The canary's rollback could not write ${failed.length} destination(s): both keys stay ` +
            'active, and nothing was revoked.');
        return (`Rolled back ${given.length - failed.length} of ${given.length} destination(s); the rest ` +
            `failed, so nothing was revoked and both keys stay active. Hold the old key ` +
            `${ready.oldKey.id}: ${holds('rolled back').join(', ') || 'none'}. Hold the new key ` +
            `${newKey.id}: ${given
                .map(p => p.destination.label)
                .filter(l => !holds('rolled back').includes(l))
                .join(', ')}.\n  - ${failed.join('\n  - ')}`);
    }
    try {
        const fate = await run.revocations.revokeNew(s.hiveAdminKey, newKey);
        if (fate.revoked) {
            report.revokedKeyIds.push(newKey.id);
            return (`Rolled back: every destination holds the old key ${ready.oldKey.id} again, and the new ` +
                `key ${newKey.id} was revoked. Every destination is as it was before the run.`);
        }
        return (`Rolled back: every destination holds the old key again; the new key ${newKey.id} was ` +
            `kept: ${whyKept(fate)}.`);
    }
    catch (error) {
        run.deps.journal?.revokeLater(newKey.id);
        return (`Rolled back: every destination holds the old key again; revoking the new key ` +
            `${newKey.id} failed (${error.message}): the post step tries again.`);
    }
}
/** Stopped during the canary: cancel the runs dispatched, keep both keys. */
async function canaryStopped(run, ready, { newKey }) {
    const runner = run.deps.workflows;
    const under = dispatched.get(run) ?? [];
    const cancelled = [];
    for (const u of under) {
        await runner
            ?.cancel(u.workflow, u.run.id)
            .then(() => cancelled.push(`${u.workflow.label} run ${u.run.id}`))
            .catch(() => undefined);
    }
    return ((cancelled.length ? `Cancelled the canary run(s): ${cancelled.join(', ')}. ` : '') +
        `Every destination holds the new key ${newKey.id}` +
        (ready.oldKey ? `; the old key ${ready.oldKey.id} still works and was kept` : '') +
        '. The next run starts from the new key.');
}
/** A line of the plan per canary workflow (dry-run and the plan). */
function describeCanaries(workflows, timeoutMinutes) {
    return workflows.map(w => `Dispatch ${(0,src_text/* sanitize */.aj)(w.label)} with the new key's id and wait for it (at most ` +
        `${timeoutMinutes} min); a failure rolls every destination back to the old key.`);
}

;// CONCATENATED MODULE: ./src/rotation/prune.ts



/**
 * Puts every leftover in the report, the spared ones with the reason, and warns about the others:
 * the ones interrupted runs left, which this run revokes.
 */
function recordLeftovers(s, log, report, all, spared) {
    report.leftovers = all.map(l => ({
        id: l.key.id,
        prefix: l.key.prefix,
        name: l.key.name,
        why: l.why,
        expiresAt: l.key.expires_at,
        outcome: spared(l) ?? 'found'
    }));
    const leftovers = all.filter(l => !spared(l));
    for (const l of all.filter(l => spared(l))) {
        log.info(`${l.key.id} (${l.key.prefix}…, ${l.why}), expiring ${l.key.expires_at ?? 'never'}: ${spared(l)}.`);
    }
    if (leftovers.length === 0)
        return;
    warn(log, report, `Found ${leftovers.length} leftover key(s) of earlier interrupted runs of this rotation: ` +
        leftovers.map(l => `${l.key.id} (${l.key.prefix}…, ${l.why})`).join(', ') +
        '. ' +
        (s.prune
            ? 'They are revoked once every destination holds the new key.'
            : 'prune: false, so they are only reported: revoke them in Hive.'));
}
/**
 * The prune step: revokes each leftover the preflight found, once every destination holds the new
 * key. A failure is a warning (the next run retries), never the run's.
 */
async function pruneLeftovers(s, deps, report, found, { adminKey, never, revoke }) {
    const { log } = deps;
    if (found.length === 0) {
        const spared = report.leftovers.length;
        return spared === 0
            ? 'No leftovers of earlier runs.'
            : `No leftovers to revoke; ${spared} key(s) left alone (see the leftovers table).`;
    }
    const now = deps.now();
    const failed = [];
    for (const { key } of found) {
        const record = report.leftovers.find(l => l.id === key.id);
        if (never.includes(key.id))
            continue; // the new and old keys: findLeftovers spares them too
        // Checked again: a key may have entered the last 24 h of its life during this run.
        if (!s.prune)
            record.outcome = 'kept (prune: false)';
        else if (inGrace(key, now))
            record.outcome = 'left to expire';
        else {
            try {
                await revoke(adminKey, key.id);
                report.revokedKeyIds.push(key.id);
                record.outcome = 'revoked';
            }
            catch (error) {
                record.outcome = 'revoke failed';
                failed.push(`${key.id} (${key.prefix}…): ${error.message}`);
            }
        }
        log.info(`${key.id} (${key.prefix}…, ${record.why}): ${record.outcome}`);
    }
    if (failed.length > 0) {
        warn(log, report, `Could not revoke ${failed.length} leftover key(s); every destination holds the new key, ` +
            `so this is safe to leave: the next run retries, or revoke them in Hive:\n` +
            failed.map(f => `  - ${f}`).join('\n'));
    }
    const count = (outcome) => report.leftovers.filter(l => l.outcome === outcome).length;
    return (`${count('revoked')} leftover key(s) revoked, ${count('revoke failed')} failed, ` +
        `${count('kept (prune: false)')} kept (prune: false); ${count('left to expire')} left to ` +
        `expire (given grace earlier), ${count('kept (revoke-old: false)')} kept (revoke-old: false).`);
}
/**
 * Step 6, prune: every destination holds the new key, so the leftovers of earlier runs can go.
 * Before the old key is retired: its name may be the only record of a key it replaced, and a run
 * stopped between revoking it and pruning would lose that record for good.
 *
 * Stopping after it (or during it) leaves: every destination holds the new key, the old key still
 * works, and any leftover not yet revoked is pruned by the next run.
 */
async function pruneStep(run, ready, created) {
    return {
        result: undefined,
        detail: await pruneLeftovers(run.s, run.deps, run.report, ready.leftovers, {
            adminKey: adminAfterStore(run, created),
            never: [created.newKey.id, ...(ready.oldKey ? [ready.oldKey.id] : [])],
            revoke: (adminKey, id) => run.revocations.revokeLeftover(adminKey, id)
        })
    };
}
function pruneStopped(_run, ready, { newKey }) {
    return (`Every destination holds the new key ${newKey.id} (${newKey.prefix}…)` +
        (ready.oldKey ? `; the old key ${ready.oldKey.id} still works` : '') +
        '. Leftovers not yet revoked are pruned by the next run.');
}

;// CONCATENATED MODULE: ./src/rotation/scope.ts
/** How far the expiry Hive grants may be from the one asked (Hive may round it). */
const EXPIRY_TOLERANCE_MS = 60_000;
function scopeIds(scope) {
    return scope.type === 'engagements'
        ? scope.engagement_ids
        : scope.type === 'campaigns'
            ? scope.campaign_ids
            : [];
}
/** True when a key of scope `outer` may grant scope `inner`. */
function scopeCovers(outer, inner) {
    if (outer.type === 'all')
        return true;
    if (outer.type !== inner.type)
        return false;
    const allowed = new Set(scopeIds(outer));
    return scopeIds(inner).every(id => allowed.has(id));
}
function sameScope(a, b) {
    const ids = (s) => [...scopeIds(s)].sort().join(',');
    return a.type === b.type && ids(a) === ids(b);
}
function sameExpiry(granted, asked) {
    if (granted === null || asked === null)
        return granted === asked;
    return Math.abs(Date.parse(granted) - Date.parse(asked)) <= EXPIRY_TOLERANCE_MS;
}

;// CONCATENATED MODULE: ./src/rotation/preflight.ts









/**
 * How many destinations are prepared at once (reads only; writes go one at a time). Octokit's
 * throttling plugin lets at most 10 requests run at once anyway, far below GitHub's 100.
 */
const READ_CONCURRENCY = 10;
const preflight_DAY_MS = 86_400_000;
async function preflight(run) {
    // Every read at once, in one round: the current key, the admin key, the active keys, and every
    // destination's public key and secret metadata. The destinations' answers are awaited before
    // the preflight ends whatever happens, so nothing of them comes after the report. With
    // rotate-if-expiring-within-days the run is often not due: GitHub is read only once it is.
    const alwaysDue = run.s.rotateIfExpiringWithinDays === undefined || run.emergency;
    const read = () => Promise.all([readDestinations(run.s, run.deps.secrets, run.pending), checkCanaries(run)]);
    const early = alwaysDue ? read() : undefined;
    try {
        return await decide(run, () => early ?? read());
    }
    finally {
        await early;
    }
}
async function decide(run, reading) {
    const { s, deps, report, keys } = run;
    const [currentRead, adminRead, activeRead] = await Promise.allSettled([
        readCurrentKey(run),
        s.separateAdminKey
            ? keys.current(s.hiveAdminKey, 'reading the admin key (hive-admin-key)')
            : undefined,
        keys.list(s.hiveAdminKey)
    ]);
    // Reported in the order they were asked: the current key's problem first.
    const current = settled(currentRead);
    let oldKey = 'dead' in current ? undefined : current;
    let dead = 'dead' in current ? current.dead : undefined;
    let admin = oldKey;
    if (s.separateAdminKey) {
        admin = settled(adminRead);
        report.adminKey = admin;
    }
    if (dead !== undefined) {
        // Two 401s: the admin's key list has the last word (deadOrListed).
        if (!s.separateAdminKey)
            throw deadKeyError(run, dead, recoveryProblem(s));
        const listed = deadOrListed(run, dead, settled(activeRead), admin);
        if (listed) {
            oldKey = listed;
            dead = undefined;
        }
        else {
            const problem = recoveryProblem(s);
            if (problem)
                throw deadKeyError(run, dead, problem);
        }
    }
    if (oldKey) {
        report.oldKey = oldKey;
        deps.journal?.oldKey(oldKey);
    }
    // A recovery has a separate admin key (recoveryProblem): `admin` is set either way.
    if (!admin)
        throw new RotationError('No admin key: set hive-admin-key.');
    // Two different values that Hive says are one key: an answer not to be trusted with a rotation
    // (the key it "replaces" would be the admin key, which nothing ever revokes).
    if (s.separateAdminKey && oldKey && oldKey.id === admin.id) {
        throw new RotationError(`Hive answered that hive-api-key and hive-admin-key, two different values, are the same key ` +
            `${(0,src_text/* sanitize */.aj)(admin.id)}. This is a protocol error: nothing was changed. Check hive-url, and ` +
            'that the two inputs hold the keys you mean.');
    }
    // The revocation policy's facts (revocation.ts): the old key is revoked only to retire it,
    // a separate admin key never, and no key active before the create is ever this run's.
    const facts = run.revocations.facts;
    facts.oldKeyId = oldKey?.id;
    if (s.separateAdminKey) {
        facts.adminKeyId = admin.id;
        deps.journal?.adminKeyId(admin.id);
    }
    for (const id of [oldKey?.id, admin.id])
        if (id !== undefined)
            run.knownIds.add(id);
    // In a recovery, both are explicit (recoveryProblem): the dead key's can't be read.
    const permission = s.permission === 'inherit' ? oldKey.permission : s.permission;
    const scope = s.scope === 'inherit' ? oldKey.scope : s.scope;
    checkAdmin(s, admin, permission, scope);
    if (dead !== undefined)
        warnRecovery(run, dead, permission, scope);
    const now = deps.now();
    const active = settled(activeRead);
    for (const key of active)
        run.knownIds.add(key.id);
    if (oldKey && dead === undefined)
        checkCurrentAgainstList(s.hiveApiKey, oldKey, active);
    const found = findLeftovers(s.keyName, active, oldKey, admin.id, now);
    if (found.inFlight)
        throw inFlightError(found.inFlight, run.emergency);
    // Expected, and left alone: a key given grace by an earlier run (Hive ends it), and with
    // revoke-old: false the old keys the current key replaced (kept on purpose).
    const spared = (l) => inGrace(l.key, now)
        ? 'left to expire'
        : !s.revokeOld && l.replacedByCurrent
            ? 'kept (revoke-old: false)'
            : undefined;
    const leftovers = found.leftovers.filter(l => !spared(l));
    recordLeftovers(s, run.log, report, found.leftovers, spared);
    const due = oldKey
        ? isDue(run, oldKey, leftovers, now)
        : { due: true, why: 'hive-api-key is dead (401): a recovery' };
    report.due = due.why;
    const currentKey = oldKey ? describeKey('Current key', oldKey) : 'Current key dead (401)';
    if (!due.due)
        return { due: false, detail: `${currentKey}. Not due: ${due.why}.` };
    const [destinations, canaryProblems] = await reading();
    const prepared = checkDestinations(s, destinations, report.destinations);
    if (canaryProblems.length > 0) {
        throw new RotationError(`${canaryProblems.length} canary workflow(s) can't be dispatched; nothing was changed:\n` +
            canaryProblems.map(p => `  - ${p}`).join('\n'));
    }
    report.plan = [
        ...(0,plan/* describePlan */.d)(s, oldKey, permission, scope, leftovers),
        ...describeCanaries(s.canaryWorkflows, s.canaryTimeoutMinutes)
    ];
    return {
        due: true,
        oldKey,
        dead,
        // A recovery's record of the key it replaces: the dead key's id can't be read, but its
        // prefix (the start of its value, as long as Hive's prefixes are) can be named.
        replaces: oldKey?.id ?? `prefix:${s.hiveApiKey.slice(0, admin.prefix.length)}`,
        prepared,
        permission,
        scope,
        leftovers,
        detail: `${currentKey}; ${prepared.length} destination(s) ready; ` +
            `${leftovers.length} leftover key(s). Due: ${due.why}.`
    };
}
/**
 * The current key, or, when Hive answers 401 to it, what Hive said: a key that may be dead
 * (expired, revoked, or left dead by an emergency run). One answer is not a verdict: a 401 is
 * asked again a moment later, and counts only when both are Hive's own 401 (the contract's JSON
 * error, not a gateway's page); a second answer of 200 makes it a normal run. The admin's key
 * list then has the last word (deadOrListed).
 */
async function readCurrentKey(run) {
    const read = () => run.keys.current(run.s.hiveApiKey, 'reading the current key (hive-api-key)');
    try {
        return await read();
    }
    catch (first) {
        if (first.status !== 401)
            throw first;
        await (run.deps.sleep ?? (ms => run.cancellation.sleep(ms)))(CONFIRM_401_MS);
        let second;
        try {
            const key = await read();
            run.log.info('hive-api-key answered 401 once, then 200 a moment later: a transient answer, not a ' +
                'dead key. The run goes on as usual.');
            return key;
        }
        catch (error) {
            second = error;
        }
        if (second.status !== 401)
            throw second;
        const own = [first, second].every(e => e.code === 'unauthorized');
        if (!own) {
            throw new RotationError('hive-api-key answered 401 twice, but not with the Hive API’s own error (a gateway or ' +
                'proxy page): that is not a verdict that the key is dead, so nothing was changed. ' +
                'Check hive-url and any gateway in front of Hive, and run again.');
        }
        const { hiveMessage } = second;
        return {
            dead: hiveMessage ? `Hive said: "${(0,src_text/* sanitize */.aj)(hiveMessage, [], 200)}"` : 'Hive gave no reason'
        };
    }
}
/**
 * Which key hive-api-key is, as GET /api-keys/current answered, must agree with the admin's list
 * of active keys: its prefix starts hive-api-key's value, and the list holds a key under its id
 * whose prefix does too. That id is the one the retire step revokes: an answer that names another
 * key's id would have the run revoke a key it never held (the property test's seed 29: a
 * self-managed key answered as the platform admin key, which the run then revoked as "the old
 * key"). With a separate admin key, the two current answers catch a shared id too (decide); this
 * check needs no second key.
 */
function checkCurrentAgainstList(hiveApiKey, current, active) {
    const id = (0,src_text/* sanitize */.aj)(current.id);
    const listed = active.find(k => k.id === current.id);
    const problem = !hiveApiKey.startsWith(current.prefix)
        ? `its prefix ${(0,src_text/* sanitize */.aj)(current.prefix)}… is not the start of hive-api-key`
        : !listed
            ? `Hive's list of active keys has no key ${id}`
            : !hiveApiKey.startsWith(listed.prefix)
                ? `Hive's list of active keys shows ${id} with the prefix ${(0,src_text/* sanitize */.aj)(listed.prefix)}…, ` +
                    'which is not the start of hive-api-key'
                : undefined;
    if (problem) {
        throw new RotationError(`Hive answered that hive-api-key is the key ${id}, but ${problem}: the answers disagree ` +
            'about which key hive-api-key is. This is a protocol error: nothing was changed. Check ' +
            'hive-url (and any proxy or gateway that could rewrite answers), and run again.');
    }
}
/** The wait before a 401 of hive-api-key is asked again. */
const CONFIRM_401_MS = 1_000;
/**
 * hive-api-key answered Hive's own 401 twice: is it in the admin's list of active keys all the
 * same (a key whose prefix starts its value)? Then it is not dead, whatever the 401s said:
 *   - in an emergency, exactly one such key is the compromised key: it is revoked first, as ever;
 *   - otherwise the run stops with nothing changed (a transient answer, or a gateway).
 * Returns the listed key in an emergency, undefined when the list confirms the key is dead.
 */
function deadOrListed(run, said, active, admin) {
    const { s } = run;
    const listed = active.filter(k => k.id !== admin.id && s.hiveApiKey.startsWith(k.prefix));
    if (listed.length === 0)
        return undefined;
    const which = listed.map(k => `${k.id} (${k.prefix}…)`).join(', ');
    if (run.emergency && listed.length === 1) {
        warn(run.log, run.report, `hive-api-key answered 401 (${said}), but Hive's key list shows it active as ${which}: ` +
            'it is revoked first all the same, as the compromised key.');
        return listed[0];
    }
    throw new RotationError(`hive-api-key answered 401 twice (${said}), but Hive's key list (read with hive-admin-key) ` +
        `shows an active key whose prefix starts it: ${which}. One answer is not a verdict: the ` +
        'run did not treat the key as dead, and nothing was changed. Run again; if it persists, ' +
        'check the key in Hive.' +
        (run.emergency && listed.length > 1
            ? ' In an emergency, revoke the compromised key in Hive by hand now: more than one ' +
                'active key has its prefix.'
            : ''));
}
/**
 * What keeps a dead key from being recovered, as the inputs to set; '' when nothing does. The new
 * key must be made without the dead one: by a separate admin key, with a permission and scope
 * given outright (the dead key's own can no longer be read).
 */
function recoveryProblem(s) {
    const missing = [
        ...(s.separateAdminKey
            ? []
            : ['hive-admin-key (an admin key other than hive-api-key, which is the dead one)']),
        ...(s.permission === 'inherit'
            ? ['permission (read-only, read-write or admin: what your jobs need)']
            : []),
        ...(s.scope === 'inherit' ? ['scope (all, engagements:<ids> or campaigns:<ids>)'] : [])
    ];
    return missing.length === 0 ? '' : missing.join('; ');
}
function deadKeyError(run, said, missing) {
    return new RotationError(`hive-api-key answers 401: Hive does not accept it (expired, revoked, or never a key of ` +
        `this Hive: check that the secret holds the whole value; ${said}), so ` +
        'every consumer that holds it is failing now' +
        (run.emergency ? ', and there is nothing left to revoke' : '') +
        '. This action can recover: it makes a new key with an admin key, tests it and stores ' +
        `it in every destination. For that, set: ${missing}. ` +
        (run.s.permission === 'inherit' || run.s.scope === 'inherit'
            ? 'Permission and scope cannot be inherited from a dead key. '
            : '') +
        'Nothing was changed.');
}
/** The loud warning of a recovery, in the log and the summary. */
function warnRecovery(run, said, permission, scope) {
    run.report.recovery = said;
    warn(run.log, run.report, `RECOVERY: hive-api-key is dead: Hive answers 401 to it (${said}). Every consumer that ` +
        'holds it has been failing since it died. This run makes its successor with ' +
        `hive-admin-key (${permission}, ${(0,plan/* describeScope */.O)(scope)}), tests it and stores it in every ` +
        'destination; there is no old key to revoke. Find out why the key died (an expired key, ' +
        'a rotation that stopped running, an emergency run that failed) so it does not happen again.');
}
/** Due: always without rotate-if-expiring-within-days; else when expiring, or leftovers exist. */
function isDue(run, key, found, now) {
    const days = run.s.rotateIfExpiringWithinDays;
    if (run.emergency)
        return { due: true, why: 'mode emergency: the current key is compromised' };
    if (days === undefined)
        return { due: true, why: 'on every run (rotate-if-expiring-within-days is empty)' };
    const expires = key.expires_at === null ? Infinity : Date.parse(key.expires_at);
    const expiry = `the current key expires ${key.expires_at ?? 'never'}`;
    if (expires <= now.getTime() + days * preflight_DAY_MS) {
        return { due: true, why: `${expiry}, within ${days} day(s)` };
    }
    if (found.length > 0) {
        return {
            due: true,
            why: `${expiry}, later than ${days} day(s), but leftovers of an interrupted run exist and ` +
                'only a full store proves that every destination holds one key'
        };
    }
    return { due: false, why: `${expiry}, later than ${days} day(s) from now` };
}
function inFlightError({ key, createdAt }, emergency) {
    const after = inFlightUntil(createdAt);
    return new RotationError(`Another rotation seems to be in flight: key ${key.id} (${key.prefix}…) "${(0,src_text/* sanitize */.aj)(key.name)}" of ` +
        `this rotation was created at ${createdAt}, after the current key, less than ` +
        `${IN_FLIGHT_MS / 60_000} minutes ago. Stopped rather than race it; nothing was changed. ` +
        `If no other run is going on (an earlier run was cancelled or killed), run again after ` +
        `${after}: it then finishes what the earlier run left. To keep two runs from overlapping, give the ` +
        'workflow a concurrency group (concurrency: { group: rotate-hive-api-key, ' +
        'cancel-in-progress: false }).' +
        (emergency
            ? ' In an emergency that cannot wait, revoke the compromised key in Hive by hand now.'
            : ''));
}
/** The admin key must be admin and able to grant what the new key asks for. */
function checkAdmin(s, admin, permission, scope) {
    const which = s.separateAdminKey ? 'hive-admin-key' : 'hive-api-key (no hive-admin-key given)';
    if (admin.permission !== 'admin') {
        throw new RotationError(`${which} has permission ${admin.permission}; creating and revoking keys needs admin. ` +
            (s.separateAdminKey
                ? 'Pass an admin key as hive-admin-key.'
                : 'Either rotate an admin key, or pass an admin key as hive-admin-key.'));
    }
    if (!s.separateAdminKey && permission !== 'admin') {
        throw new RotationError(`permission ${permission} would leave the rotated key unable to rotate itself next time, ` +
            'since without hive-admin-key the rotated key is its own admin. Pass hive-admin-key, or ' +
            'leave permission as inherit.');
    }
    if (!scopeCovers(admin.scope, scope)) {
        throw new RotationError(`${which} has ${(0,plan/* describeScope */.O)(admin.scope)} and cannot grant ${(0,plan/* describeScope */.O)(scope)}; ` +
            'set scope to what the admin key covers.');
    }
}
/** The value of a settled read, or its error thrown. */
function settled(result) {
    if (result.status === 'rejected')
        throw result.reason;
    return result.value;
}
/**
 * Every canary workflow exists and is active (read-only); the problems, every one at once. Never
 * rejects.
 */
async function checkCanaries(run) {
    const { canaryWorkflows } = run.s;
    const runner = run.deps.workflows;
    if (canaryWorkflows.length === 0)
        return [];
    if (!runner)
        return ['canary-workflows is set, but this run has no GitHub workflow runner'];
    const checked = await Promise.allSettled(canaryWorkflows.map(w => runner.check(w)));
    return checked.flatMap((c, i) => c.status === 'rejected' ? [`${canaryWorkflows[i].label}: ${c.reason.message}`] : []);
}
/** Every destination's reads, a few destinations at a time; never rejects. */
async function readDestinations(s, secrets, pending) {
    const results = [];
    let next = 0;
    async function worker() {
        while (next < s.destinations.length) {
            const i = next++;
            try {
                results[i] = await secrets.prepare(s.destinations[i]);
                const checks = results[i].pending;
                if (checks)
                    pending.push(checks);
            }
            catch (error) {
                results[i] = (0,ports/* asDestinationError */.PA)(error);
            }
        }
    }
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, s.destinations.length) }, worker));
    return results;
}
/**
 * Records what each destination's reads found, and fails with every problem at once. Then the
 * guard: when no destination holds a secret named `secret-name`, the key being rotated is kept
 * under another name (aphids-cli's examples say APHIDS_API_KEY), and a rotation would write a
 * secret nobody reads and revoke the key everybody reads: stop, and name the secrets that do exist.
 */
function checkDestinations(s, results, records) {
    records.push(...s.destinations.map(d => ({ destination: d.label, status: 'not written' })));
    const problems = [];
    results.forEach((r, i) => {
        const record = records[i];
        if (r instanceof ports/* DestinationError */.lt) {
            record.status = 'unreachable';
            record.detail = r.message;
            problems.push(`  - ${record.destination}: ${r.message}`);
        }
        else {
            record.status = 'ready';
            record.publicKeyId = r.publicKeyId;
            if (!r.secret.exists)
                record.detail = `${s.secretName} does not exist here: it will be created`;
        }
    });
    if (problems.length > 0) {
        throw new RotationError(`${problems.length} of ${s.destinations.length} destination(s) can't be written; nothing ` +
            `was changed:\n${problems.join('\n')}`);
    }
    const prepared = results;
    if (prepared.every(p => !p.secret.exists))
        throw secretNowhere(s, prepared);
    return prepared;
}
/** Names shown per destination in the "lives nowhere" message. */
const NAMES_SHOWN = 10;
function secretNowhere(s, prepared) {
    const where = prepared.map(p => {
        const found = p.secret.exists ? undefined : p.secret;
        const names = found?.otherNames;
        if (names === undefined)
            return `${p.destination.label}: (its secrets could not be listed)`;
        if (names.length === 0)
            return `${p.destination.label} holds no secrets`;
        const total = found?.total ?? names.length;
        const more = total > NAMES_SHOWN ? ` and ${total - NAMES_SHOWN} more` : '';
        return `${p.destination.label} holds ${names.slice(0, NAMES_SHOWN).join(', ')}${more}`;
    });
    const one = prepared.length === 1;
    return new RotationError(`${one ? 'The destination does not hold' : `None of the ${prepared.length} destinations holds`} ` +
        `a secret named ${s.secretName}, so the key being rotated is kept somewhere else. Stopped ` +
        `before anything changed: a rotation would create ${s.secretName} where nothing reads it ` +
        `and revoke the key your jobs use. ${where.join('; ')}. Set secret-name to the secret ` +
        'your jobs read (aphids-cli’s examples use APHIDS_API_KEY), or add the destination that ' +
        'holds it. To start from nothing, store the current key under that name at one ' +
        'destination first.');
}

;// CONCATENATED MODULE: ./src/rotation/retire.ts
/**
 * Step 7, retire: the old key, only now that every destination holds the new one: revoked and
 * confirmed dead (Hive must refuse it), given a grace period (its expiry shortened, never
 * lengthened; Hive ends it), or kept (revoke-old: false). Before that, a warning if anything but
 * this run used it in the last 24 h: that consumer still holds it.
 *
 * Stopping after it (or during it) leaves: every destination holds the new key. The old key is
 * revoked, or (stopped before Hive answered) may still work: the next run finds it replaced by
 * the current key and prunes it.
 */



async function retireOldKey(run, ready, created) {
    const { s, report } = run;
    const { oldKey } = ready;
    if (run.emergency) {
        return {
            result: undefined,
            detail: `The compromised key ${oldKey.id} was revoked before the new key was created.`
        };
    }
    if (!s.revokeOld) {
        report.retired = 'kept';
        return {
            result: undefined,
            detail: `Kept the old key ${oldKey.id} (revoke-old: false); it expires ${oldKey.expires_at ?? 'never'}.`
        };
    }
    if (s.oldKeyGraceMinutes > 0) {
        await noteOutsideUse(run, ready, `expires in ${s.oldKeyGraceMinutes} minute(s)`);
        return { result: undefined, detail: await giveGrace(run, ready) };
    }
    await noteOutsideUse(run, ready, 'is revoked now');
    const outcome = await retireByRevoking(run, ready, adminAfterStore(run, created));
    return {
        result: undefined,
        detail: (outcome === 'revoked'
            ? `Revoked the old key ${oldKey.id} (${oldKey.prefix}…)`
            : `The old key ${oldKey.id} was already revoked`) + `; it now answers 401.`
    };
}
/**
 * Revoke the old key and check that Hive refuses it now. The one revocation of the old key
 * (here, or in the emergency step), through the revocation policy (revocation.ts).
 */
async function retireByRevoking(run, { oldKey }, adminKey) {
    const { s, report } = run;
    const outcome = await run.revocations.revokeOld(adminKey, run.emergency ? 'compromised' : 'retire');
    report.revokedKeyIds.push(oldKey.id);
    report.retired = 'revoked';
    if (!(await run.keys.confirmRevoked(s.hiveApiKey, s.verifyPath))) {
        throw new RotationError(`Hive answered that the old key ${oldKey.id} was revoked, but ${s.verifyPath} still ` +
            `accepts it. ` +
            (run.emergency
                ? 'Nothing else was changed: revoke it in Hive by hand, check that it answers 401, ' +
                    'and run again.'
                : `Every destination holds the new key; revoke ${oldKey.id} (${oldKey.prefix}…) in ` +
                    'Hive and check it answers 401.'));
    }
    return outcome;
}
/** Shorten the old key's expiry to now + grace (never lengthen it): Hive ends it itself. */
async function giveGrace(run, { oldKey }) {
    const { s, report } = run;
    const until = new Date(run.deps.now().getTime() + s.oldKeyGraceMinutes * 60_000);
    report.retired = 'grace';
    if (oldKey.expires_at !== null && Date.parse(oldKey.expires_at) <= until.getTime()) {
        return `The old key ${oldKey.id} already expires at ${oldKey.expires_at}, within the grace of ${s.oldKeyGraceMinutes} minute(s); left as it is.`;
    }
    const updated = await run.keys.update(s.hiveAdminKey, oldKey.id, {
        expires_at: (0,names/* isoSeconds */.nE)(until)
    });
    const expires = updated.expires_at === null ? Infinity : Date.parse(updated.expires_at);
    if (!(expires <= until.getTime() + 1000)) {
        throw new RotationError(`Hive accepted the new expiry of the old key ${oldKey.id} but reports it expiring ` +
            `${updated.expires_at ?? 'never'}, not ${(0,names/* isoSeconds */.nE)(until)}. Every destination holds ` +
            `the new key; revoke ${oldKey.id} (${oldKey.prefix}…) in Hive once running jobs are done.`);
    }
    report.oldKey = updated;
    return (`Gave the old key ${oldKey.id} (${oldKey.prefix}…) a grace of ${s.oldKeyGraceMinutes} ` +
        `minute(s): it expires at ${updated.expires_at}, and Hive ends it then.`);
}
/**
 * Before the old key is retired: did anything but this run use it in the last 24 h? Its
 * destinations' own jobs, or a consumer outside the destinations, which will now fail. A
 * warning at most: no usage data, or an error reading it, is passed over quietly.
 */
async function noteOutsideUse(run, ready, fate) {
    const { log, report } = run;
    const { oldKey } = ready;
    const read = await (run.usageRead ?? readUsage(run, ready));
    run.usageRead = undefined;
    try {
        if ('error' in read)
            throw read.error;
        const { usage, ownUse } = read;
        if (usage === null)
            return log.debug(`No usage data for ${oldKey.id}.`);
        const others = usage.requests_24h - ownUse;
        if (others <= 0)
            return log.info(`Only this run used ${oldKey.id} in the last 24 h.`);
        warn(log, report, `Something other than this run used the old key ${oldKey.id} (${oldKey.prefix}…) ` +
            `${others} time(s) in the last 24 h (last at ${usage.last_used_at ?? 'unknown'}), and ` +
            `it ${fate}. If that is the destinations' own jobs, they read the new key from now ` +
            `on; a consumer outside the destinations still holds the old key and will fail: add ` +
            `it to destinations.`);
    }
    catch (error) {
        if (run.cancellation.requested)
            throw error;
        log.debug(`Could not read the usage of ${oldKey.id}: ${error.message}`);
    }
}
function readUsage(run, { oldKey }) {
    const { s, keys } = run;
    return keys.usage(s.hiveAdminKey, oldKey.id).then(
    // An upper bound of this run's own use: every attempt, the usage request included.
    usage => ({ usage, ownUse: keys.sentWith(s.hiveApiKey) }), (error) => ({ error }));
}
/**
 * Starts the retire step's usage read now, so that it goes with the new key's test instead of
 * a round of its own; only when the retire step will read it (revoke or grace).
 */
function readUsageAhead(run, ready) {
    if (run.emergency || !run.s.revokeOld)
        return;
    run.usageRead = readUsage(run, ready);
}
/** Stopped during the retire: nothing to undo; every destination holds the new key. */
function retireStopped(run, { oldKey }, { newKey }) {
    const revoked = run.report.revokedKeyIds.includes(oldKey.id);
    return (`Every destination holds the new key ${newKey.id} (${newKey.prefix}…). The old key ` +
        `${oldKey.id} (${oldKey.prefix}…) ` +
        (revoked ? 'was revoked.' : 'may still work: the next run prunes it as a leftover.'));
}

;// CONCATENATED MODULE: ./src/rotation/emergency.ts
/**
 * The emergency step (mode emergency only), between the preflight and the create: the current key
 * is compromised, so it dies first, before its successor exists.
 *
 * Stopping after it leaves: the compromised key revoked, no new key, and every destination holding
 * a dead key: every consumer fails until a run stores a new key. The next run finds hive-api-key
 * answering 401 and recovers (preflight.ts) when given hive-admin-key, permission and scope.
 */


async function revokeCompromised(run, ready) {
    const { oldKey } = ready;
    warn(run.log, run.report, `EMERGENCY: revoking the compromised key ${oldKey.id} (${oldKey.prefix}…) now. Every ` +
        `consumer that holds it fails until the new key is stored in every destination.`);
    await noteOutsideUse(run, ready, 'is revoked now');
    await retireByRevoking(run, ready, run.s.hiveAdminKey);
    return {
        result: undefined,
        detail: `Revoked the compromised key ${oldKey.id} (${oldKey.prefix}…); it answers 401.`
    };
}
/** Stopped during the emergency step: the compromised key may or may not be revoked yet. */
function emergencyStopped(run, { oldKey }) {
    return run.report.revokedKeyIds.includes(oldKey.id)
        ? `The compromised key ${oldKey.id} was revoked and no new key exists: every consumer ` +
            'fails until a run stores a new key.'
        : `The compromised key ${oldKey.id} may or may not be revoked (the request was cut off); ` +
            'no new key exists.';
}

;// CONCATENATED MODULE: ./src/rotation/create.ts







const create_DAY_MS = 86_400_000;
async function createKey(run, ready) {
    const { s, deps, report } = run;
    const now = deps.now();
    const asked = {
        name: (0,names/* newKeyName */.Lc)(s.keyName, now, ready.replaces, run.mark),
        permission: ready.permission,
        scope: ready.scope,
        expires_at: (0,names/* isoSeconds */.nE)(new Date(now.getTime() + s.expiresInDays * create_DAY_MS))
    };
    run.asked = asked;
    run.revocations.facts.asked = asked.name;
    // The ids active before the create, for the post step: none of them is ever this run's.
    deps.journal?.seen(run.knownIds);
    let created;
    try {
        created = await run.keys.create(s.hiveAdminKey, asked);
    }
    catch (error) {
        // An answer that broke the contract, or none (a timeout, a 5xx): Hive may have made the key
        // all the same. A definite refusal (4xx) made nothing.
        const { kind, status } = error;
        const refused = kind === 'status' && status !== undefined && status < 500;
        if (refused || !['invalid-response', 'status', 'timeout', 'network'].includes(kind ?? '')) {
            throw error;
        }
        return refuseCreated(run, ready, error.message, {
            protocol: kind === 'invalid-response'
        });
    }
    deps.mask(created.key);
    const problem = createdProblem(run, created, asked);
    if (problem) {
        return refuseCreated(run, ready, `Hive's answer to the create is not the key that was asked for: ${problem}.`);
    }
    const { key: value, ...newKey } = created;
    report.newKey = newKey;
    // Only now, checked: the post step revokes a journaled new key no write was sent for, so a
    // hostile answer naming the old or admin key must never reach the journal.
    run.revocations.facts.ownIds.add(newKey.id);
    deps.journal?.newKey(newKey);
    const answeredName = newKey.name;
    if (newKey.name !== asked.name)
        await keepRecord(run, ready, newKey, asked.name, now);
    return {
        result: { value, newKey },
        detail: `Created ${newKey.id} (${newKey.prefix}…) "${(0,src_text/* sanitize */.aj)(answeredName)}", ` +
            `${newKey.permission}, ${(0,plan/* describeScope */.O)(newKey.scope)}, expires ${newKey.expires_at}.`
    };
}
/** Why Hive's answer to the create can't be the key asked for; '' when it can. */
function createdProblem(run, created, asked) {
    const { s } = run;
    if (run.knownIds.has(created.id)) {
        return `its id ${created.id} is that of ${knownRole(run, created.id)}, not a new key`;
    }
    if (created.key === s.hiveApiKey)
        return 'its value is that of hive-api-key, not a new key';
    if (created.key === s.hiveAdminKey)
        return 'its value is that of hive-admin-key, not a new key';
    if (created.prefix.length >= created.key.length || !created.key.startsWith(created.prefix)) {
        return 'its prefix is not the start of its value';
    }
    if (created.permission !== asked.permission) {
        return `its permission is ${created.permission}, not ${asked.permission}`;
    }
    if (!sameScope(created.scope, asked.scope)) {
        return `it has ${(0,plan/* describeScope */.O)(created.scope)}, not ${(0,plan/* describeScope */.O)(asked.scope)}`;
    }
    if (!sameExpiry(created.expires_at, asked.expires_at)) {
        return `it expires ${created.expires_at ?? 'never'}, not ${asked.expires_at}`;
    }
    return '';
}
function knownRole(run, id) {
    if (id === run.report.oldKey?.id)
        return 'the key being rotated (hive-api-key)';
    if (run.revocations.isProtected(id))
        return 'the admin key (hive-admin-key)';
    return 'a key that was active before this run';
}
/**
 * Hive stored another name than the one asked for (a Hive that cuts names, say): the rotation's
 * record ("replaces <old id>") must survive, or a later run can't find the old key. The key is
 * renamed to the record without the run's mark (its id proves it ours from now on), when that
 * fits what this Hive keeps; the journal keeps the old key's id either way. A warning, never a
 * failure: the key itself is what was asked for.
 */
async function keepRecord(run, ready, newKey, asked, now) {
    const { s, log, report, deps } = run;
    const cut = asked.startsWith(newKey.name);
    const compact = (0,names/* compactKeyName */.Mw)(s.keyName, (0,names/* isoSeconds */.nE)(now), ready.replaces);
    const said = `Hive stored the new key's name as "${(0,src_text/* sanitize */.aj)(newKey.name)}", not the name asked for ` +
        `("${(0,src_text/* sanitize */.aj)(asked)}"): ${cut ? `it cuts names at ${newKey.name.length} characters` : 'it altered it'}.`;
    if (cut && compact.length > newKey.name.length) {
        warn(log, report, `${said} Even without the run's mark the rotation's record ("${compact}") does not fit, ` +
            'so a later run may not find the key this one replaces. Shorten key-name to at most ' +
            `${Math.max(0, s.keyName.length - (compact.length - newKey.name.length))} characters.`);
        return;
    }
    try {
        const updated = await run.keys.update(s.hiveAdminKey, newKey.id, { name: compact });
        if (updated.name !== compact)
            throw new Error(`Hive stored "${(0,src_text/* sanitize */.aj)(updated.name)}"`);
        newKey.name = compact;
        deps.journal?.newKey(newKey);
        warn(log, report, `${said} Renamed it "${compact}", which keeps the rotation's record.`);
    }
    catch (error) {
        warn(log, report, `${said} Renaming it to "${compact}" failed (${error.message}): a later run ` +
            `may not find the key this one replaces${ready.oldKey ? ` (${ready.oldKey.id})` : ''}.`);
    }
}
/**
 * Revokes what this run made for the create request it sent, when the answer never came or could
 * not be used: an active key that carries this run's mark (names.ts) and that no key before the
 * create had. The answered id alone proves nothing (a hostile answer may name any key), so it is
 * never revoked on its own word. The revocation policy keeps such a key when the old key does
 * not answer (a Hive whose create revokes the old key); it is then renamed stopped, for the next
 * run. Nothing found: the post step looks again. Returns a sentence of what it did.
 */
async function revokeMadeByMark(run) {
    const revoked = [];
    const kept = [];
    const failed = [];
    let found;
    try {
        found = (await run.keys.list(run.s.hiveAdminKey)).filter(k => run.revocations.isOwn(k));
    }
    catch (error) {
        run.deps.journal?.findCreatedLater();
        return (` Looking for the key Hive made also failed (${error.message}); the post step ` +
            `looks again. A key whose name starts "${run.s.keyName} ${run.mark}" is this run's: ` +
            'revoke it in Hive if it stays.');
    }
    if (found.length === 0) {
        run.deps.journal?.findCreatedLater();
        return (` No key carries this run's mark (${run.mark}); the post step looks again, and one Hive ` +
            'may still be making is a leftover the next run prunes.');
    }
    for (const key of found) {
        try {
            const fate = await run.revocations.revokeNew(run.s.hiveAdminKey, key);
            if (fate.revoked) {
                revoked.push(key.id);
                run.report.revokedKeyIds.push(key.id);
                continue;
            }
            const renamed = (0,names/* stoppedName */.dg)(run.s.keyName, key.name);
            if (renamed !== undefined) {
                await run.keys.update(run.s.hiveAdminKey, key.id, { name: renamed }).catch(() => undefined);
            }
            kept.push(`${key.id} (${whyKept(fate)})`);
        }
        catch (error) {
            run.deps.journal?.revokeLater(key.id);
            failed.push(`${key.id} (${error.message})`);
        }
    }
    return ((revoked.length > 0 ? ` Revoked the key(s) this run made: ${revoked.join(', ')}.` : '') +
        (kept.length > 0 ? ` Kept the key(s) this run made: ${kept.join('; ')}.` : '') +
        (failed.length > 0
            ? ` Revoking failed for ${failed.join('; ')}: the post step tries again.`
            : ''));
}
/** A create answer that can't be used (or none came): revoke what this run made, and fail. */
async function refuseCreated(run, ready, reason, { protocol = true } = {}) {
    const outcome = await revokeMadeByMark(run);
    // What the message says of the old key is checked, not assumed: a create may have revoked it.
    if (ready.oldKey && !run.emergency && !run.revocations.lastCheck) {
        await run.revocations.oldKeyState();
    }
    const used = protocol
        ? ' This is a protocol error: the answer was not used and nothing was stored.'
        : ' Nothing was stored.';
    throw new RotationError(`${reason}${used}${outcome} ${unchanged(run, ready.oldKey)}`);
}
/** Stopped during the create: whatever it made is revoked (found by the run's mark), or kept. */
async function createStopped(run) {
    if (!run.asked)
        return 'No key was created.';
    return (await revokeMadeByMark(run)).trim();
}

;// CONCATENATED MODULE: ./src/rotation/store-key.ts





async function storeKey(run, ready, created) {
    const { s, report, log, deps } = run;
    const { prepared, oldKey } = ready;
    const { newKey } = created;
    const failures = [];
    // The preflight's warnings come before any write.
    await Promise.all(run.pending);
    for (const p of prepared) {
        run.cancellation.throwIfStopped();
        const record = report.destinations.find(d => d.destination === p.destination.label);
        const existed = p.secret.exists;
        // Confirmed when it returns: GitHub shows the secret changed since the preflight.
        const error = await writeNewKey(run, p, created, status => `${s.secretName} ${status}` + (existed ? '' : ' (did not exist)'));
        if (error === undefined) {
            log.info(`${p.destination.label}: ${record.detail}, confirmed`);
            continue;
        }
        if (run.cancellation.requested)
            throw error;
        failures.push({ record, error });
        log.warning(`${p.destination.label}: ${error.message}`);
    }
    if (failures.length > 0) {
        const noneHolds = failures.length === prepared.length && failures.every(f => f.error.definite);
        let outcome;
        // The revocation policy revokes it only while the old key answers (never in an emergency).
        if (noneHolds && !run.emergency) {
            outcome = await discardUnheld(run, ready, created, { store: false });
        }
        else {
            outcome = noneHolds
                ? `No destination holds the new key ${newKey.id}; it stays active, the only live key ` +
                    'of this rotation, for the next run to store.'
                : `The new key ${newKey.id} stays active: some destinations hold it or may hold it.`;
        }
        const old = !oldKey
            ? 'The dead key stays in the destinations not written. Fix the cause and run again ' +
                '(the recovery again, or mode rotate with hive-api-key read from a destination that ' +
                'holds the new key).'
            : run.emergency
                ? `The compromised key ${oldKey.id} is revoked, so the destinations not written hold a ` +
                    'dead key until a run stores the new one. Fix the cause and run again with mode: ' +
                    'rotate, hive-api-key read from a destination that holds the new key.'
                : report.oldKeyDied
                    ? `The old key ${oldKey.id} no longer answers (${report.oldKeyDied.said}), so the ` +
                        'destinations not written hold a dead key until a run stores the new one. Fix the ' +
                        'cause and run again with hive-admin-key, permission and scope set (a recovery), or ' +
                        'hive-api-key read from a destination that holds the new key.'
                    : `The old key ${oldKey.id} was not revoked, so every destination still holds a key that ` +
                        'works. Fix the cause and run again' +
                        (report.revokedKeyIds.includes(newKey.id)
                            ? '.'
                            : ` (a run given the old key before ${inFlightUntil(newKey.created_at || (0,names/* isoSeconds */.nE)(deps.now()))} stops, taking the new ` +
                                'key for a rotation in flight).');
        throw new RotationError(`${failures.length} of ${prepared.length} destination(s) could not be written. ${outcome} ` +
            `${old}\n` +
            failures.map(f => `  - ${f.record.destination}: ${f.error.message}`).join('\n'));
    }
    report.rotated = true;
    if (report.oldKeyDied)
        report.oldKeyDied.to = (0,names/* isoSeconds */.nE)(deps.now());
    if (run.emergency) {
        warn(log, report, `EMERGENCY: consumers holding the compromised key failed from its revocation until this ` +
            `store completed; every destination now holds the new key ${newKey.id}.`);
    }
    return {
        result: undefined,
        detail: `${s.secretName} written to ${prepared.length} destination(s).`
    };
}
/**
 * Stopped during the store: a new key no write was sent for is revoked (not in an emergency,
 * where it is the only live key); otherwise both keys stay, and this says who holds which.
 */
async function storeStopped(run, ready, created) {
    const { newKey } = created;
    const { oldKey } = ready;
    if (run.writesSent.length === 0) {
        return `No write was sent. ${await discardUnheld(run, ready, created)}`;
    }
    const byStatus = (wanted) => run.report.destinations.filter(d => wanted.includes(d.status)).map(d => d.destination);
    const holdsNew = byStatus(['created', 'updated']);
    const unsure = run.writesSent.filter(l => !holdsNew.includes(l));
    const holdsOld = run.report.destinations
        .map(d => d.destination)
        .filter(l => !run.writesSent.includes(l));
    const list = (labels) => (labels.length > 0 ? labels.join(', ') : 'none');
    const renamed = await markStopped(run, created);
    return ((renamed ? `${renamed[0].toUpperCase()}${renamed.slice(1)} ` : '') +
        `The new key ${newKey.id} (${newKey.prefix}…) was kept` +
        (oldKey
            ? `, and so was the old key ${oldKey.id} (${oldKey.prefix}…)` +
                `${run.emergency ? ', revoked as compromised' : ''}. `
            : ' (the old key was already dead). ') +
        `Hold the new key: ${list(holdsNew)}. May hold either (write sent, not confirmed): ` +
        `${list(unsure)}. Hold the old key: ${list(holdsOld)}.`);
}
/**
 * A new key that no destination holds, to be given up (its test failed, no write could land, or
 * a signal stopped the run before any write). The revocation policy decides (revocation.ts):
 *
 *   - the old key answers now: the new key is revoked, and everything is as it was;
 *   - the old key is dead (a Hive whose create revokes the old key, say): the new key is the only
 *     live key, so it is kept and stored in every destination that lacks it (unless `store` is
 *     false: every destination refused it already);
 *   - the old key's state is unknown: the new key is kept, renamed stopped so that the next run
 *     prunes it, and left to the post step to revoke once the old key answers.
 *
 * Never throws: returns what it did, for the run's message.
 */
async function discardUnheld(run, ready, created, { store = true } = {}) {
    const { newKey } = created;
    const { report } = run;
    if (report.revokedKeyIds.includes(newKey.id))
        return `The new key ${newKey.id} was revoked.`;
    let fate;
    try {
        fate = await run.revocations.revokeNew(run.s.hiveAdminKey, newKey);
    }
    catch (error) {
        run.deps.journal?.revokeLater(newKey.id);
        return (`No destination holds the new key; revoking it failed (${error.message}). ` +
            `The post step tries again if the old key still answers; else revoke ${newKey.id} ` +
            `(${newKey.prefix}…) in Hive by hand.`);
    }
    if (fate.revoked) {
        report.revokedKeyIds.push(newKey.id);
        return (`No destination holds the new key, and the old key answered just now, so the new key ` +
            `${newKey.id} was revoked.`);
    }
    if (fate.why === 'old-dead') {
        oldKeyDied(run, created, fate.said);
        const stored = store
            ? ` ${await storeWhereMissing(run, ready, created)}`
            : ' No destination could be written.';
        return `The new key ${newKey.id} (${newKey.prefix}…) was kept: ${whyKept(fate)}.${stored}`;
    }
    const renamed = await markStopped(run, created);
    run.deps.journal?.revokeLater(newKey.id);
    return (`The new key ${newKey.id} (${newKey.prefix}…) was kept and not stored: ${whyKept(fate)}. ` +
        `The post step revokes it if the old key answers then; ${renamed || 'the next run prunes it'} ` +
        'Every destination still holds the old key.');
}
/**
 * The old key stopped answering during the run: warned once, and the window in which the
 * destinations hold a dead key opens (it closes when every destination holds the new key).
 */
function oldKeyDied(run, created, said) {
    const { report } = run;
    if (report.oldKeyDied || !report.oldKey || run.emergency)
        return;
    report.oldKeyDied = { said, from: created.newKey.created_at || (0,names/* isoSeconds */.nE)(run.deps.now()) };
    warn(run.log, report, `The old key ${report.oldKey.id} (${report.oldKey.prefix}…) no longer answers (${said}): ` +
        'Hive revoked it when it made the new key (as its Generate button does), or it expired. ' +
        'Every consumer holding it fails until it holds the new key, so the new key is kept and ' +
        'stored at once, and never revoked in this run.');
}
/**
 * Writes the new key into every destination that does not hold it yet (the only live key: the
 * old key is dead). Used by the test step and the clean-up; never throws.
 */
async function storeWhereMissing(run, ready, created) {
    const { s, report, deps } = run;
    await Promise.all(run.pending);
    const held = [];
    const failed = [];
    for (const p of ready.prepared) {
        const label = p.destination.label;
        if (holdsNewKey(run, label))
            continue;
        const error = await writeNewKey(run, p, created, status => `${s.secretName} ${status}: the only live key`);
        if (error)
            failed.push(`${label}: ${error.message}`);
        else
            held.push(label);
    }
    const all = report.destinations.every(d => holdsNewKey(run, d.destination));
    if (all) {
        report.rotated = true;
        if (report.oldKeyDied)
            report.oldKeyDied.to = (0,names/* isoSeconds */.nE)(deps.now());
    }
    return (`Stored it in ${held.length} destination(s)${held.length ? ` (${held.join(', ')})` : ''}` +
        (failed.length
            ? `; ${failed.length} failed, and hold a dead key until a run stores the new key ` +
                `there:\n${failed.map(f => `  - ${f}`).join('\n')}`
            : all
                ? '; every destination holds it now.'
                : '.'));
}
/** True when the store confirmed the new key at this destination. */
function holdsNewKey(run, label) {
    const status = run.report.destinations.find(d => d.destination === label)?.status;
    return status === 'created' || status === 'updated';
}
/**
 * One destination's write of the new key, recorded as it happens: sent (it may land from now
 * on), then its status and detail in the report. Returns the error, or undefined when GitHub
 * shows the write.
 */
async function writeNewKey(run, p, { value }, detail) {
    const label = p.destination.label;
    const record = run.report.destinations.find(d => d.destination === label);
    if (!run.writesSent.includes(label))
        run.writesSent.push(label);
    try {
        const status = await run.deps.secrets.write(p, run.s.secretName, value);
        record.status = status;
        record.detail = detail(status);
        return undefined;
    }
    catch (error) {
        const e = (0,ports/* asDestinationError */.PA)(error);
        record.status = e.unconfirmed ? 'not confirmed' : 'failed';
        record.detail = e.message;
        return e;
    }
}
/**
 * Renames a new key that must stay (a write may have landed, or it could not be revoked) to the
 * stopped form of its name, so that the next run, started at once, takes it for a leftover of a
 * stopped run instead of a run in flight (names.ts). The post step does the same after a kill.
 * Returns a sentence, or '' when there was nothing to rename.
 */
async function markStopped(run, { newKey }) {
    const renamed = (0,names/* stoppedName */.dg)(run.s.keyName, newKey.name);
    if (renamed === undefined || renamed === newKey.name)
        return '';
    try {
        await run.keys.update(run.s.hiveAdminKey, newKey.id, { name: renamed });
        return `the new key was renamed "${renamed}", so the next run can start at once and prunes it.`;
    }
    catch (error) {
        return (`renaming the new key to mark it stopped failed (${error.message}): a run ` +
            `given the old key before ${inFlightUntil(newKey.created_at || (0,names/* isoSeconds */.nE)(run.deps.now()))} ` +
            'stops, taking the new key for a rotation in flight.');
    }
}

;// CONCATENATED MODULE: ./src/rotation/test-key.ts
/**
 * Step 4, test: the new key answers the verify path, and Hive reads it back as what was asked
 * for (its id, permission, scope and expiry). In the same first round, the old key is asked
 * whether it still answers: a Hive whose create revokes the old key (its Generate button does)
 * leaves every consumer holding a dead key from the create on.
 *
 *   - the old key answers, the new key passes: on to the store;
 *   - the old key answers, the new key fails: it is revoked (the revocation policy checks the old
 *     key again at that moment), and the run fails with nothing else changed;
 *   - the old key is dead: warned, and the store starts at once without waiting for the test,
 *     which goes on and is reported after the store (rotate.ts). A failed test then fails the
 *     run, but the new key, the only live key, is kept and stored.
 *
 * Stopping after it (or during it) leaves: a new key that no destination holds; a run that is
 * stopped revokes it while the old key answers, and otherwise keeps and stores it (run.ts
 * discardUnheld).
 */







/** A new key that is not what was asked for or not accepted: the reason, for the run's message. */
class TestFailure extends Error {
}
async function testKey(run, ready, created) {
    const verdict = testNewKey(run, ready, created).then((detail) => ({ passed: true, detail }), (error) => {
        if (run.cancellation.requested || error instanceof cancel/* CancelledError */.cc)
            throw error;
        if (error instanceof RotationError)
            throw error;
        return {
            passed: false,
            reason: error instanceof TestFailure
                ? error.message
                : `Testing the new key failed: ${error.message}`
        };
    });
    verdict.catch(() => undefined);
    // The old key, in the same round as the new key's first probe (not in an emergency, where it
    // is revoked on purpose, nor in a recovery, where it is dead from the start).
    if (ready.oldKey && !run.emergency) {
        const old = await run.revocations.oldKeyState();
        // The retire step's usage read of the old key goes out now, while the new key is tested:
        // after the old key's own check, so that Hive's count of its use holds this run's exactly.
        if (old.state !== 'dead')
            readUsageAhead(run, { ...ready, oldKey: ready.oldKey });
        if (old.state === 'dead') {
            oldKeyDied(run, created, old.said);
            return {
                result: { verdict },
                detail: `The old key ${ready.oldKey.id} no longer answers (${old.said}): the new key is ` +
                    'stored at once; its test goes on and is reported after the store.'
            };
        }
    }
    const v = await verdict;
    // The usage read ends inside this step (it never rejects), so the store starts after it.
    await run.usageRead;
    if (v.passed)
        return { result: {}, detail: v.detail };
    const outcome = await discardUnheld(run, ready, created);
    const revoked = run.report.revokedKeyIds.includes(created.newKey.id);
    throw new RotationError(`${v.reason} ${outcome}${revoked ? ` ${unchanged(run, ready.oldKey)}` : ''}`);
}
/** After the store, when the old key was found dead: the test's verdict, reported. */
async function finishTest(run, tested) {
    const v = await tested.verdict;
    if (v.passed)
        return { result: undefined, detail: v.detail };
    const { newKey } = run.report;
    throw new RotationError(`${v.reason} The new key ${newKey?.id ?? ''} was kept and stored all the same: the old key ` +
        'no longer answers, so it is the only live key. Find out why it failed its test (its ' +
        'scope, the verify path, a slow propagation), and run again: the next run rotates to a ' +
        'new key that passes.');
}
async function testNewKey(run, ready, { value, newKey }) {
    const { s, keys } = run;
    const readBack = () => keys.current(value, 'reading the new key back');
    // The probe and the read-back in one round. A read-back that met the propagation (401) is
    // asked again once the probe saw the key accepted.
    const early = readBack().then(key => ({ key }), (error) => ({ error }));
    const verify = await keys.waitUntilAccepted(value, s.verifyPath, s.verifyTimeoutSeconds * 1000);
    if (!verify.accepted) {
        const why = verify.status === 403
            ? `it lacks the permission or scope to read ${s.verifyPath} (403)`
            : `${s.verifyPath} still answered ${verify.status} after ${verify.attempts} attempt(s) ` +
                `over ${Math.round(verify.elapsedMs / 1000)} s (verify-timeout-seconds: ` +
                `${s.verifyTimeoutSeconds})`;
        await early;
        throw new TestFailure(`The new key failed its test: ${why}.`);
    }
    const first = await early;
    let seen;
    if ('key' in first)
        seen = first.key;
    else if (first.error.status === 401)
        seen = await readBack();
    else
        throw first.error;
    const mismatch = seen.id !== newKey.id
        ? `Hive reports it as ${seen.id}, not ${newKey.id}`
        : seen.permission !== ready.permission
            ? `its permission is ${seen.permission}, not ${ready.permission}`
            : !sameScope(seen.scope, ready.scope)
                ? `it has ${(0,plan/* describeScope */.O)(seen.scope)}, not ${(0,plan/* describeScope */.O)(ready.scope)}`
                : !sameExpiry(seen.expires_at, newKey.expires_at)
                    ? `it expires ${seen.expires_at ?? 'never'}, not ${newKey.expires_at ?? 'never'}`
                    : '';
    if (mismatch)
        throw new TestFailure(`The new key is not what was asked for: ${mismatch}.`);
    return (`${s.verifyPath} accepted the new key after ${verify.attempts} attempt(s) ` +
        `(${verify.elapsedMs} ms); Hive confirms ${ready.permission}, ${(0,plan/* describeScope */.O)(ready.scope)}.`);
}

;// CONCATENATED MODULE: ./src/rotation/rotate.ts












const AFTER_PREFLIGHT = [
    'Create the new key',
    'Test the new key',
    'Store the new key',
    'Prune leftovers',
    'Retire the old key'
];
async function rotate(s, deps, report) {
    if (s.mode === 'check')
        return checkKey(s, deps, report);
    const run = newRun(s, deps, report);
    try {
        return await steps(run);
    }
    finally {
        // The preflight's checks that can only warn (a shadowing secret) are in the report before
        // the run ends, however it ends; the store step awaited them before its first write.
        await Promise.all(run.pending);
    }
}
async function steps(run) {
    const { s, report } = run;
    const step = stepRunner(run.log, report, run.deps.journal, run.cancellation);
    const pre = await step('Preflight', async () => {
        const found = await preflight(run);
        return { result: found, detail: found.detail };
    });
    if (!pre.due)
        return skipSteps(report, AFTER_PREFLIGHT, 'not due');
    if (s.dryRun) {
        run.log.info(`Dry run: nothing was changed. The plan:\n${report.plan.map(l => `  - ${l}`).join('\n')}`);
        const skipped = run.emergency
            ? ['Revoke the compromised key', ...AFTER_PREFLIGHT]
            : AFTER_PREFLIGHT;
        return skipSteps(report, skipped, 'dry-run');
    }
    const ready = pre;
    const { oldKey } = ready;
    // A recovery (hive-api-key is dead: preflight.ts) has no old key to revoke first or to retire.
    const retiring = oldKey ? { ...ready, oldKey } : undefined;
    if (run.emergency && !retiring) {
        skipSteps(report, ['Revoke the compromised key'], 'already dead: it answers 401, and Hive’s key list holds no active key with its prefix');
    }
    if (run.emergency && retiring) {
        await step('Revoke the compromised key', () => revokeCompromised(run, retiring), () => emergencyStopped(run, retiring));
    }
    const created = await step('Create the new key', () => createKey(run, ready), () => createStopped(run));
    const tested = await step('Test the new key', () => testKey(run, ready, created), () => discardUnheld(run, ready, created));
    await step('Store the new key', () => storeKey(run, ready, created), () => storeStopped(run, ready, created));
    // The old key died at the create: the store went first, and the test's verdict comes now.
    if (tested.verdict)
        await step('Finish the test of the new key', () => finishTest(run, tested));
    if (s.canaryWorkflows.length > 0) {
        await step('Test the applications', () => canaryStep(run, ready, created), () => canaryStopped(run, ready, created));
    }
    await step('Prune leftovers', () => pruneStep(run, ready, created), () => pruneStopped(run, ready, created));
    if (!retiring) {
        return skipSteps(report, ['Retire the old key'], 'recovery: the old key was already dead');
    }
    if (report.oldKeyDied) {
        return skipSteps(report, ['Retire the old key'], 'the old key no longer answers: nothing to revoke');
    }
    await step('Retire the old key', () => retireOldKey(run, retiring, created), () => retireStopped(run, retiring, created));
}


/***/ })

};
