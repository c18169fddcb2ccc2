import { expect } from '@jest/globals'

/**
 * The error `promise` rejects with, after checking that it is a `type` (so that a test can then
 * assert its message, status and so on). Fails the test when the promise resolves instead.
 */
export async function rejection<E>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E
): Promise<E> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(type)
    return error as E
  }
  throw new Error(`expected a ${type.name}, but the promise resolved`)
}
