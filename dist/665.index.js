export const id = 665;
export const ids = [665];
export const modules = {

/***/ 7665:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   GitHubWorkflows: () => (/* binding */ GitHubWorkflows)
/* harmony export */ });
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8992);

/** Runs listed per page when a run is found by its title (newest first). */
const RUNS_PAGE = 50;
const WORD = /^[a-z_]{1,40}$/;
class GitHubWorkflows {
    clients;
    webOrigin;
    constructor(clients, 
    /** GitHub's web origin (GITHUB_SERVER_URL): a run's page must be on it. */
    webOrigin) {
        this.clients = clients;
        this.webOrigin = webOrigin;
    }
    async check(w) {
        const data = await this.call(w, 'reading', 'GET', `${base(w)}/actions/workflows/${file(w)}`);
        const state = field(data, 'state');
        const path = field(data, 'path');
        if (path !== undefined && path !== `.github/workflows/${w.file}`) {
            throw new Error(`canary-workflows: GitHub answered for ${w.label} with the workflow "${(0,_text_js__WEBPACK_IMPORTED_MODULE_0__/* .sanitize */ .aj)(path)}", ` +
                `not .github/workflows/${w.file}`);
        }
        if (state !== 'active') {
            throw new Error(`canary-workflows: the workflow ${w.label} is ${(0,_text_js__WEBPACK_IMPORTED_MODULE_0__/* .sanitize */ .aj)(state ?? 'of unknown state')}, ` +
                'not active: enable it (Actions › the workflow › Enable workflow), or leave it out');
        }
    }
    async dispatch(w, inputs) {
        const url = `${base(w)}/actions/workflows/${file(w)}/dispatches`;
        const ref = w.ref ?? (await this.defaultBranch(w));
        try {
            const data = await this.call(w, 'dispatching', 'POST', url, {
                ref,
                inputs,
                return_run_details: true
            });
            if (data === undefined || data === '')
                return undefined;
            return this.runOf(data, 'workflow_run_id');
        }
        catch (error) {
            // GHES before 3.21 refuses the parameter (400 or 422 naming it): dispatch without it.
            const { status, text } = error;
            if ((status === 400 || status === 422) && /return_run_details/.test(text ?? '')) {
                await this.call(w, 'dispatching', 'POST', url, { ref, inputs });
                return undefined;
            }
            throw error;
        }
    }
    async findRun(w, marker, since) {
        const created = `>=${since.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
        const data = await this.call(w, 'listing the runs of', 'GET', `${base(w)}/actions/runs?event=workflow_dispatch&per_page=${RUNS_PAGE}` +
            `&created=${encodeURIComponent(created)}`);
        const runs = data?.workflow_runs;
        if (!Array.isArray(runs))
            return undefined;
        for (const r of runs.slice(0, RUNS_PAGE)) {
            const title = field(r, 'display_title') ?? field(r, 'name') ?? '';
            if (title.includes(marker))
                return this.runOf(r, 'id');
        }
        return undefined;
    }
    async state(w, runId) {
        const data = await this.call(w, 'reading a run of', 'GET', `${base(w)}/actions/runs/${runId}`);
        const status = field(data, 'status');
        const conclusion = field(data, 'conclusion') ?? null;
        if (status === undefined || !WORD.test(status)) {
            throw new Error(`GitHub's answer for run ${runId} of ${w.label} has no status`);
        }
        if (conclusion !== null && !WORD.test(conclusion)) {
            throw new Error(`GitHub's answer for run ${runId} of ${w.label} has a malformed conclusion`);
        }
        return { status, conclusion, htmlUrl: this.page(field(data, 'html_url')) };
    }
    async failedSteps(w, runId) {
        const data = await this.call(w, 'reading the jobs of a run of', 'GET', `${base(w)}/actions/runs/${runId}/jobs?filter=latest&per_page=100`);
        const jobs = data?.jobs;
        if (!Array.isArray(jobs))
            return [];
        const failed = [];
        for (const job of jobs.slice(0, 100)) {
            if (!isFailure(field(job, 'conclusion')))
                continue;
            const name = (0,_text_js__WEBPACK_IMPORTED_MODULE_0__/* .sanitize */ .aj)(field(job, 'name') ?? '(a job)', [], 100);
            const steps = job.steps;
            const bad = Array.isArray(steps)
                ? steps.filter(st => isFailure(field(st, 'conclusion'))).slice(0, 5)
                : [];
            if (bad.length === 0)
                failed.push(name);
            for (const st of bad)
                failed.push(`${name} › ${(0,_text_js__WEBPACK_IMPORTED_MODULE_0__/* .sanitize */ .aj)(field(st, 'name') ?? '?', [], 100)}`);
        }
        return failed.slice(0, 20);
    }
    async cancel(w, runId) {
        try {
            await this.call(w, 'cancelling a run of', 'POST', `${base(w)}/actions/runs/${runId}/cancel`);
        }
        catch (error) {
            // 409: it ended meanwhile; nothing to cancel.
            if (error.status !== 409)
                throw error;
        }
    }
    async defaultBranch(w) {
        const data = await this.call(w, 'reading', 'GET', base(w));
        const branch = field(data, 'default_branch');
        if (branch === undefined || !/^[A-Za-z0-9._/-]{1,200}$/.test(branch)) {
            throw new Error(`GitHub's answer for ${w.owner}/${w.repo} names no default branch`);
        }
        return branch;
    }
    runOf(data, idField) {
        const id = data?.[idField];
        if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
            throw new Error(`GitHub's answer names no run (${idField} is not a positive integer)`);
        }
        return { id, htmlUrl: this.page(field(data, 'html_url')) };
    }
    /** A run's page, when it is a URL on GitHub's web origin; '' otherwise. */
    page(url) {
        if (url === undefined || url.length > 500)
            return '';
        try {
            const parsed = new URL(url);
            return parsed.origin === this.webOrigin ? parsed.href : '';
        }
        catch {
            return '';
        }
    }
    async call(w, doing, method, url, body) {
        const github = await this.clients.forDestination(repoOf(w));
        try {
            const response = await github.request({ method, url, ...(body ?? {}) });
            return response.data;
        }
        catch (error) {
            const e = error;
            const data = e.response?.data;
            const said = (0,_text_js__WEBPACK_IMPORTED_MODULE_0__/* .sanitize */ .aj)(typeof data?.message === 'string' ? data.message : (e.message ?? ''));
            const wrapped = new Error(`GitHub answered ${e.status ?? 'nothing'} ${doing} the workflow ${w.label}: ${said}` +
                hint(e.status, said, this.clients.credential));
            wrapped.status = e.status;
            wrapped.text = said;
            throw wrapped;
        }
    }
}
/** What to do about a refused workflow request. */
function hint(status, said, credential) {
    if (status === 403 || status === 401) {
        return (`. ${credential} needs "Actions: read and write" on that repository (GitHub App: ` +
            'actions: write; classic token: repo)');
    }
    if (status === 404) {
        return ('. The workflow file must exist on the default branch, and the token must see the ' +
            'repository');
    }
    if (status === 422 && /unexpected inputs/i.test(said)) {
        return ('. The consumer workflow must declare the workflow_dispatch inputs hive-key-id and ' +
            'canary-id (see examples/canary-consumer.yml)');
    }
    if (status === 422 && /workflow_dispatch/i.test(said)) {
        return '. The consumer workflow needs an `on: workflow_dispatch` trigger';
    }
    return '';
}
function isFailure(conclusion) {
    return conclusion !== undefined && !['success', 'skipped', 'neutral'].includes(conclusion);
}
/** A short string field of an answer, or undefined. */
function field(data, name) {
    const value = data?.[name];
    return typeof value === 'string' && value.length <= 1000 ? value : undefined;
}
function base(w) {
    return `/repos/${encodeURIComponent(w.owner)}/${encodeURIComponent(w.repo)}`;
}
function file(w) {
    return encodeURIComponent(w.file);
}
/** The repository as a destination, for the client that may act on it (App: per owner). */
function repoOf(w) {
    return { kind: 'repo', owner: w.owner, repo: w.repo, label: `repo:${w.owner}/${w.repo}` };
}


/***/ })

};
