import { CacheArgumentError } from './cache-errors.ts';

/**
 * Argument checks every provider runs before I/O, so all caches reject the same mistakes with the same
 * messages. Exported for third-party providers.
 */
export function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') {
    throw new CacheArgumentError(`A cache key must be a string; got ${typeof key}.`);
  }
  if (key.length === 0) {
    throw new CacheArgumentError('A cache key must not be empty.');
  }
}

export function assertValidValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new CacheArgumentError(
      `A cache value must be a Uint8Array (use setString or setJson for text and objects); got ${value === null ? 'null' : typeof value}.`,
    );
  }
}
