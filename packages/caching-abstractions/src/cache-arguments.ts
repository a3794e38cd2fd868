import { refuseUnknownOptions } from '@sharedstate/shared-helpers';
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

/**
 * A provider's constructor check: fails with a CacheArgumentError on an option name `known` lacks (see
 * unknownOptionMessage), so a misspelt or carried-over option is not ignored without a word.
 */
export function assertKnownOptions(
  what: string,
  given: object,
  known: Readonly<Record<string, true>>,
  hints?: Readonly<Record<string, string>>,
): void {
  refuseUnknownOptions(CacheArgumentError, what, given, known, hints);
}
