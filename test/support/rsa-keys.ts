/**
 * RSA key pairs for the GitHub App tests (an App's private key, a JWT signed by another key),
 * made once per machine and name and kept like the other per-machine work (json-cache.ts): a
 * 2048-bit pair costs from 0.1 to 2 s of CPU to make, 4.8 s over the suite (measured), and any
 * pair does. These are test keys, made on the machine and kept in node_modules/.cache; none is
 * committed.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { cachedJson } from './json-cache.js'

export interface RsaPemPair {
  /** PEM; `pkcs1` (`BEGIN RSA PRIVATE KEY`, as GitHub hands an App's key out) or `pkcs8`. */
  privateKey: string
  /** SPKI PEM. */
  publicKey: string
}

const PEM = /^-----BEGIN [A-Z ]+-----\n[A-Za-z0-9+/=\n]+-----END [A-Z ]+-----\n?$/

/** The pair kept under `name` (a different name is a different pair), its private key as asked. */
export function rsaKeyPair(name: string, encoding: 'pkcs1' | 'pkcs8' = 'pkcs1'): RsaPemPair {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`rsaKeyPair: a name of a-z, 0-9 and -: ${name}`)
  const pair = cachedJson<RsaPemPair>(
    `rsa-2048-${name}.json`,
    () =>
      generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' }
      }),
    kept => PEM.test(kept.privateKey) && PEM.test(kept.publicKey)
  )
  if (encoding === 'pkcs8') return pair
  const privateKey = createPrivateKey(pair.privateKey).export({ type: 'pkcs1', format: 'pem' })
  return { privateKey: String(privateKey), publicKey: pair.publicKey }
}
