import {
  type Clock,
  type Duration,
  type LruEntry,
  parseDuration,
  SizeBoundedLru,
  systemClock,
} from '@sharedstate/shared-helpers';
import { assertKnownOptions, assertValidKey, assertValidValue } from './cache-arguments.ts';
import {
  type CacheOperationTarget,
  cacheOperationChannel,
  traceCacheOperation,
} from './cache-diagnostics.ts';
import {
  type CacheEntryOptions,
  expiresAtAfterTouch,
  type ResolvedEntryOptions,
  resolveEntryOptions,
} from './cache-entry-options.ts';
import { CacheArgumentError, CacheDisposedError, CacheEntryTooLargeError } from './cache-errors.ts';
import { cacheKeyTag } from './cache-key-tag.ts';
import { type ConditionalSet, sameBytes } from './conditional-set.ts';
import type { CacheOperationOptions, DistributedCache } from './distributed-cache.ts';

export interface MemoryDistributedCacheOptions {
  /**
   * Most bytes the cache holds; past it the least recently used entries are evicted. Each entry counts its
   * value, its key and what the process spends to keep an entry (objects, the value's buffer, the map's
   * slot), so the limit is close to the heap the cache really takes. Default 200 MiB, as ASP.NET Core's
   * MemoryDistributedCache. `Infinity` turns the limit off.
   */
  sizeLimit?: number;
  /** How often expired entries are swept out. Default '1m'. */
  sweepInterval?: Duration;
  /** Time source; tests pass one they can move. */
  clock?: Clock;
}

/** One entry, linked into the recency list. */
interface MemoryEntry extends LruEntry {
  value: Uint8Array;
  options: ResolvedEntryOptions;
  expiresAt: number | undefined;
}

const OPTION_NAMES: Readonly<Record<keyof MemoryDistributedCacheOptions, true>> = {
  sizeLimit: true,
  sweepInterval: true,
  clock: true,
};

const DEFAULT_SIZE_LIMIT = 200 * 1024 * 1024;
/**
 * Heap one entry takes beyond its value's and key's bytes: the entry object, the Uint8Array with its own
 * ArrayBuffer and backing store, and the map's slot, on Node 24 x64 (`pnpm bench memory-size` prints the
 * counted size beside the heap the entries really take, to keep this constant honest).
 */
const ENTRY_OVERHEAD = 800;
// Strings are UTF-16 in memory; count a key at two bytes a code unit.
const entrySize = (key: string, value: Uint8Array) => value.byteLength + key.length * 2 + ENTRY_OVERHEAD;

const MEMORY_TARGET: CacheOperationTarget = { provider: 'MemoryDistributedCache', system: 'memory' };

/**
 * The embedded default cache: one process's memory behind the DistributedCache interface. Good for a
 * single instance and for development; a scaled-out app needs a shared provider (Redis, SQL Server).
 */
export class MemoryDistributedCache implements DistributedCache, ConditionalSet {
  readonly #entries: SizeBoundedLru<MemoryEntry>;
  readonly #clock: Clock;
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(options: MemoryDistributedCacheOptions = {}) {
    assertKnownOptions('MemoryDistributedCache', options, OPTION_NAMES, {
      SizeLimit: 'use `sizeLimit` (bytes)',
      ExpirationScanFrequency: 'use `sweepInterval`',
    });
    const { sizeLimit = DEFAULT_SIZE_LIMIT, sweepInterval = '1m', clock = systemClock } = options;
    if (typeof sizeLimit !== 'number' || Number.isNaN(sizeLimit) || sizeLimit <= 0) {
      throw new CacheArgumentError(
        `sizeLimit must be a positive number of bytes or Infinity; got ${sizeLimit}.`,
      );
    }
    if (typeof clock?.now !== 'function') {
      throw new CacheArgumentError(
        'clock must be an object with a now() method returning epoch milliseconds.',
      );
    }
    this.#entries = new SizeBoundedLru(sizeLimit);
    this.#clock = clock;
    this.#sweepTimer = setInterval(
      () => this.#sweepOnSchedule(),
      parseDuration(sweepInterval, 'sweepInterval', CacheArgumentError),
    );
    this.#sweepTimer.unref();
  }

  /** Bytes currently held, as counted against sizeLimit. */
  get size(): number {
    return this.#entries.size;
  }

  /** Number of entries held, including expired ones not yet swept. */
  get count(): number {
    return this.#entries.count;
  }

  get(key: string, options?: CacheOperationOptions): Promise<Uint8Array | undefined> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(MEMORY_TARGET, 'get', key, () => this.#get(key, options))
      : this.#get(key, options);
  }

  async #get(key: string, options: CacheOperationOptions | undefined): Promise<Uint8Array | undefined> {
    this.#checkUsable(options);
    assertValidKey(key);
    const entry = this.#touch(key);
    // new Uint8Array(view) copies, even when the view is a Buffer (whose slice() would not).
    return entry === undefined ? undefined : new Uint8Array(entry.value);
  }

  set(
    key: string,
    value: Uint8Array,
    entryOptions?: CacheEntryOptions,
    options?: CacheOperationOptions,
  ): Promise<void> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(MEMORY_TARGET, 'set', key, () => this.#set(key, value, entryOptions, options))
      : this.#set(key, value, entryOptions, options);
  }

  async #set(
    key: string,
    value: Uint8Array,
    entryOptions: CacheEntryOptions | undefined,
    options: CacheOperationOptions | undefined,
  ): Promise<void> {
    this.#checkUsable(options);
    assertValidKey(key);
    assertValidValue(value);
    const now = this.#clock.now();
    const resolved = resolveEntryOptions(entryOptions, now);
    const size = entrySize(key, value);
    if (size > this.#entries.sizeLimit) {
      throw new CacheEntryTooLargeError(
        `The entry of ${cacheKeyTag(key)} needs ${size} bytes but the cache's sizeLimit is ${this.#entries.sizeLimit}; raise sizeLimit or store less.`,
      );
    }
    // Copy: a caller that reuses its buffer must not change what was cached. Evictions down to the limit are
    // amortized O(1) per write; expired entries are not looked for here (that would scan every entry on each
    // write into a full cache): the periodic sweep and reads remove them.
    this.#entries.add({
      key,
      value: new Uint8Array(value),
      options: resolved,
      expiresAt: expiresAtAfterTouch(resolved, now),
      size,
      older: undefined,
      newer: undefined,
    });
  }

  /** Sets only if the live entry holds `expected` (or, for undefined, there is none): see ConditionalSet. */
  setIfUnchanged(
    key: string,
    value: Uint8Array,
    expected: Uint8Array | undefined,
    entryOptions?: CacheEntryOptions,
    options?: CacheOperationOptions,
  ): Promise<boolean> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(MEMORY_TARGET, 'setIfUnchanged', key, () =>
          this.#setIfUnchanged(key, value, expected, entryOptions, options),
        )
      : this.#setIfUnchanged(key, value, expected, entryOptions, options);
  }

  async #setIfUnchanged(
    key: string,
    value: Uint8Array,
    expected: Uint8Array | undefined,
    entryOptions: CacheEntryOptions | undefined,
    options: CacheOperationOptions | undefined,
  ): Promise<boolean> {
    this.#checkUsable(options);
    assertValidKey(key);
    assertValidValue(value);
    if (expected !== undefined) assertValidValue(expected);
    const current = this.#entries.peek(key);
    const live = current !== undefined && !isExpired(current, this.#clock.now()) ? current : undefined;
    if (expected === undefined ? live !== undefined : live === undefined || !sameBytes(live.value, expected))
      return false;
    // Nothing is awaited between the check and the write: no other operation can come between them.
    await this.#set(key, value, entryOptions, undefined);
    return true;
  }

  refresh(key: string, options?: CacheOperationOptions): Promise<void> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(MEMORY_TARGET, 'refresh', key, () => this.#refresh(key, options))
      : this.#refresh(key, options);
  }

  async #refresh(key: string, options: CacheOperationOptions | undefined): Promise<void> {
    this.#checkUsable(options);
    assertValidKey(key);
    this.#touch(key);
  }

  remove(key: string, options?: CacheOperationOptions): Promise<void> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(MEMORY_TARGET, 'remove', key, () => this.#remove(key, options))
      : this.#remove(key, options);
  }

  async #remove(key: string, options: CacheOperationOptions | undefined): Promise<void> {
    this.#checkUsable(options);
    assertValidKey(key);
    this.#entries.delete(key);
  }

  /**
   * Drops every expired entry now and returns how many it dropped; runs on its own every sweepInterval
   * (published as a `sweep` operation), never on a read or write.
   */
  sweepExpired(): number {
    const now = this.#clock.now();
    let removed = 0;
    for (const entry of this.#entries.values()) {
      if (isExpired(entry, now)) {
        this.#entries.delete(entry.key);
        removed++;
      }
    }
    return removed;
  }

  #sweepOnSchedule(): void {
    if (!cacheOperationChannel.hasSubscribers) {
      this.sweepExpired();
      return;
    }
    void traceCacheOperation(MEMORY_TARGET, 'sweep', '', async () => this.sweepExpired());
  }

  /** Stops the sweep timer and drops all entries; later calls reject with CacheDisposedError. */
  dispose(): void {
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    this.#entries.clear();
  }

  #checkUsable(options: CacheOperationOptions | undefined): void {
    options?.signal?.throwIfAborted();
    if (this.#sweepTimer === undefined) {
      throw new CacheDisposedError('This MemoryDistributedCache was disposed; create a new one.');
    }
  }

  /** Finds a live entry, extends its sliding window and marks it most recently used. */
  #touch(key: string): MemoryEntry | undefined {
    const entry = this.#entries.peek(key);
    if (entry === undefined) return undefined;
    const now = this.#clock.now();
    if (isExpired(entry, now)) {
      this.#entries.delete(key);
      return undefined;
    }
    if (entry.options.slidingMs !== undefined) entry.expiresAt = expiresAtAfterTouch(entry.options, now);
    this.#entries.touch(entry);
    return entry;
  }
}

function isExpired(entry: MemoryEntry, now: number): boolean {
  return entry.expiresAt !== undefined && entry.expiresAt <= now;
}
