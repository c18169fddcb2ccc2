import type Sodium from 'libsodium-wrappers'

/**
 * libsodium, loaded on the first seal and kept: about 6 ms to evaluate and 11 ms for
 * `sodium.ready`, which a run that fails before it writes a secret (a bad input, mode check)
 * never pays.
 */
let loaded: Promise<typeof Sodium> | undefined
function libsodium(): Promise<typeof Sodium> {
  if (loaded === undefined) {
    const loading = import('libsodium-wrappers').then(async ({ default: sodium }) => {
      await sodium.ready
      return sodium
    })
    // A failed load is not kept: the next seal tries again.
    loading.catch(() => {
      if (loaded === loading) loaded = undefined
    })
    loaded = loading
  }
  return loaded
}

/**
 * Starts loading libsodium now, so that it is ready by the first seal: the store calls it when it
 * reads a destination's public key, and the load then runs while Hive's requests are in flight.
 */
export function preloadSodium(): void {
  libsodium().catch(() => undefined)
}

/**
 * Seal a secret value for GitHub with libsodium's crypto_box_seal.
 *
 * GitHub hands out public keys, and expects `encrypted_value`, in *standard* base64 with padding.
 * libsodium-wrappers defaults to URL-safe base64 without padding, so the variant is named on both
 * sides: without it `from_base64` throws on most GitHub keys and `to_base64` writes `-`/`_`.
 */
export async function seal(value: string, publicKeyBase64: string): Promise<string> {
  const sodium = await libsodium()
  let publicKey: Uint8Array
  try {
    publicKey = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL)
  } catch {
    throw new Error('the public key GitHub returned is not standard base64')
  }
  if (publicKey.length !== sodium.crypto_box_PUBLICKEYBYTES) {
    throw new Error(
      `the public key GitHub returned is ${publicKey.length} bytes, expected ${sodium.crypto_box_PUBLICKEYBYTES}`
    )
  }
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), publicKey)
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL)
}
