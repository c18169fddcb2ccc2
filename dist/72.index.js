export const id = 72;
export const ids = [72];
export const modules = {

/***/ 4072:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   journaledKeys: () => (/* binding */ journaledKeys),
/* harmony export */   journaledSecrets: () => (/* binding */ journaledSecrets)
/* harmony export */ });
function journaledKeys(keys, journal) {
    return {
        current: (apiKey, doing) => keys.current(apiKey, doing),
        get: (apiKey, id) => keys.get(apiKey, id),
        list: adminKey => keys.list(adminKey),
        create: async (adminKey, request) => {
            journal.createSent(request.name);
            return keys.create(adminKey, request);
        },
        update: (adminKey, id, patch) => keys.update(adminKey, id, patch),
        probe: (apiKey, path) => keys.probe(apiKey, path),
        waitUntilAccepted: (apiKey, path, ms) => keys.waitUntilAccepted(apiKey, path, ms),
        revoke: async (apiKey, id) => {
            const outcome = await keys.revoke(apiKey, id);
            journal.revoked(id);
            return outcome;
        },
        confirmRevoked: (apiKey, path) => keys.confirmRevoked(apiKey, path),
        usage: (adminKey, id) => keys.usage(adminKey, id),
        sentWith: apiKey => keys.sentWith(apiKey)
    };
}
function journaledSecrets(secrets, journal) {
    return {
        prepare: destination => secrets.prepare(destination),
        write: async (prepared, secretName, value) => {
            journal.writeSent(prepared.destination.label);
            const status = await secrets.write(prepared, secretName, value);
            journal.writeConfirmed(prepared.destination.label);
            return status;
        }
    };
}


/***/ })

};
