export const id = 668;
export const ids = [668];
export const modules = {

/***/ 7188:
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

/***/ 1668:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  RotationError: () => (/* reexport */ RotationError),
  rotate: () => (/* binding */ rotate)
});

// EXTERNAL MODULE: ./src/rotation/plan.ts
var plan = __webpack_require__(141);
// EXTERNAL MODULE: ./src/rotation/report.ts
var rotation_report = __webpack_require__(5716);
// EXTERNAL MODULE: ./src/cancel.ts
var cancel = __webpack_require__(2747);
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
var names = __webpack_require__(56);
// EXTERNAL MODULE: ./src/settings.ts + 1 modules
var settings = __webpack_require__(9049);
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
    for (const [id, successor] of predecessors) {
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
 * True when the key expires within MAX_GRACE_MS from now: an earlier run gave it grace (or it is
 * about to expire anyway), so jobs may still be finishing with it and Hive will end it itself.
 */
function inGrace(key, now) {
    if (key.expires_at === null)
        return false;
    const expires = Date.parse(key.expires_at);
    return expires > now.getTime() && expires <= now.getTime() + MAX_GRACE_MS;
}

;// CONCATENATED MODULE: ./src/rotation/run.ts





function newRun(s, deps, report) {
    const protectedIds = new Set();
    return {
        s,
        deps,
        report,
        log: deps.log,
        emergency: s.mode === 'emergency',
        cancellation: deps.cancellation ?? (0,cancel/* neverCancelled */.YX)(),
        keys: guardRevocations(deps.keys, protectedIds),
        protectedIds,
        knownIds: new Set(),
        writesSent: [],
        pending: []
    };
}
/** The end of every failure message before the store: what is still as it was. */
function unchanged(run, oldKey) {
    if (oldKey === undefined) {
        return 'No destination was written: every destination still holds the dead key. Fix the cause and run again.';
    }
    return run.emergency
        ? `The compromised key ${oldKey.id} stays revoked and no destination was written: every ` +
            'consumer fails until a new key is stored. Fix the cause and run again.'
        : 'The old key and every destination are unchanged.';
}
/** Revoke a key this run made; any id that existed before the create is refused. */
async function revokeOwn(run, id) {
    if (run.knownIds.has(id)) {
        throw new RotationError(`Refused to revoke ${id}: it existed before this run.`);
    }
    return run.keys.revoke(run.s.hiveAdminKey, id);
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
/** When a key of this rotation stops counting as a rotation in flight. */
function inFlightUntil(createdAt) {
    return (0,names/* isoSeconds */.nE)(new Date(Date.parse(createdAt) + IN_FLIGHT_MS));
}
/**
 * The key service every step but the retire step uses: the same, except that it refuses to
 * revoke a protected id (the old and admin keys), whatever the caller was told by Hive.
 */
function guardRevocations(keys, protectedIds) {
    return {
        current: (apiKey, doing) => keys.current(apiKey, doing),
        list: adminKey => keys.list(adminKey),
        create: (adminKey, request) => keys.create(adminKey, request),
        update: (adminKey, id, patch) => keys.update(adminKey, id, patch),
        probe: (apiKey, path) => keys.probe(apiKey, path),
        waitUntilAccepted: (apiKey, path, ms) => keys.waitUntilAccepted(apiKey, path, ms),
        revoke: async (apiKey, id) => {
            if (protectedIds.has(id)) {
                throw new RotationError(`Refused to revoke ${id}: it is the key being rotated or the admin key, which only ` +
                    'the retire step revokes.');
            }
            return keys.revoke(apiKey, id);
        },
        confirmRevoked: (apiKey, path) => keys.confirmRevoked(apiKey, path),
        usage: (adminKey, id) => keys.usage(adminKey, id),
        sentWith: apiKey => keys.sentWith(apiKey)
    };
}
/**
 * A new key no destination holds is revoked (the test step's safe state, and the store's when no
 * write could land). Never throws: says what it did, or what to do by hand.
 */
async function revokeUnheldNewKey(run, { newKey }) {
    if (run.report.revokedKeyIds.includes(newKey.id))
        return `The new key ${newKey.id} was revoked.`;
    try {
        await revokeOwn(run, newKey.id);
        run.report.revokedKeyIds.push(newKey.id);
        return `No destination holds the new key, so it was revoked (${newKey.id}).`;
    }
    catch (error) {
        return (`No destination holds the new key; revoking it failed (${error.message}): ` +
            `revoke ${newKey.id} (${newKey.prefix}…) by hand, or let the post step or the next run do it.`);
    }
}

// EXTERNAL MODULE: ./src/rotation/ports.ts
var ports = __webpack_require__(7188);
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
async function pruneLeftovers(s, deps, report, found, { adminKey, never }) {
    const { keys, log } = deps;
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
                await keys.revoke(adminKey, key.id);
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
        detail: await pruneLeftovers(run.s, { ...run.deps, keys: run.keys }, run.report, ready.leftovers, {
            adminKey: adminAfterStore(run, created),
            never: [created.newKey.id, ...(ready.oldKey ? [ready.oldKey.id] : [])]
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

// EXTERNAL MODULE: ./src/text.ts
var src_text = __webpack_require__(774);
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
    const read = () => readDestinations(run.s, run.deps.secrets, run.pending);
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
    const oldKey = 'dead' in current ? undefined : current;
    const dead = 'dead' in current ? current.dead : undefined;
    if (oldKey) {
        report.oldKey = oldKey;
        deps.journal?.oldKey(oldKey);
    }
    let admin = oldKey;
    if (s.separateAdminKey) {
        admin = settled(adminRead);
        report.adminKey = admin;
    }
    // A recovery has a separate admin key (recoveryProblem): `admin` is set either way.
    if (!admin)
        throw new RotationError('No admin key: set hive-admin-key.');
    for (const id of [oldKey?.id, admin.id]) {
        if (id === undefined)
            continue;
        run.protectedIds.add(id);
        run.knownIds.add(id);
    }
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
    const prepared = checkDestinations(s, await reading(), report.destinations);
    report.plan = (0,plan/* describePlan */.d)(s, oldKey, permission, scope, leftovers);
    return {
        due: true,
        oldKey,
        dead,
        prepared,
        permission,
        scope,
        leftovers,
        detail: `${currentKey}; ${prepared.length} destination(s) ready; ` +
            `${leftovers.length} leftover key(s). Due: ${due.why}.`
    };
}
/**
 * The current key, or, when Hive answers 401 to it, what Hive said: a dead key (expired, revoked,
 * or left dead by an emergency run). A dead key is recovered only with what a recovery needs
 * (recoveryProblem); otherwise the run stops here, before anything changed, naming the inputs.
 */
async function readCurrentKey(run) {
    try {
        return await run.keys.current(run.s.hiveApiKey, 'reading the current key (hive-api-key)');
    }
    catch (error) {
        const { status, hiveMessage } = error;
        if (status !== 401)
            throw error;
        const said = hiveMessage
            ? `Hive said: "${(0,src_text/* sanitize */.aj)(hiveMessage, [], 200)}"`
            : 'Hive gave no reason';
        const problem = recoveryProblem(run.s);
        if (problem)
            throw deadKeyError(run, said, problem);
        return { dead: said };
    }
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
    return new RotationError(`hive-api-key answers 401: Hive no longer accepts it (expired or revoked; ${said}), so ` +
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
 * (here, or in the emergency step): it uses deps.keys, the unguarded key service.
 */
async function retireByRevoking(run, { oldKey }, adminKey) {
    const { s, report } = run;
    const outcome = await run.deps.keys.revoke(adminKey, oldKey.id);
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
        name: (0,names/* newKeyName */.Lc)(s.keyName, now, ready.oldKey?.id),
        permission: ready.permission,
        scope: ready.scope,
        expires_at: (0,names/* isoSeconds */.nE)(new Date(now.getTime() + s.expiresInDays * create_DAY_MS))
    };
    run.asked = asked;
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
    deps.journal?.newKey(newKey);
    return {
        result: { value, newKey },
        detail: `Created ${newKey.id} (${newKey.prefix}…) "${(0,src_text/* sanitize */.aj)(newKey.name)}", ` +
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
    if (run.protectedIds.has(id))
        return 'the admin key (hive-admin-key)';
    return 'a key that was active before this run';
}
/**
 * Revokes what this run provably made for the create request `name`: an active key that carries
 * that exact name and that no key before the create had. The answered id alone proves nothing (a
 * key made by someone else between the preflight's listing and the create would also be "new"),
 * so it is never revoked on its own word; the key Hive really made is found by its name. Returns
 * a sentence of what it did.
 */
async function revokeMadeByName(run, name) {
    const revoked = [];
    const failed = [];
    let search = '';
    try {
        const named = (await run.keys.list(run.s.hiveAdminKey)).filter(k => k.name === name);
        for (const key of named) {
            if (run.knownIds.has(key.id) || revoked.includes(key.id))
                continue;
            try {
                if ((await revokeOwn(run, key.id)) === 'revoked') {
                    revoked.push(key.id);
                    run.report.revokedKeyIds.push(key.id);
                }
            }
            catch (error) {
                failed.push(`${key.id} (${error.message})`);
            }
        }
    }
    catch (error) {
        search =
            ` Looking for the key Hive made also failed (${error.message}): revoke by ` +
                `hand any key named "${name}".`;
    }
    return ((revoked.length > 0
        ? ` Revoked the key(s) this run made: ${revoked.join(', ')}.`
        : search
            ? ''
            : ` No active key is named "${name}"; one that Hive may still be making is a ` +
                'leftover the next run prunes.') +
        (failed.length > 0 ? ` Revoking failed for ${failed.join('; ')}: revoke by hand.` : '') +
        search);
}
/** A create answer that can't be used (or none came): revoke what this run made, and fail. */
async function refuseCreated(run, ready, reason, { protocol = true } = {}) {
    const outcome = await revokeMadeByName(run, run.asked.name);
    const used = protocol
        ? ' This is a protocol error: the answer was not used and nothing was stored.'
        : ' Nothing was stored.';
    throw new RotationError(`${reason}${used}${outcome} ${unchanged(run, ready.oldKey)}`);
}
/** Stopped during the create: whatever it made is revoked, found by name. */
async function createStopped(run) {
    if (!run.asked)
        return 'No key was created.';
    return (await revokeMadeByName(run, run.asked.name)).trim();
}

;// CONCATENATED MODULE: ./src/rotation/test-key.ts
/**
 * Step 4, test: the new key answers the verify path, and Hive reads it back as what was asked
 * for (its id, permission, scope and expiry). A new key that fails is revoked: nothing else has
 * changed, and no destination holds it.
 *
 * Stopping after it (or during it) leaves: a tested new key that no destination holds; a run
 * that is stopped revokes it, and the old key stays in every destination.
 */




async function testKey(run, ready, created) {
    try {
        return await testNewKey(run, ready, created);
    }
    catch (error) {
        if (error instanceof RotationError || run.cancellation.requested)
            throw error;
        return discardNewKey(run, ready, created, `Testing the new key failed: ${error.message}`);
    }
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
        await discardNewKey(run, ready, { value, newKey }, `The new key failed its test: ${why}.`);
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
    if (mismatch) {
        await discardNewKey(run, ready, { value, newKey }, `The new key is not what was asked for: ${mismatch}.`);
    }
    return {
        result: undefined,
        detail: `${s.verifyPath} accepted the new key after ${verify.attempts} attempt(s) ` +
            `(${verify.elapsedMs} ms); Hive confirms ${ready.permission}, ${(0,plan/* describeScope */.O)(ready.scope)}.`
    };
}
/** Revoke the new key (no destination holds it) and fail the run. */
async function discardNewKey(run, ready, { newKey }, reason) {
    try {
        await revokeOwn(run, newKey.id);
        run.report.revokedKeyIds.push(newKey.id);
    }
    catch (error) {
        if (run.cancellation.requested)
            throw error;
        throw new RotationError(`${reason} Revoking it also failed (${error.message}): revoke key ` +
            `${newKey.id} (${newKey.prefix}…) by hand. ${unchanged(run, ready.oldKey)}`);
    }
    throw new RotationError(`${reason} The new key ${newKey.id} was revoked. ${unchanged(run, ready.oldKey)}`);
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
        try {
            run.writesSent.push(p.destination.label);
            record.status = await deps.secrets.write(p, s.secretName, created.value);
            // The store confirmed it: GitHub shows the secret changed since the preflight.
            record.detail =
                `${s.secretName} ${record.status}` + (p.secret.exists ? '' : ' (did not exist)');
            log.info(`${p.destination.label}: ${record.detail}, confirmed`);
        }
        catch (error) {
            const e = (0,ports/* asDestinationError */.PA)(error);
            record.status = e.unconfirmed ? 'not confirmed' : 'failed';
            record.detail = e.message;
            if (run.cancellation.requested)
                throw error;
            failures.push({ record, error: e });
            log.warning(`${p.destination.label}: ${e.message}`);
        }
    }
    if (failures.length > 0) {
        const noneHolds = failures.length === prepared.length && failures.every(f => f.error.definite);
        let outcome;
        // In an emergency the new key is the only live one: keep it even if nobody holds it yet.
        if (noneHolds && !run.emergency) {
            outcome = await revokeUnheldNewKey(run, created);
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
    if (run.writesSent.length === 0 && !run.emergency) {
        return `No write was sent. ${await revokeUnheldNewKey(run, created)}`;
    }
    const byStatus = (wanted) => run.report.destinations.filter(d => wanted.includes(d.status)).map(d => d.destination);
    const holdsNew = byStatus(['created', 'updated']);
    const unsure = run.writesSent.filter(l => !holdsNew.includes(l));
    const holdsOld = run.report.destinations
        .map(d => d.destination)
        .filter(l => !run.writesSent.includes(l));
    const list = (labels) => (labels.length > 0 ? labels.join(', ') : 'none');
    return ((await markStopped(run, created)) +
        ' ' +
        `The new key ${newKey.id} (${newKey.prefix}…) was kept` +
        (oldKey
            ? `, and so was the old key ${oldKey.id} (${oldKey.prefix}…)` +
                `${run.emergency ? ', revoked as compromised' : ''}. `
            : ' (the old key was already dead). ') +
        `Hold the new key: ${list(holdsNew)}. May hold either (write sent, not confirmed): ` +
        `${list(unsure)}. Hold the old key: ${list(holdsOld)}.`);
}
/**
 * Renames a new key that must stay (a write may have landed) to the stopped form of its name, so
 * that the next run, started at once, takes it for a leftover of a stopped run instead of a run
 * in flight (names.ts). The post step does the same after a kill.
 */
async function markStopped(run, { newKey }) {
    const renamed = (0,names/* stoppedName */.dg)(run.s.keyName, newKey.name);
    if (renamed === undefined || renamed === newKey.name)
        return '';
    try {
        await run.keys.update(run.s.hiveAdminKey, newKey.id, { name: renamed });
        return `The new key was renamed "${renamed}", so the next run can start at once.`;
    }
    catch (error) {
        return (`Renaming the new key to mark it stopped failed (${error.message}): a run ` +
            `given the old key before ${inFlightUntil(newKey.created_at || (0,names/* isoSeconds */.nE)(run.deps.now()))} ` +
            'stops, taking the new key for a rotation in flight.');
    }
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
    if (run.emergency && retiring) {
        await step('Revoke the compromised key', () => revokeCompromised(run, retiring), () => emergencyStopped(run, retiring));
    }
    const created = await step('Create the new key', () => createKey(run, ready), () => createStopped(run));
    // The retire step's usage read of the old key goes out with the new key's test: one round
    // fewer, and still before anything is written (a kill at any point of it changes nothing).
    if (retiring)
        readUsageAhead(run, retiring);
    await step('Test the new key', () => testKey(run, ready, created), () => revokeUnheldNewKey(run, created));
    await step('Store the new key', () => storeKey(run, ready, created), () => storeStopped(run, ready, created));
    await step('Prune leftovers', () => pruneStep(run, ready, created), () => pruneStopped(run, ready, created));
    if (!retiring) {
        return skipSteps(report, ['Retire the old key'], 'recovery: the old key was already dead');
    }
    await step('Retire the old key', () => retireOldKey(run, retiring, created), () => retireStopped(run, retiring, created));
}


/***/ })

};
