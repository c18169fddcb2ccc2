/**
 * The two ports, journaled: every fact the post step needs is saved the moment it happens, at the
 * one place every request of the rotation passes through, so no step can forget to record it.
 *
 *   create   `createSent` before the request (a key may exist from then on, even without an
 *            answer); the new key itself is journaled by rotate.ts once its answer passed the
 *            checks (a hostile answer naming the old key must never reach the post step)
 *   revoke   `revoked` once Hive answered that the key is gone
 *   write    `writeSent` before the PUT (a write may land from then on), `writeConfirmed` once the
 *            store read it back
 *
 * The journal holds ids, prefixes, names and destination labels: never a key value.
 */
import type { Journal } from './journal.js'
import type { KeyService, SecretStore } from './ports.js'

export function journaledKeys(keys: KeyService, journal: Journal): KeyService {
  return {
    current: (apiKey, doing) => keys.current(apiKey, doing),
    get: (apiKey, id) => keys.get(apiKey, id),
    list: adminKey => keys.list(adminKey),
    create: async (adminKey, request) => {
      journal.createSent(request.name)
      return keys.create(adminKey, request)
    },
    update: (adminKey, id, patch) => keys.update(adminKey, id, patch),
    probe: (apiKey, path) => keys.probe(apiKey, path),
    waitUntilAccepted: (apiKey, path, ms) => keys.waitUntilAccepted(apiKey, path, ms),
    revoke: async (apiKey, id) => {
      const outcome = await keys.revoke(apiKey, id)
      journal.revoked(id)
      return outcome
    },
    confirmRevoked: (apiKey, path) => keys.confirmRevoked(apiKey, path),
    usage: (adminKey, id) => keys.usage(adminKey, id),
    sentWith: apiKey => keys.sentWith(apiKey)
  }
}

export function journaledSecrets(secrets: SecretStore, journal: Journal): SecretStore {
  return {
    prepare: destination => secrets.prepare(destination),
    write: async (prepared, secretName, value) => {
      journal.writeSent(prepared.destination.label)
      const status = await secrets.write(prepared, secretName, value)
      journal.writeConfirmed(prepared.destination.label)
      return status
    }
  }
}
