export const id = 905;
export const ids = [905];
export const modules = {

/***/ 1905:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   JOURNAL_STATE: () => (/* binding */ JOURNAL_STATE),
/* harmony export */   JOURNAL_VERSION: () => (/* binding */ JOURNAL_VERSION),
/* harmony export */   Journal: () => (/* binding */ Journal),
/* harmony export */   SEEN_MAX: () => (/* binding */ SEEN_MAX),
/* harmony export */   SEEN_STATE: () => (/* binding */ SEEN_STATE),
/* harmony export */   noJournal: () => (/* binding */ noJournal),
/* harmony export */   readJournal: () => (/* binding */ readJournal),
/* harmony export */   readSeen: () => (/* binding */ readSeen)
/* harmony export */ });
/**
 * The journal of a run: each fact recorded the moment it happens, in the runner's step state
 * (`core.saveState`), so that the post step (post.ts) can read what the main step did even after
 * the main step was killed (shared/design/action.md, "A journal").
 *
 * The runner appends every saveState to the file named by GITHUB_STATE and hands the last value
 * of each name to the post step as the variable STATE_<name>. The whole journal is saved under one
 * name on every fact, so the post step always reads one consistent record.
 *
 * It holds key ids, prefixes, names and destination labels: never a key value. The one secret it
 * holds is each GitHub App installation token this run minted, so that the post step can revoke
 * it (as actions/create-github-app-token keeps its token in the step state); the runner keeps the
 * state file to itself and the tokens are masked.
 */
/** The name of the step state that holds the journal. */
const JOURNAL_STATE = 'journal';
/** The journal's format: a post step refuses a journal of another version. */
const JOURNAL_VERSION = 2;
/**
 * The name of the step state that holds the ids of the keys that were active before the create,
 * saved once (the journal is saved whole on every fact): a key the post step finds by this run's
 * mark is revoked only when it is none of them. At most SEEN_MAX ids; past that the post step
 * relies on the mark and the key's creation time (post/clean.ts).
 */
const SEEN_STATE = 'seen';
const SEEN_MAX = 2_000;
/** The journal of the main step: every method records one fact and saves the whole at once. */
class Journal {
    save;
    data;
    constructor(save, mode, now = new Date()) {
        this.save = save;
        this.data = {
            v: JOURNAL_VERSION,
            started: now.toISOString(),
            mode,
            writesSent: [],
            writesConfirmed: [],
            revoked: [],
            todo: { revoke: [], findCreated: false },
            appTokens: []
        };
        this.flush();
    }
    /** The ids active before the create, saved once under SEEN_STATE (none past SEEN_MAX). */
    seen(ids) {
        const list = [...ids];
        if (list.length <= SEEN_MAX)
            this.save(SEEN_STATE, list.join(' '));
    }
    step(name) {
        this.data.step = name;
        this.flush();
    }
    oldKey(key) {
        this.data.oldKey = pick(key);
        this.flush();
    }
    adminKeyId(id) {
        this.data.adminKeyId = id;
        this.flush();
    }
    mark(mark) {
        this.data.mark = mark;
        this.flush();
    }
    /** A revocation the main step could not do: the post step does it, if the policy allows. */
    revokeLater(id) {
        if (!this.data.todo.revoke.includes(id))
            this.data.todo.revoke.push(id);
        this.flush();
    }
    /** A create whose answer never came, and whose key was not found: the post step looks again. */
    findCreatedLater(yes = true) {
        this.data.todo.findCreated = yes;
        this.flush();
    }
    createSent(name) {
        this.data.createSent = { name };
        this.flush();
    }
    newKey(key) {
        this.data.newKey = pick(key);
        this.flush();
    }
    writeSent(label) {
        if (!this.data.writesSent.includes(label))
            this.data.writesSent.push(label);
        this.flush();
    }
    writeConfirmed(label) {
        if (!this.data.writesConfirmed.includes(label))
            this.data.writesConfirmed.push(label);
        this.flush();
    }
    revoked(id) {
        if (!this.data.revoked.includes(id))
            this.data.revoked.push(id);
        this.data.todo.revoke = this.data.todo.revoke.filter(x => x !== id);
        this.flush();
    }
    appToken(token) {
        if (!this.data.appTokens.includes(token))
            this.data.appTokens.push(token);
        this.flush();
    }
    ended(how) {
        this.data.ended = how;
        this.flush();
    }
    flush() {
        this.save(JOURNAL_STATE, JSON.stringify(this.data));
    }
}
function pick(key) {
    return { id: key.id, prefix: key.prefix, name: key.name, created_at: key.created_at };
}
/** The ids SEEN_STATE holds; undefined when it was not saved (too many, or no create). */
function readSeen(raw) {
    if (!raw)
        return undefined;
    return new Set(raw.split(' ').filter(id => id !== ''));
}
/** A journal that records nothing: for tools and tests that have no step state. */
function noJournal(mode = 'rotate') {
    return new Journal(() => undefined, mode);
}
/**
 * The journal as the post step reads it (STATE_journal), checked: undefined when absent or not a
 * journal of this version. The post step treats every field as untrusted text all the same.
 */
function readJournal(raw) {
    if (!raw)
        return undefined;
    let parsed;
    try {
        parsed = JSON.parse(raw);
    }
    catch {
        return undefined;
    }
    if (typeof parsed !== 'object' || parsed === null)
        return undefined;
    const j = parsed;
    const strings = (v) => Array.isArray(v) && v.every(x => typeof x === 'string');
    if (j.v !== JOURNAL_VERSION ||
        typeof j.started !== 'string' ||
        typeof j.mode !== 'string' ||
        !strings(j.writesSent) ||
        !strings(j.writesConfirmed) ||
        !strings(j.revoked) ||
        !strings(j.appTokens) ||
        typeof j.todo !== 'object' ||
        j.todo === null ||
        !strings(j.todo.revoke) ||
        typeof j.todo.findCreated !== 'boolean' ||
        !['undefined', 'string'].includes(typeof j.adminKeyId) ||
        !['undefined', 'string'].includes(typeof j.mark)) {
        return undefined;
    }
    for (const k of [j.oldKey, j.newKey]) {
        if (k === undefined)
            continue;
        if (typeof k !== 'object' ||
            k === null ||
            !['id', 'prefix', 'name', 'created_at'].every(f => typeof k[f] === 'string')) {
            return undefined;
        }
    }
    return j;
}


/***/ })

};
