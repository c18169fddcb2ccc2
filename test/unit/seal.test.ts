/**
 * Sealing and opening against libsodium's C library.
 *
 * test/vectors/sealed-box.json (a copy of shared/vectors/sealed-box.json, kept in the repository so
 * that a fresh clone tests on its own) holds boxes made by libsodium (C) through PyNaCl. They check the
 * emulator's decryptor (`openSealedBox`), which the end-to-end tests trust to tell a correct
 * secret from a wrong one; our `seal()` is then checked against libsodium itself.
 */
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import sodium from 'libsodium-wrappers'
import { seal } from '../../src/github/seal.js'
import { openSealedBox } from '../emulators/github.js'

interface Vector {
  public_key: string
  secret_key: string
  sealed_base64: string
  plaintext_base64?: string
  why?: string
}

const VECTORS = new URL('../vectors/sealed-box.json', import.meta.url)
/** The design's copy, beside the repository where the project's shared/ folder is. */
const SHARED_VECTORS = new URL('../../../shared/vectors/sealed-box.json', import.meta.url)
const vectors = JSON.parse(readFileSync(VECTORS, 'utf8')) as { valid: Vector[]; invalid: Vector[] }

/** Standard base64 with mandatory padding, as GitHub sends and expects it. */
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const ORIGINAL = (): number => sodium.base64_variants.ORIGINAL
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
const toUrlSafe = (text: string): string =>
  text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

describe('the vectors themselves', () => {
  it('hold both kinds of case', () => {
    expect(vectors.valid.length).toBeGreaterThan(0)
    expect(vectors.invalid.length).toBeGreaterThan(0)
  })

  const shared = existsSync(SHARED_VECTORS) ? it : it.skip
  shared('are the same as the design’s copy in shared/', () => {
    expect(readFileSync(VECTORS, 'utf8')).toBe(readFileSync(SHARED_VECTORS, 'utf8'))
  })
})

describe('openSealedBox (the emulator decryptor)', () => {
  it.each(vectors.valid.map((v, i) => [i, v] as const))(
    'opens valid vector %i to its plaintext, byte-exact',
    (_i, v) => {
      const opened = openSealedBox(v.sealed_base64, v.public_key, v.secret_key)
      expect(opened).not.toBeNull()
      expect(b64(opened as Uint8Array)).toBe(v.plaintext_base64)
    }
  )

  it.each(vectors.invalid.map(v => [v.why ?? '?', v] as const))('refuses: %s', (_why, v) => {
    expect(openSealedBox(v.sealed_base64, v.public_key, v.secret_key)).toBeNull()
  })

  it('refuses a valid box in the URL-safe alphabet or without padding', () => {
    const v = vectors.valid.find(x => /[+/]/.test(x.sealed_base64) && x.sealed_base64.endsWith('='))
    expect(v).toBeDefined()
    const { sealed_base64: sealed, public_key: pk, secret_key: sk } = v as Vector
    expect(openSealedBox(sealed, pk, sk)).not.toBeNull() // the control
    expect(openSealedBox(toUrlSafe(sealed), pk, sk)).toBeNull()
    expect(openSealedBox(sealed.replace(/=+$/, ''), pk, sk)).toBeNull()
    expect(openSealedBox(` ${sealed}`, pk, sk)).toBeNull()
  })

  it('refuses a valid box opened with another key pair', () => {
    const [a, b] = vectors.valid
    expect(openSealedBox(a.sealed_base64, b.public_key, b.secret_key)).toBeNull()
  })

  it('throws on malformed keys rather than pretending the box is bad', () => {
    const v = vectors.valid[0]
    expect(() => openSealedBox(v.sealed_base64, 'AAAA', v.secret_key)).toThrow(/public key/)
    expect(() => openSealedBox(v.sealed_base64, v.public_key, toUrlSafe(v.secret_key))).toThrow(
      /secret key/
    )
  })
})

describe('seal()', () => {
  const plaintexts = ['', 'a', 'hv_live_0123456789abcdefABCDEF', 'ключ-🔑-キー', 'x'.repeat(4096)]

  /** Open with libsodium itself (not our helper), with the standard base64 variant. */
  const libsodiumOpen = (sealed: string, pk: Uint8Array, sk: Uint8Array): string =>
    sodium.to_string(sodium.crypto_box_seal_open(sodium.from_base64(sealed, ORIGINAL()), pk, sk))

  it.each(plaintexts.map(p => [p.length > 40 ? `${p.slice(0, 10)}…` : p, p]))(
    'seals %j for a fresh key pair: libsodium opens it, byte-exact',
    async (_label, plaintext) => {
      await sodium.ready
      const pair = sodium.crypto_box_keypair()
      const sealed = await seal(plaintext, b64(pair.publicKey))

      expect(sealed).toMatch(STANDARD_BASE64)
      const utf8 = Buffer.from(plaintext, 'utf8')
      expect(Buffer.from(sealed, 'base64').length).toBe(utf8.length + 48)
      expect(libsodiumOpen(sealed, pair.publicKey, pair.privateKey)).toBe(plaintext)
      // And the emulator's decryptor agrees, byte for byte.
      const opened = openSealedBox(sealed, b64(pair.publicKey), b64(pair.privateKey))
      expect(Buffer.from(opened as Uint8Array).equals(utf8)).toBe(true)
    }
  )

  it.each(vectors.valid.map((v, i) => [i, v] as const))(
    'seals for the key pair of vector %i',
    async (_i, v) => {
      await sodium.ready
      const plaintext = 'ключ-🔑-キー'
      const sealed = await seal(plaintext, v.public_key)
      expect(sealed).toMatch(STANDARD_BASE64)
      const pk = sodium.from_base64(v.public_key, ORIGINAL())
      const sk = sodium.from_base64(v.secret_key, ORIGINAL())
      expect(libsodiumOpen(sealed, pk, sk)).toBe(plaintext)
      const opened = openSealedBox(sealed, v.public_key, v.secret_key)
      expect(Buffer.from(opened as Uint8Array).toString('utf8')).toBe(plaintext)
    }
  )

  it('uses a fresh ephemeral key every time', async () => {
    const key = vectors.valid[0].public_key
    expect(await seal('same', key)).not.toBe(await seal('same', key))
  })

  it('rejects a public key in the URL-safe alphabet', async () => {
    const key = vectors.valid.map(v => v.public_key).find(k => /[+/]/.test(k)) as string
    await expect(seal('v', toUrlSafe(key))).rejects.toThrow(/standard base64/)
    await expect(seal('v', key.replace(/\+/g, '-').replace(/\//g, '_'))).rejects.toThrow(
      /standard base64/
    )
  })

  it('rejects a public key without its padding', async () => {
    const key = vectors.valid[0].public_key
    await expect(seal('v', key.replace(/=+$/, ''))).rejects.toThrow(/standard base64/)
  })

  it.each([0, 16, 31, 33, 64])('rejects a %i-byte public key', async length => {
    const key = Buffer.alloc(length, 7).toString('base64')
    await expect(seal('v', key)).rejects.toThrow(new RegExp(`${length} bytes, expected 32`))
  })
})
