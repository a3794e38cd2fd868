import type { CacheEntryOptions } from './cache-entry-options.ts';

/** Per-call options every cache operation accepts. */
export interface CacheOperationOptions {
  /** Aborts the operation; an already-aborted signal rejects before any I/O. */
  signal?: AbortSignal | undefined;
}

/**
 * A cache of byte values shared by every instance of an application, as ASP.NET Core's IDistributedCache.
 * Keys are strings; values are bytes. Implementations run the conformance suite in
 * `@sharedstate/caching-abstractions/testing`.
 */
export interface DistributedCache {
  /**
   * Set by a cache that bounds every operation itself: each one settles (or rejects) within about this many
   * milliseconds. A caller with a longer bound of its own (the session middleware's ioTimeout) can rely on
   * it instead of timing each call again. Undefined when the cache makes no such promise.
   */
  readonly operationTimeoutMs?: number | undefined;
  /** The value, or undefined on a miss. Resets the sliding expiration of the entry it returns. */
  get(key: string, options?: CacheOperationOptions): Promise<Uint8Array | undefined>;
  /** Stores a value, replacing any value under the key. */
  set(
    key: string,
    value: Uint8Array,
    entry?: CacheEntryOptions,
    options?: CacheOperationOptions,
  ): Promise<void>;
  /** Resets the sliding expiration without reading the value. A missing key is a no-op. */
  refresh(key: string, options?: CacheOperationOptions): Promise<void>;
  /** Removes the entry. A missing key is a no-op. */
  remove(key: string, options?: CacheOperationOptions): Promise<void>;
}
