export const id = 938;
export const ids = [938];
export const modules = {

/***/ 7938:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  GitHubSecretStore: () => (/* binding */ GitHubSecretStore),
  PAGE_LIMIT: () => (/* binding */ PAGE_LIMIT),
  READ_BACK_RETRY_MS: () => (/* binding */ READ_BACK_RETRY_MS),
  explain: () => (/* binding */ explain),
  sameSecondWait: () => (/* binding */ sameSecondWait)
});

// EXTERNAL MODULE: ./src/github/octokit.ts
var octokit = __webpack_require__(6702);
// EXTERNAL MODULE: ./src/github/destinations.ts
var github_destinations = __webpack_require__(4934);
// EXTERNAL MODULE: ./src/github/answers.ts
var answers = __webpack_require__(3948);
;// CONCATENATED MODULE: ./src/github/seal.ts
/**
 * libsodium, loaded on the first seal and kept: about 6 ms to evaluate and 11 ms for
 * `sodium.ready`, which a run that fails before it writes a secret (a bad input, mode check)
 * never pays.
 */
let loaded;
function libsodium() {
    if (loaded === undefined) {
        const loading = __webpack_require__.e(/* import() */ 768).then(__webpack_require__.bind(__webpack_require__, 4768)).then(async ({ default: sodium }) => {
            await sodium.ready;
            return sodium;
        });
        // A failed load is not kept: the next seal tries again.
        loading.catch(() => {
            if (loaded === loading)
                loaded = undefined;
        });
        loaded = loading;
    }
    return loaded;
}
/**
 * Starts loading libsodium now, so that it is ready by the first seal: the store calls it when it
 * reads a destination's public key, and the load then runs while Hive's requests are in flight.
 */
function preloadSodium() {
    libsodium().catch(() => undefined);
}
/**
 * Seal a secret value for GitHub with libsodium's crypto_box_seal.
 *
 * GitHub hands out public keys, and expects `encrypted_value`, in *standard* base64 with padding.
 * libsodium-wrappers defaults to URL-safe base64 without padding, so the variant is named on both
 * sides: without it `from_base64` throws on most GitHub keys and `to_base64` writes `-`/`_`.
 */
async function seal(value, publicKeyBase64) {
    const sodium = await libsodium();
    let publicKey;
    try {
        publicKey = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
    }
    catch {
        throw new Error('the public key GitHub returned is not standard base64');
    }
    if (publicKey.length !== sodium.crypto_box_PUBLICKEYBYTES) {
        throw new Error(`the public key GitHub returned is ${publicKey.length} bytes, expected ${sodium.crypto_box_PUBLICKEYBYTES}`);
    }
    const sealed = sodium.crypto_box_seal(sodium.from_string(value), publicKey);
    return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}

// EXTERNAL MODULE: ./src/text.ts
var src_text = __webpack_require__(8992);
// EXTERNAL MODULE: ./src/rotation/ports.ts
var ports = __webpack_require__(5262);
;// CONCATENATED MODULE: ./src/github/store.ts






/** Pages of one list, at most: 100 a page, so 10,000 repositories, secrets or environments. */
const PAGE_LIMIT = 100;
/** Secret names kept for the "secret-name lives nowhere" message. */
const NAMES_KEPT = 50;
/** GitHub's updated_at has one-second resolution. */
const RESOLUTION_MS = 1000;
/** When a read-back does not show the write yet, it is read once more after this long. */
const READ_BACK_RETRY_MS = 1000;
/**
 * The SecretStore port over GitHub's REST API. The preflight (`prepare`) reads, per destination:
 * its public key; the secret's metadata (does it exist, when was it last written; for an
 * org-level kind also its visibility and selected repositories); when it does not exist, the
 * names of the secrets that do; and where cheap, whether a narrower secret of the same name
 * shadows it. `write` seals, PUTs, and reads the metadata back: a write counts when it shows.
 *
 * Every answer is checked (answers.ts) before it is used: a field that breaks GitHub's format is
 * a protocol error for that destination, and nothing is written because of it.
 */
class GitHubSecretStore {
    clients;
    options;
    environments;
    sleep;
    clock;
    constructor(clients, options) {
        this.clients = clients;
        this.options = options;
        this.sleep = options.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms)));
        this.clock = options.clock ?? (() => performance.now());
    }
    async prepare(destination) {
        // A write will follow: libsodium loads meanwhile, behind the network (seal.ts).
        if (this.options.sealAhead)
            preloadSodium();
        const github = await this.clients.forDestination(destination);
        const isOrg = github_destinations/* KINDS */.GW[destination.kind].level === 'org';
        // The reads are independent: send them together. The public key's failure is reported first.
        // The shadowing check never fails and only warns: it takes a second round (environments, then
        // their secrets), so the run does not wait for it before the create (`pending`).
        const pending = this.warnIfShadowed(github, destination).catch((error) => this.options.debug(`The shadowing check failed: ${error.message}`));
        const [key, found] = await Promise.allSettled([
            this.publicKey(github, destination),
            this.secretAt(github, destination)
        ]);
        if (key.status === 'rejected')
            throw key.reason;
        if (found.status === 'rejected')
            throw found.reason;
        const { metadata, read } = found.value;
        const secret = metadata
            ? { exists: true, updatedAt: metadata.updatedAt }
            : { exists: false, ...(await this.otherSecretNames(github, destination)) };
        const org = isOrg ? await this.orgAccess(github, destination, metadata) : undefined;
        return { ...key.value, secret, read, pending, ...(org ? { org } : {}) };
    }
    async write(prepared, secretName, value) {
        const { destination } = prepared;
        let encrypted;
        try {
            encrypted = await seal(value, prepared.publicKey);
        }
        catch (error) {
            throw new ports/* DestinationError */.lt(`could not seal the value for ${destination.label}: ${error.message}`, true);
        }
        const body = {
            encrypted_value: encrypted,
            key_id: prepared.publicKeyId
        };
        if (prepared.org) {
            // GitHub requires visibility on every org PUT; without it a secret would be narrowed.
            body.visibility = prepared.org.visibility;
            if (prepared.org.visibility === 'selected') {
                body.selected_repository_ids = prepared.org.selectedRepositoryIds ?? [];
            }
        }
        const github = await this.clients.forDestination(destination);
        const url = `${(0,github_destinations/* secretsPath */.z1)(destination)}/${encodeURIComponent(secretName)}`;
        const wait = sameSecondWait(prepared, this.clock());
        if (wait > 0)
            await this.sleep(wait);
        let status;
        try {
            status = (await github.request({ method: 'PUT', url, ...body })).status;
        }
        catch (error) {
            const refused = this.explain(error, destination, `writing ${secretName} to`, { write: true });
            throw refused.definite
                ? await this.refusalChecked(github, prepared, secretName, refused)
                : refused;
        }
        // GitHub answers 201 (created) or 204 (updated); anything else is not a confirmed write.
        if (status !== 201 && status !== 204) {
            throw new ports/* DestinationError */.lt(`GitHub answered ${status} writing ${secretName} to ${destination.label}, not ` +
                '201 or 204: the write is not confirmed; running again is safe.', false, status);
        }
        await this.confirm(github, prepared, secretName, status);
        return status === 201 ? 'created' : 'updated';
    }
    /**
     * A refusal (4xx) of a write is definite only when the secret shows no change since the
     * preflight. The retry plugin resends a PUT after a 5xx, a network error or a timeout, so the
     * 4xx may answer a resend of a write that did land: then, or when the secret can't be read, the
     * destination may hold the new key, and the refusal is not counted as "nothing stored" (which
     * would let the new key be revoked).
     */
    async refusalChecked(github, prepared, secretName, refused) {
        let seen;
        try {
            const after = (await this.secretAt(github, prepared.destination, secretName)).metadata;
            if (!movedSincePreflight(prepared, after))
                return refused;
            seen = 'the secret changed since the preflight';
        }
        catch (error) {
            seen = `reading the secret back failed (${error.message})`;
        }
        return new ports/* DestinationError */.lt(`${refused.message} But ${seen}, so an earlier attempt of this write may have landed: ` +
            'the destination may hold the new key.', false, refused.status);
    }
    /**
     * A write counts when it shows: the secret's updated_at moved past the preflight's (or the
     * secret now exists, when it did not). Read back once, and once more after a short wait (a
     * read may lag a write, or fail once); still unchanged, the write is not confirmed.
     */
    async confirm(github, prepared, secretName, status) {
        const d = prepared.destination;
        const moved = (after) => movedSincePreflight(prepared, after);
        const answered = `GitHub answered ${status} writing ${secretName} to ${(0,github_destinations/* describe */.q0)(d)} (${d.label})`;
        let seen = '';
        for (let attempt = 0; attempt < 2; attempt++) {
            if (attempt > 0)
                await this.sleep(READ_BACK_RETRY_MS);
            try {
                const { metadata: after, read } = await this.secretAt(github, d, secretName);
                if (moved(after)) {
                    // What a later write of this run (the canary's rollback) is confirmed against.
                    prepared.secret = { exists: true, updatedAt: after.updatedAt };
                    prepared.read = read;
                    if (prepared.org)
                        prepared.org.exists = true;
                    return;
                }
                seen = after
                    ? `shows no change (its updated_at is still ${after.updatedAt}, as before the write)`
                    : 'shows no change (it does not exist)';
            }
            catch (error) {
                seen = `failed (${error.message})`;
            }
        }
        throw new ports/* UnconfirmedWrite */.aR(`${answered}, but reading it back ${seen}: the write is not confirmed; it may still land. ` +
            'Running again is safe.', status);
    }
    async publicKey(github, destination) {
        const doing = 'reading the public key of';
        try {
            const { data } = await github.request({
                method: 'GET',
                url: `${(0,github_destinations/* secretsPath */.z1)(destination)}/public-key`
            });
            const { keyId, key } = this.checked(() => (0,answers/* parsePublicKey */.ee)(data), destination, doing);
            return { destination, publicKeyId: keyId, publicKey: key };
        }
        catch (error) {
            throw this.explain(error, destination, doing);
        }
    }
    /** The secret's metadata (undefined: it does not exist), and when it was read. */
    async secretAt(github, d, name = this.options.secretName) {
        const url = `${(0,github_destinations/* secretsPath */.z1)(d)}/${encodeURIComponent(name)}`;
        const doing = `reading the metadata of ${name} in`;
        let response;
        try {
            response = await github.request({ method: 'GET', url });
        }
        catch (error) {
            const e = error;
            if (e.status === 404 && e.response) {
                return { read: this.readAt(e.response.headers?.date) };
            }
            throw this.explain(error, d, doing);
        }
        const read = this.readAt(response.headers.date);
        const org = github_destinations/* KINDS */.GW[d.kind].level === 'org';
        const metadata = this.checked(() => (0,answers/* parseSecretMetadata */.vF)(response.data, name, org), d, doing);
        return { metadata, read };
    }
    readAt(date) {
        return { at: this.clock(), serverDate: date ? Date.parse(date) : NaN };
    }
    /** The names of the secrets the destination holds; failures only make the message poorer. */
    async otherSecretNames(github, d) {
        try {
            const names = await this.listAll(github, d, (0,github_destinations/* secretsPath */.z1)(d), 'listing the secrets of', data => (0,answers/* parseSecretNames */.eI)(data));
            const sorted = [...new Set(names.map(n => n.toUpperCase()))].sort();
            return { otherNames: sorted.slice(0, NAMES_KEPT), total: sorted.length };
        }
        catch (error) {
            this.options.debug(`${d.label}: listing its secret names failed: ${error.message}`);
            return {};
        }
    }
    /** The org secret's visibility and, for `selected`, all its repositories (100 a page). */
    async orgAccess(github, d, metadata) {
        const name = this.options.secretName;
        const visibility = metadata?.visibility;
        if (visibility === undefined)
            return { visibility: d.visibility ?? 'private', exists: false };
        if (d.visibility && d.visibility !== visibility) {
            this.options.warn(`${d.label}: ${name} exists with visibility ${visibility}; it keeps it ` +
                `(?visibility=${d.visibility} applies only to a secret that does not exist yet).`);
        }
        if (visibility !== 'selected')
            return { visibility, exists: true };
        const ids = await this.listAll(github, d, `${(0,github_destinations/* secretsPath */.z1)(d)}/${encodeURIComponent(name)}/repositories`, `listing the repositories that may read ${name} in`, answers/* parseRepositoryIds */.Wf);
        return { visibility, selectedRepositoryIds: ids, exists: true };
    }
    /**
     * Every item of a paginated list, bounded: at most PAGE_LIMIT pages, and a `next` link to a
     * page already read (a loop) stops it. A link to another origin never gets a request: the
     * guarded fetch refuses it (octokit.ts).
     */
    async listAll(github, d, url, doing, parse) {
        const items = [];
        const seen = new Set();
        let pages = 0;
        try {
            for await (const response of github.paginate.iterator({
                method: 'GET',
                url,
                per_page: 100
            })) {
                pages++;
                seen.add(normalUrl(response.url));
                items.push(...this.checked(() => parse(response.data), d, doing));
                const next = /<([^<>]+)>;\s*rel="next"/.exec(String(response.headers.link ?? ''))?.[1];
                if (next === undefined)
                    break;
                if (seen.has(normalUrl(next))) {
                    throw new answers/* GitHubProtocolError */.ac(`page ${pages} links back to a page already read (a loop)`);
                }
                if (pages >= PAGE_LIMIT) {
                    throw new answers/* GitHubProtocolError */.ac(`the list goes on past ${PAGE_LIMIT} pages`);
                }
            }
        }
        catch (error) {
            throw this.explain(error, d, doing);
        }
        return items;
    }
    /** Runs a parser of GitHub's answer; a broken answer becomes this destination's error. */
    checked(parse, d, doing) {
        try {
            return parse();
        }
        catch (error) {
            if (error instanceof answers/* GitHubProtocolError */.ac)
                throw protocolError(error, d, doing);
            throw error;
        }
    }
    /**
     * Warn when the workflow's repository has a narrower secret of the same name that is not a
     * destination itself: its workflows would keep reading that one. Checked only where it matters
     * and costs a read or two: an org-level destination of the workflow's owner (its repository
     * secret, and for Actions its environments' secrets) and the workflow's own repository (its
     * environments). A failed check is logged at debug level and changes nothing.
     */
    async warnIfShadowed(github, d) {
        const [owner, repo] = (this.options.workflowRepository ?? '').split('/');
        if (!owner || !repo || d.owner.toLowerCase() !== owner.toLowerCase())
            return;
        const { level, service } = github_destinations/* KINDS */.GW[d.kind];
        const workflowRepo = { owner, repo };
        const narrower = [];
        if (level === 'org') {
            const kind = service === 'actions' ? 'repo' : service;
            narrower.push({ kind, ...workflowRepo, label: `${kind}:${owner}/${repo}` });
        }
        const sameRepo = level === 'repo' && d.repo?.toLowerCase() === repo.toLowerCase();
        if (service === 'actions' && (level === 'org' || sameRepo)) {
            for (const environment of (await this.environmentsOf(github, owner, repo)) ?? []) {
                const label = `env:${owner}/${repo}/${environment}`;
                narrower.push({ kind: 'env', ...workflowRepo, environment, label });
            }
        }
        const destinations = new Set(this.options.destinations.map(x => x.label.toLowerCase()));
        const name = this.options.secretName;
        const found = await Promise.all(narrower
            .filter(n => !destinations.has(n.label.toLowerCase()))
            .map(async (n) => ((await this.exists(github, n)) ? n : undefined)));
        for (const n of found) {
            if (n === undefined)
                continue;
            this.options.warn(`${d.label}: workflows of ${owner}/${repo} read ${name} from ${(0,github_destinations/* describe */.q0)(n)} instead ` +
                `(a narrower secret of the same name wins), so they will not see the rotated key there. ` +
                `Add ${n.label} to destinations, or delete that secret.`);
        }
    }
    environmentsOf(github, owner, repo) {
        const d = { kind: 'repo', owner, repo, label: `repo:${owner}/${repo}` };
        const url = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/environments`;
        this.environments ??= this.listAll(github, d, url, 'listing the environments of', answers/* parseEnvironmentNames */.Vz).catch((error) => {
            this.options.debug(`Shadowing check: listing environments of ${owner}/${repo} failed: ${String(error)}`);
            return undefined;
        });
        return this.environments;
    }
    async exists(github, d) {
        const url = `${(0,github_destinations/* secretsPath */.z1)(d)}/${encodeURIComponent(this.options.secretName)}`;
        try {
            await github.request({ method: 'GET', url });
            return true;
        }
        catch (error) {
            this.options.debug(`Shadowing check: ${d.label}: ${String(error)}`);
            return false;
        }
    }
    explain(error, d, doing, opts = {}) {
        return explain(error, d, doing, this.clients.credential, opts);
    }
}
/**
 * How long to wait before the PUT so that its updated_at cannot equal the preflight's. GitHub's
 * updated_at has one-second resolution: a secret last written in the very second the preflight
 * read it would show the same updated_at after our write, had it landed in that second too. So
 * the PUT goes out only once GitHub's clock (its Date header at the read, plus the time elapsed
 * here since) is past that second. Almost always zero: secrets are rarely written just before a
 * rotation. Without a Date header, GitHub's clock is taken to be the updated_at itself.
 */
function sameSecondWait(prepared, now) {
    if (!prepared.secret.exists)
        return 0;
    const updated = Date.parse(prepared.secret.updatedAt);
    const read = prepared.read ?? { at: now, serverDate: NaN };
    const server = Number.isFinite(read.serverDate) ? read.serverDate : updated;
    const elapsed = now - read.at;
    const wait = updated + RESOLUTION_MS - server - elapsed;
    return Math.min(Math.max(wait, 0), RESOLUTION_MS);
}
function normalUrl(url) {
    try {
        return new URL(url).href;
    }
    catch {
        return url;
    }
}
/** A broken answer as this destination's definite error: nothing was written because of it. */
function protocolError(error, d, doing) {
    return new ports/* DestinationError */.lt(`GitHub's answer ${doing} ${(0,github_destinations/* describe */.q0)(d)} (${d.label}) is not what GitHub sends: ` +
        `${error.message}. Nothing was written there because of it; if it persists, check what ` +
        'answers at GITHUB_API_URL.', true);
}
/**
 * Turn a GitHub failure into a sentence a person can act on: which destination, what GitHub said,
 * and for 401/403/404 which token permission is missing. A 4xx is "definite": GitHub stored nothing.
 */
function explain(error, d, doing, credential = 'github-token', { write = false } = {}) {
    if (error instanceof ports/* DestinationError */.lt)
        return error;
    if (error instanceof answers/* GitHubProtocolError */.ac)
        return protocolError(error, d, doing);
    const where = `${doing} ${(0,github_destinations/* describe */.q0)(d)} (${d.label})`;
    const guard = (0,octokit/* guardRefusal */.sA)(error);
    if (guard) {
        // Refused here: nothing was sent, or an answer was not read (a write may then have landed).
        const definite = !guard.sent || !write;
        return new ports/* DestinationError */.lt(`GitHub ${where}: ${guard.message}. ` +
            (definite
                ? 'Nothing was written there.'
                : 'It is not known whether the write landed; running again is safe.'), definite);
    }
    const e = error;
    const status = typeof e.status === 'number' ? e.status : undefined;
    const data = e.response?.data;
    const said = (0,src_text/* sanitize */.aj)(typeof data?.message === 'string' ? data.message : (e.message ?? ''));
    const need = github_destinations/* KINDS */.GW[d.kind].permission;
    if (status === undefined || status >= 500 || !e.response) {
        // No response at all (Octokit reports a network failure as status 500 without one), or 5xx
        // after the retry plugin's attempts.
        const answer = e.response && status ? `answered ${status}` : 'could not be reached';
        return new ports/* DestinationError */.lt(`GitHub ${answer} ${where}: ${said || 'no response'}. ` +
            'It is not known whether a write landed; running again is safe.', false, e.response ? status : undefined);
    }
    let advice = '';
    const headers = e.response?.headers ?? {};
    const limited = status === 429 ||
        (status === 403 &&
            (/rate limit/i.test(said) ||
                headers['retry-after'] !== undefined ||
                headers['x-ratelimit-remaining'] === '0'));
    if (limited) {
        advice =
            'GitHub is rate-limiting the token: it asked for a wait longer than the ' +
                `${octokit/* MAX_RATE_LIMIT_WAIT_SECONDS */.Sf} s this action waits, or the waits did not lift it; ` +
                'nothing was written here. Run again later.';
    }
    else if (status === 401) {
        advice = `${credential} is invalid or expired.`;
    }
    else if (status === 403) {
        const accepted = e.response?.headers?.['x-accepted-github-permissions'];
        advice =
            `The token may not do this: it needs the ${need.fineGrained} (fine-grained token or ` +
                `GitHub App) or the "${need.classic}" scope (classic token)` +
                (accepted ? `; GitHub says it accepts: ${(0,src_text/* sanitize */.aj)(accepted)}` : '') +
                '.' +
                // GitHub says "by integration" for installation tokens, the workflow's own among them.
                (/by integration/i.test(said) && credential === 'github-token'
                    ? ' The workflow’s own GITHUB_TOKEN can never write secrets: if that is what ' +
                        'github-token holds, pass a personal access token or a GitHub App token.'
                    : '');
    }
    else if (status === 404) {
        advice =
            'It does not exist, or the token cannot see it (GitHub answers 404 for a private ' +
                'resource the token has no access to). Check the destination’s spelling and the token’s ' +
                'access.';
    }
    else if (status === 422) {
        advice = 'GitHub refused the request as invalid.';
    }
    return new ports/* DestinationError */.lt(`GitHub answered ${status} ${where}: ${said}. ${advice}`.trim(), true, status);
}
/** The secret's metadata moved past what the preflight saw: it exists now, or is newer. */
function movedSincePreflight(prepared, after) {
    const before = prepared.secret;
    return (after !== undefined &&
        (!before.exists || Date.parse(after.updatedAt) > Date.parse(before.updatedAt)));
}


/***/ })

};
