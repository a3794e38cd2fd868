import type { CacheEntryOptions } from './cache-entry-options.ts';
import type { CacheOperationOptions, DistributedCache } from './distributed-cache.ts';

/**
 * An optional capability of a cache: a write that happens only if the entry still holds what the caller
 * read, atomically on the server. The session middleware's no-lost-updates mode (`concurrentUpdates:
 * 'merge'`) needs it; the conformance suite tests it when a provider has it.
 */
export interface ConditionalSet {
  /**
   * Stores `value` (as `set` does, with `entry`'s expiration) only if the live entry holds exactly the bytes
   * `expected` (what a `get` returned), or, when `expected` is undefined, only if there is no live entry.
   * Resolves true when it wrote; false, writing nothing, when the entry had changed.
   */
  setIfUnchanged(
    key: string,
    value: Uint8Array,
    expected: Uint8Array | undefined,
    entry?: CacheEntryOptions,
    options?: CacheOperationOptions,
  ): Promise<boolean>;
}

/** Whether a cache offers conditional writes. */
export function supportsConditionalSet(cache: DistributedCache): cache is DistributedCache & ConditionalSet {
  return typeof (cache as Partial<ConditionalSet>).setIfUnchanged === 'function';
}

/** Two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}
