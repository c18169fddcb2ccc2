export const id = 921;
export const ids = [921];
export const modules = {

/***/ 4921:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   AppInstallations: () => (/* binding */ AppInstallations),
/* harmony export */   createGitHubClients: () => (/* binding */ createGitHubClients)
/* harmony export */ });
/* harmony import */ var _octokit_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6702);
/* harmony import */ var _answers_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(3948);
/* harmony import */ var _rotation_ports_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(5262);
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(8992);




function createGitHubClients(auth, options) {
    if (auth.kind === 'token') {
        const client = (0,_octokit_js__WEBPACK_IMPORTED_MODULE_0__/* .createGitHubClient */ .LX)({ ...options, token: auth.token });
        return { credential: 'github-token', forDestination: () => Promise.resolve(client) };
    }
    // @octokit/auth-app is loaded on the first mint, so a token run (or one that stops before any
    // destination) never loads it.
    let app;
    const appClient = () => (app ??= __webpack_require__.e(/* import() */ 479).then(__webpack_require__.bind(__webpack_require__, 6479)).then(({ createAppAuth }) => (0,_octokit_js__WEBPACK_IMPORTED_MODULE_0__/* .createAppClient */ .HS)({ ...options, ...auth, authStrategy: createAppAuth })));
    return new AppInstallations(auth.appId, appClient, token => {
        options.mask(token);
        // Recorded for the post step, which revokes it (DELETE /installation/token).
        options.onInstallationToken?.(token);
        return (0,_octokit_js__WEBPACK_IMPORTED_MODULE_0__/* .createGitHubClient */ .LX)({ ...options, token });
    });
}
/** One installation token per owner, for that owner's destinations only. */
class AppInstallations {
    appId;
    app;
    clientFor;
    credential = 'app-id/app-private-key';
    byOwner = new Map();
    constructor(appId, 
    /** The App's own client (its JWT), built on first use. */
    app, 
    /** Masks the minted token, then builds a client for it. */
    clientFor) {
        this.appId = appId;
        this.app = app;
        this.clientFor = clientFor;
    }
    forDestination(d) {
        const owner = d.owner.toLowerCase();
        let client = this.byOwner.get(owner);
        if (client === undefined) {
            client = this.mint(d);
            this.byOwner.set(owner, client);
        }
        return client;
    }
    async mint(d) {
        // The installation on the account: an org route for org kinds, a repository route otherwise
        // (it also answers for a user account, which has no org route).
        const route = d.repo
            ? { url: '/repos/{owner}/{repo}/installation', owner: d.owner, repo: d.repo }
            : { url: '/orgs/{org}/installation', org: d.owner };
        const app = await this.app();
        let installationId;
        try {
            const { data } = await app.request({ method: 'GET', ...route });
            installationId = (0,_answers_js__WEBPACK_IMPORTED_MODULE_2__/* .parseInstallationId */ .VM)(data);
        }
        catch (error) {
            throw this.refusal(error, d);
        }
        let token;
        try {
            const minted = (await app.auth({ type: 'installation', installationId }));
            token = (0,_answers_js__WEBPACK_IMPORTED_MODULE_2__/* .parseInstallationToken */ .JC)(minted.token);
        }
        catch (error) {
            throw this.refusal(error, d, `minting a token for installation ${installationId}`);
        }
        return this.clientFor(token);
    }
    refusal(error, d, doing = 'finding its installation') {
        const e = error;
        const where = d.repo ? `${d.owner}/${d.repo}` : d.owner;
        const said = (0,_text_js__WEBPACK_IMPORTED_MODULE_3__/* .sanitize */ .aj)(e.message ?? String(error));
        let advice = 'Running again is safe.';
        if (error instanceof _answers_js__WEBPACK_IMPORTED_MODULE_2__/* .GitHubProtocolError */ .ac) {
            return new _rotation_ports_js__WEBPACK_IMPORTED_MODULE_1__/* .DestinationError */ .lt(`GitHub App ${this.appId}, ${doing} for ${where} (${d.label}): GitHub's answer is not ` +
                `what GitHub sends: ${said}. Nothing was written there because of it.`, true);
        }
        if (e.status === 401) {
            advice =
                'GitHub refused the app’s JWT: check that app-id is the App’s ID (or client ID) and ' +
                    'app-private-key one of its current private keys.';
        }
        else if (e.status === 404) {
            advice = `The App is not installed on ${where}: install it there, with access to the repository.`;
        }
        else if (e.status === 403) {
            advice = 'The installation is suspended, or the App may not mint tokens for it.';
        }
        return new _rotation_ports_js__WEBPACK_IMPORTED_MODULE_1__/* .DestinationError */ .lt(`GitHub App ${this.appId}, ${doing} for ${where} (${d.label}): ${said}. ${advice}`, e.status !== undefined && e.status >= 400 && e.status < 500, e.status);
    }
}


/***/ })

};
