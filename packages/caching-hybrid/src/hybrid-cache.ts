import { CacheArgumentError, CacheDisposedError } from '@sharedstate/caching-abstractions';
import {
  durationMsFromTicks,
  LogThrottle,
  type LruEntry,
  parseDuration,
  SizeBoundedLru,
  ticksFromDurationMs,
  ticksFromEpochMs,
} from '@sharedstate/shared-helpers';
import {
  checkEntryOptions,
  HybridCacheEntryFlags as Flags,
  flagsOf,
  type HybridCacheEntryOptions,
  type HybridCacheOptions,
  type HybridSerializerChoice,
  type ResolvedHybridCacheOptions,
  resolveHybridCacheOptions,
} from './hybrid-cache-options.ts';
import { readHybridPayload, writeHybridPayload } from './hybrid-payload.ts';
import {
  bytesSerializer,
  type HybridCacheSerializer,
  jsonSerializer,
  stringSerializer,
} from './hybrid-serializers.ts';
import { SingleFlight } from './single-flight.ts';
import { TagInvalidations, WILDCARD_TAG } from './tag-invalidations.ts';

/** The duration .NET writes in an entry made without entry options (its `_defaultTimeout`). */
const PAYLOAD_DURATION_WITHOUT_OPTIONS_MS = 60 * 60_000;
/** What a local entry costs beyond its serialized bytes and key: the entry object, the value, the map's slot. */
const LOCAL_ENTRY_OVERHEAD = 300;
const MISS = Symbol('miss');

interface LocalEntry extends LruEntry {
  value: unknown;
  /** Epoch ms. */
  expiresAt: number;
  creationTicks: bigint;
  tags: readonly string[];
  /** The tag epoch at the last check that found it valid. */
  checkedEpoch: number;
}

/** A call's options merged with the cache's defaults. */
interface CallOptions {
  expirationMs: number;
  /** What the entry's payload says: the call's expiration, or .NET's hour when the call gave none. */
  payloadDurationMs: number;
  localCacheExpirationMs: number;
  flags: number;
  tags: readonly string[];
  serializer: HybridCacheSerializer<unknown>;
}

/** The message instances send each other on the bus. */
interface BusMessage {
  v: 1;
  from: string;
  keys?: string[];
  /** Tag → invalidation ticks, as a decimal string. */
  tags?: Record<string, string>;
}

/**
 * HybridCache (Microsoft.Extensions.Caching.Hybrid) for Node: this process's memory (L1) in front of any
 * DistributedCache (L2), one factory call per key however many callers ask at once, tags, and entries in
 * .NET's L2 format, so a .NET app's HybridCache and this one share entries and tag invalidations. With an
 * invalidation bus, a set, remove or removeByTag on one instance evicts every other instance's L1 copy.
 */
export class HybridCache {
  readonly #options: ResolvedHybridCacheOptions;
  readonly #local: SizeBoundedLru<LocalEntry>;
  readonly #flights = new SingleFlight<unknown>();
  readonly #tags: TagInvalidations;
  readonly #log: LogThrottle;
  readonly #json: HybridCacheSerializer<unknown>;
  /** Tells this instance's own bus messages from others'. */
  readonly #instanceId = crypto.randomUUID();
  #lastTicks = 0n;
  #unsubscribe: Promise<(() => Promise<void>) | undefined> | undefined;
  #disposed = false;

  constructor(options: HybridCacheOptions = {}) {
    this.#options = resolveHybridCacheOptions(options);
    this.#local = new SizeBoundedLru(this.#options.localCacheSizeLimit);
    this.#log = new LogThrottle(this.#options.logger);
    this.#json = jsonSerializer(this.#options.jsonPropertyNaming);
    this.#tags = new TagInvalidations(
      this.#options.distributedCache,
      this.#options.clock,
      this.#options.tagRefreshMs,
      this.#log,
      () => this.#nowTicks(),
    );
    if (this.#options.invalidationBus !== undefined) this.#unsubscribe = this.#subscribe();
  }

  /**
   * The value of `key`: from this process's memory, else from the distributed cache, else made by
   * `factory` (once, however many callers ask at once) and stored in both. A caller's `signal` stops its
   * own wait; the factory's signal aborts only when every caller has stopped waiting. A factory's error
   * reaches every waiting caller and nothing is stored.
   */
  async getOrCreate<T>(
    key: string,
    factory: (signal: AbortSignal) => T | Promise<T>,
    options?: HybridCacheEntryOptions<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    this.#checkUsable();
    signal?.throwIfAborted();
    if (typeof factory !== 'function') throw new CacheArgumentError('getOrCreate needs a factory function.');
    if (!this.#keyUsable(key)) return factory(signal ?? new AbortController().signal);
    // A local hit needs only the flags: the rest of the options (durations to parse, the serializer) only
    // when the value is read from L2 or made.
    const flags = options?.flags === undefined ? this.#options.flags : flagsOf(options.flags, 'flags');
    if ((flags & Flags.DisableLocalCacheRead) === 0) {
      const read = this.#readLocal(key);
      const local = read instanceof Promise ? await read : read;
      if (local !== MISS) return local as T;
    }
    const call = this.#callOptions(options as HybridCacheEntryOptions<unknown> | undefined);
    const made = await this.#flights.run(key, signal, (flightSignal) =>
      this.#readOrCreate(key, factory as (signal: AbortSignal) => unknown, call, flightSignal),
    );
    return made === MISS ? (undefined as T) : (made as T);
  }

  /** Stores `value` under `key` in both caches, and tells other instances to drop their copies. */
  async set<T>(key: string, value: T, options?: HybridCacheEntryOptions<T>): Promise<void> {
    this.#checkUsable();
    const call = this.#callOptions(options as HybridCacheEntryOptions<unknown> | undefined);
    if (!this.#keyUsable(key)) return;
    const creationTicks = this.#nowTicks();
    const payload = call.serializer.serialize(value);
    if (!this.#payloadFits(key, payload)) return;
    if ((call.flags & Flags.DisableDistributedCacheWrite) === 0)
      await this.#writeDistributed(key, payload, creationTicks, call, true);
    if ((call.flags & Flags.DisableLocalCacheWrite) === 0)
      this.#writeLocal(key, value, payload.byteLength, creationTicks, call, call.expirationMs);
    else this.#local.delete(key);
    await this.#publish({ v: 1, from: this.#instanceId, keys: [key] });
  }

  /** Removes one key or many from both caches (and from other instances' memory, with a bus). */
  async remove(keys: string | readonly string[]): Promise<void> {
    this.#checkUsable();
    const list = typeof keys === 'string' ? [keys] : [...keys];
    for (const key of list) {
      if (typeof key !== 'string') throw new CacheArgumentError('remove() takes a key or an array of keys.');
      this.#local.delete(key);
    }
    const cache = this.#options.distributedCache;
    if (cache !== undefined) for (const key of list) await cache.remove(key);
    if (list.length > 0) await this.#publish({ v: 1, from: this.#instanceId, keys: list });
  }

  /**
   * Invalidates every entry with one of these tags, here and (through the distributed cache, as .NET
   * writes it) everywhere: `'*'` invalidates every entry. Entries stay stored until they expire, but are
   * never returned again.
   */
  async removeByTag(tags: string | readonly string[]): Promise<void> {
    this.#checkUsable();
    const list = (typeof tags === 'string' ? [tags] : [...tags]).filter(
      (tag) => typeof tag === 'string' && tag.trim() !== '',
    );
    if (list.length === 0) return;
    const ticks = this.#nowTicks();
    for (const tag of list) this.#tags.invalidate(tag, ticks);
    for (const tag of list) await this.#tags.store(tag, ticks);
    await this.#publish({
      v: 1,
      from: this.#instanceId,
      tags: Object.fromEntries(list.map((tag) => [tag, String(ticks)])),
    });
  }

  /** Resolves once the bus subscription is made (or has failed, which is logged); at once without a bus. */
  async ready(): Promise<void> {
    await this.#unsubscribe;
  }

  /** Entries in this process's memory, and the bytes they count against localCacheSizeLimit. */
  get localCache(): { count: number; size: number } {
    return { count: this.#local.count, size: this.#local.size };
  }

  /** Stops listening on the bus and drops the local entries; later calls throw CacheDisposedError. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    this.#local.clear();
    const unsubscribe = await this.#unsubscribe;
    await unsubscribe?.();
  }

  /** A local hit (a Promise when a tag's time must be read first), or MISS. */
  #readLocal(key: string): unknown | Promise<unknown> {
    const entry = this.#local.peek(key);
    if (entry === undefined) return MISS;
    if (entry.expiresAt <= this.#options.clock.now()) {
      this.#local.delete(key);
      return MISS;
    }
    if (entry.checkedEpoch === this.#tags.epoch && this.#tags.fresh(entry.tags)) {
      this.#local.touch(entry);
      return entry.value;
    }
    const decide = (invalidated: boolean) => {
      if (invalidated) {
        if (this.#local.peek(key) === entry) this.#local.delete(key);
        return MISS;
      }
      entry.checkedEpoch = this.#tags.epoch;
      return entry.value;
    };
    const invalidated = this.#tags.isInvalidated(entry.creationTicks, entry.tags);
    return typeof invalidated === 'boolean' ? decide(invalidated) : invalidated.then(decide);
  }

  async #readOrCreate(
    key: string,
    factory: (signal: AbortSignal) => unknown,
    call: CallOptions,
    signal: AbortSignal,
  ): Promise<unknown> {
    const cache = this.#options.distributedCache;
    if (cache !== undefined && (call.flags & Flags.DisableDistributedCacheRead) === 0) {
      const found = await this.#readDistributed(key, call, signal);
      if (found !== MISS) return found;
    }
    if ((call.flags & Flags.DisableUnderlyingData) !== 0) return MISS;
    const value = await factory(signal);
    const creationTicks = this.#nowTicks();
    let payload: Uint8Array;
    try {
      payload = call.serializer.serialize(value);
    } catch (error) {
      this.#log.log(
        'warn',
        'serialize',
        `The value of a HybridCache entry could not be serialized; it is not cached: ${(error as Error).message}`,
      );
      return value;
    }
    if (!this.#payloadFits(key, payload)) return value;
    if (cache !== undefined && (call.flags & Flags.DisableDistributedCacheWrite) === 0) {
      await this.#writeDistributed(key, payload, creationTicks, call, false);
    }
    if ((call.flags & Flags.DisableLocalCacheWrite) === 0) {
      this.#writeLocal(key, value, payload.byteLength, creationTicks, call, call.expirationMs);
    }
    return value;
  }

  /** The value in L2, or MISS (none, not ours, expired, invalidated by a tag, or L2 unreachable: logged). */
  async #readDistributed(key: string, call: CallOptions, signal: AbortSignal): Promise<unknown> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.#options.distributedCache!.get(key, { signal });
    } catch (error) {
      if (signal.aborted) throw error;
      this.#log.log(
        'warn',
        'l2-read',
        `Reading a HybridCache entry from the distributed cache failed; the value is made instead: ${(error as Error).message}`,
      );
      return MISS;
    }
    if (bytes === undefined) return MISS;
    if (bytes.byteLength > this.#options.maximumPayloadBytes) {
      this.#log.log(
        'warn',
        'l2-too-large',
        `A HybridCache entry in the distributed cache is larger than maximumPayloadBytes (${this.#options.maximumPayloadBytes}); it is ignored.`,
      );
      return MISS;
    }
    const read = readHybridPayload(bytes, key, this.#nowTicks());
    if (read.entry === undefined) {
      if (read.rejection !== 'expired') {
        this.#log.log(
          'warn',
          `l2-${read.rejection}`,
          `A HybridCache entry in the distributed cache was ignored: ${REJECTIONS[read.rejection]}.`,
        );
      }
      return MISS;
    }
    const { entry } = read;
    const invalidated = this.#tags.isInvalidated(entry.creationTicks, entry.tags);
    if (invalidated === true || (invalidated !== false && (await invalidated))) return MISS;
    let value: unknown;
    try {
      value = call.serializer.deserialize(entry.payload);
    } catch (error) {
      this.#log.log(
        'warn',
        'deserialize',
        `A HybridCache entry in the distributed cache could not be deserialized (another type or serializer?); the value is made instead: ${(error as Error).message}`,
      );
      return MISS;
    }
    if ((call.flags & Flags.DisableLocalCacheWrite) === 0) {
      // Kept locally no longer than the entry has left in L2.
      const remainingMs = durationMsFromTicks(entry.creationTicks + entry.durationTicks - this.#nowTicks());
      this.#writeLocal(
        key,
        value,
        entry.payload.byteLength,
        entry.creationTicks,
        { ...call, tags: entry.tags },
        remainingMs,
      );
    }
    return value;
  }

  async #writeDistributed(
    key: string,
    payload: Uint8Array,
    creationTicks: bigint,
    call: CallOptions,
    rethrow: boolean,
  ): Promise<void> {
    const bytes = writeHybridPayload({
      key,
      creationTicks,
      durationTicks: ticksFromDurationMs(call.payloadDurationMs),
      tags: call.tags,
      payload,
    });
    try {
      await this.#options.distributedCache!.set(key, bytes, {
        absoluteExpirationRelativeToNow: call.expirationMs,
      });
    } catch (error) {
      if (rethrow) throw error;
      this.#log.log(
        'warn',
        'l2-write',
        `Writing a HybridCache entry to the distributed cache failed; it is kept in this process only: ${(error as Error).message}`,
      );
    }
  }

  #writeLocal(
    key: string,
    value: unknown,
    payloadBytes: number,
    creationTicks: bigint,
    call: CallOptions,
    remainingMs: number,
  ): void {
    const lifetime = Math.min(call.localCacheExpirationMs, remainingMs);
    if (lifetime <= 0) return;
    const size = payloadBytes + key.length * 2 + LOCAL_ENTRY_OVERHEAD;
    if (size > this.#local.sizeLimit) return;
    this.#local.add({
      key,
      value,
      size,
      expiresAt: this.#options.clock.now() + lifetime,
      creationTicks,
      tags: call.tags,
      checkedEpoch: this.#tags.epoch,
      older: undefined,
      newer: undefined,
    });
  }

  #callOptions(options: HybridCacheEntryOptions<unknown> | undefined): CallOptions {
    const defaults = this.#options;
    if (options === undefined) {
      return {
        expirationMs: defaults.expirationMs,
        payloadDurationMs: PAYLOAD_DURATION_WITHOUT_OPTIONS_MS,
        localCacheExpirationMs: defaults.localCacheExpirationMs,
        flags: defaults.flags,
        tags: [],
        serializer: this.#json,
      };
    }
    checkEntryOptions(options as HybridCacheEntryOptions<never>);
    const expirationMs =
      options.expiration === undefined
        ? defaults.expirationMs
        : parseDuration(options.expiration, 'expiration', CacheArgumentError);
    return {
      expirationMs,
      payloadDurationMs:
        options.expiration === undefined ? PAYLOAD_DURATION_WITHOUT_OPTIONS_MS : expirationMs,
      localCacheExpirationMs:
        options.localCacheExpiration === undefined
          ? Math.min(defaults.localCacheExpirationMs, expirationMs)
          : parseDuration(options.localCacheExpiration, 'localCacheExpiration', CacheArgumentError),
      flags: options.flags === undefined ? defaults.flags : flagsOf(options.flags, 'flags'),
      tags:
        options.tags === undefined ? [] : [...new Set(options.tags)].filter((tag) => tag !== WILDCARD_TAG),
      serializer: this.#serializerOf(options.serializer),
    };
  }

  #serializerOf(choice: HybridSerializerChoice<unknown> | undefined): HybridCacheSerializer<unknown> {
    if (choice === undefined || choice === 'json') return this.#json;
    if (choice === 'string') return stringSerializer as HybridCacheSerializer<unknown>;
    if (choice === 'bytes') return bytesSerializer as HybridCacheSerializer<unknown>;
    if (typeof choice?.serialize !== 'function' || typeof choice.deserialize !== 'function') {
      throw new CacheArgumentError(
        "serializer must be 'json', 'string', 'bytes' or an object with serialize() and deserialize().",
      );
    }
    return choice;
  }

  /** A key .NET would cache: a non-empty string no longer than maximumKeyLength (else the factory runs uncached). */
  #keyUsable(key: string): boolean {
    if (typeof key !== 'string')
      throw new CacheArgumentError(`A HybridCache key must be a string; got ${typeof key}.`);
    if (key.length === 0 || key.length > this.#options.maximumKeyLength) {
      this.#log.log(
        'warn',
        'key-length',
        `A HybridCache key of ${key.length} characters is not cached (maximumKeyLength is ${this.#options.maximumKeyLength}).`,
      );
      return false;
    }
    return true;
  }

  #payloadFits(key: string, payload: Uint8Array): boolean {
    if (payload.byteLength <= this.#options.maximumPayloadBytes) return true;
    this.#local.delete(key);
    this.#log.log(
      'warn',
      'payload-size',
      `A HybridCache value of ${payload.byteLength} bytes is not cached (maximumPayloadBytes is ${this.#options.maximumPayloadBytes}).`,
    );
    return false;
  }

  /** UTC ticks, strictly increasing in this process: an entry made after an invalidation here is newer than it. */
  #nowTicks(): bigint {
    const ticks = ticksFromEpochMs(this.#options.clock.now());
    this.#lastTicks = ticks > this.#lastTicks ? ticks : this.#lastTicks + 1n;
    return this.#lastTicks;
  }

  #checkUsable(): void {
    if (this.#disposed) throw new CacheDisposedError('This HybridCache was disposed; create a new one.');
  }

  async #publish(message: BusMessage): Promise<void> {
    const bus = this.#options.invalidationBus;
    if (bus === undefined) return;
    try {
      for (const part of messageParts(message, bus.messageLimit ?? DEFAULT_MESSAGE_LIMIT))
        await bus.publish(part);
    } catch (error) {
      this.#log.log(
        'warn',
        'bus-publish',
        `Telling other instances to drop their local copies failed; they keep them until localCacheExpiration: ${(error as Error).message}`,
      );
    }
  }

  async #subscribe(): Promise<(() => Promise<void>) | undefined> {
    try {
      return await this.#options.invalidationBus!.subscribe({
        onMessage: (text) => this.#hear(text),
        onResubscribed: () => {
          // Messages sent while the subscription was down were missed: nothing local can be trusted.
          this.#local.clear();
          this.#tags.forgetReads();
        },
        onLost: (error) => {
          this.#log.log(
            'warn',
            'bus-lost',
            `The invalidation bus lost its subscription; local entries are trusted until they expire, then cleared when it is back: ${(error as Error)?.message ?? String(error)}`,
          );
        },
      });
    } catch (error) {
      this.#log.log(
        'warn',
        'bus-subscribe',
        `Subscribing to the invalidation bus failed; other instances' changes reach this one only through expiry: ${(error as Error).message}`,
      );
      return undefined;
    }
  }

  #hear(text: string): void {
    let message: BusMessage;
    try {
      message = JSON.parse(text) as BusMessage;
    } catch {
      return;
    }
    if (message?.v !== 1 || message.from === this.#instanceId) return;
    if (Array.isArray(message.keys))
      for (const key of message.keys) if (typeof key === 'string') this.#local.delete(key);
    if (message.tags !== null && typeof message.tags === 'object') {
      for (const [tag, ticks] of Object.entries(message.tags)) {
        if (typeof ticks === 'string' && /^\d{1,19}$/.test(ticks)) this.#tags.invalidate(tag, BigInt(ticks));
      }
    }
  }
}

/** A bus message's most bytes when the bus names no limit of its own. */
const DEFAULT_MESSAGE_LIMIT = 64 * 1024;

/** The message as one JSON text, or as several when its keys or tags would make it longer than `limit` bytes. */
function messageParts(message: BusMessage, limit: number): string[] {
  const whole = JSON.stringify(message);
  if (Buffer.byteLength(whole) <= limit) return [whole];
  const parts: string[] = [];
  const entries: [string, string | undefined][] = message.keys
    ? message.keys.map((key) => [key, undefined])
    : Object.entries(message.tags ?? {});
  let current: [string, string | undefined][] = [];
  const textOf = (items: [string, string | undefined][]) =>
    JSON.stringify(
      message.keys
        ? { v: 1, from: message.from, keys: items.map(([key]) => key) }
        : { v: 1, from: message.from, tags: Object.fromEntries(items) },
    );
  for (const item of entries) {
    if (current.length > 0 && Buffer.byteLength(textOf([...current, item])) > limit) {
      parts.push(textOf(current));
      current = [];
    }
    current.push(item);
  }
  if (current.length > 0) parts.push(textOf(current));
  return parts;
}

const REJECTIONS = {
  'format-not-recognized': 'it is not in the HybridCache format (another writer uses this key?)',
  'invalid-data': 'its bytes do not add up (truncated or corrupted)',
  'invalid-key': 'it holds another key',
} as const;
