import {
  CacheArgumentError,
  type DistributedCache,
  type InvalidationBus,
} from '@sharedstate/caching-abstractions';
import {
  type Clock,
  type Duration,
  type Logger,
  parseDuration,
  refuseUnknownOptions,
  resolveLogger,
  systemClock,
} from '@sharedstate/shared-helpers';
import type { HybridCacheSerializer, JsonPropertyNaming } from './hybrid-serializers.ts';

/** HybridCacheEntryFlags: bits that turn parts of the cache off for one call. */
export const HybridCacheEntryFlags = {
  None: 0,
  DisableLocalCacheRead: 1,
  DisableLocalCacheWrite: 2,
  DisableLocalCache: 3,
  DisableDistributedCacheRead: 4,
  DisableDistributedCacheWrite: 8,
  DisableDistributedCache: 12,
  /** Do not call the factory: a miss returns undefined. */
  DisableUnderlyingData: 16,
  /** Accepted for .NET's sake; nothing here compresses. */
  DisableCompression: 32,
} as const;

/** How a value of one call is written and read: .NET's for strings and bytes, JSON by default, or your own. */
export type HybridSerializerChoice<T> = 'json' | 'string' | 'bytes' | HybridCacheSerializer<T>;

/** HybridCacheEntryOptions, and the call's serializer. */
export interface HybridCacheEntryOptions<T = unknown> {
  /** How long the entry lives in the distributed cache (and at most in the local one). Default 5 minutes. */
  expiration?: Duration;
  /** How long it lives in this process's memory. Default: `expiration`. */
  localCacheExpiration?: Duration;
  /** HybridCacheEntryFlags, or'ed. */
  flags?: number;
  /** Tags that removeByTag can invalidate this entry by. */
  tags?: readonly string[];
  serializer?: HybridSerializerChoice<T>;
}

export interface HybridCacheOptions {
  /** The shared cache behind the local one (Redis, PostgreSQL, SQL Server…); none: this process only. */
  distributedCache?: DistributedCache;
  /** Tells other instances to drop their local copies (RedisInvalidationBus, PostgresInvalidationBus). */
  invalidationBus?: InvalidationBus;
  /** Entries bigger than this are not cached. Default 1 MiB, as .NET. */
  maximumPayloadBytes?: number;
  /** Longer keys are not cached (the factory runs every time). Default 1024, as .NET. */
  maximumKeyLength?: number;
  /** Options of calls that pass none (expiration, localCacheExpiration, flags). */
  defaultEntryOptions?: Omit<HybridCacheEntryOptions, 'tags' | 'serializer'>;
  /** The local cache's bound: bytes of its serialized values (with keys and overhead). Default 100 MiB. */
  localCacheSizeLimit?: number;
  /** JSON property names in L2: 'pascalCase' to share entries with .NET's default System.Text.Json. Default 'asIs'. */
  jsonPropertyNaming?: JsonPropertyNaming;
  /** How often a tag's invalidation time is read again from the distributed cache. Default 30 s. */
  tagRefreshInterval?: Duration;
  /** Where warnings go (each kind at most once a minute). Default the console's; false for none. */
  logger?: Logger | false;
  clock?: Clock;
}

export interface ResolvedHybridCacheOptions {
  distributedCache: DistributedCache | undefined;
  invalidationBus: InvalidationBus | undefined;
  maximumPayloadBytes: number;
  maximumKeyLength: number;
  expirationMs: number;
  localCacheExpirationMs: number;
  flags: number;
  localCacheSizeLimit: number;
  jsonPropertyNaming: JsonPropertyNaming;
  tagRefreshMs: number;
  logger: Logger | undefined;
  clock: Clock;
}

const KNOWN: Readonly<Record<keyof HybridCacheOptions, true>> = {
  distributedCache: true,
  invalidationBus: true,
  maximumPayloadBytes: true,
  maximumKeyLength: true,
  defaultEntryOptions: true,
  localCacheSizeLimit: true,
  jsonPropertyNaming: true,
  tagRefreshInterval: true,
  logger: true,
  clock: true,
};
const HINTS: Readonly<Record<string, string>> = {
  l2: 'the distributed cache is `distributedCache`',
  store: 'the distributed cache is `distributedCache`',
  ttl: 'set defaultEntryOptions.expiration',
  MaximumPayloadBytes: 'use `maximumPayloadBytes`',
  DefaultEntryOptions: 'use `defaultEntryOptions`',
};
const KNOWN_ENTRY: Readonly<Record<keyof HybridCacheEntryOptions, true>> = {
  expiration: true,
  localCacheExpiration: true,
  flags: true,
  tags: true,
  serializer: true,
};
const ENTRY_HINTS: Readonly<Record<string, string>> = {
  ttl: 'use `expiration`',
  absoluteExpirationRelativeToNow:
    'use `expiration` (HybridCache entries expire a fixed time after they are made)',
  slidingExpiration: 'HybridCache has no sliding expiration; use `expiration`',
};
const FIVE_MINUTES_MS = 5 * 60_000;
const NAMINGS: readonly JsonPropertyNaming[] = ['asIs', 'pascalCase'];

export function resolveHybridCacheOptions(options: HybridCacheOptions): ResolvedHybridCacheOptions {
  if (typeof options !== 'object' || options === null)
    throw new CacheArgumentError('HybridCache options must be an object.');
  refuseUnknownOptions(CacheArgumentError, 'HybridCache', options, KNOWN, HINTS);
  const cache = options.distributedCache;
  if (
    cache !== undefined &&
    (typeof cache?.get !== 'function' ||
      typeof cache.set !== 'function' ||
      typeof cache.remove !== 'function')
  ) {
    throw new CacheArgumentError(
      'distributedCache must be a DistributedCache (get, set, refresh, remove): RedisCache, PostgresCache, …',
    );
  }
  const bus = options.invalidationBus;
  if (bus !== undefined && (typeof bus?.publish !== 'function' || typeof bus.subscribe !== 'function')) {
    throw new CacheArgumentError(
      'invalidationBus must have publish() and subscribe(): RedisInvalidationBus, PostgresInvalidationBus.',
    );
  }
  const defaults = options.defaultEntryOptions ?? {};
  refuseUnknownOptions(CacheArgumentError, 'defaultEntryOptions', defaults, KNOWN_ENTRY, ENTRY_HINTS);
  if ('tags' in defaults || 'serializer' in defaults) {
    throw new CacheArgumentError(
      'defaultEntryOptions takes expiration, localCacheExpiration and flags; tags and serializer belong to a call.',
    );
  }
  const expirationMs =
    defaults.expiration === undefined
      ? FIVE_MINUTES_MS
      : parseDuration(defaults.expiration, 'defaultEntryOptions.expiration', CacheArgumentError);
  const naming = options.jsonPropertyNaming ?? 'asIs';
  if (!NAMINGS.includes(naming))
    throw new CacheArgumentError(`jsonPropertyNaming must be 'asIs' or 'pascalCase'; got ${String(naming)}.`);
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function')
    throw new CacheArgumentError('clock must have a now() method returning epoch milliseconds.');
  return {
    distributedCache: cache,
    invalidationBus: bus,
    maximumPayloadBytes: positiveInteger(options.maximumPayloadBytes, 1024 * 1024, 'maximumPayloadBytes'),
    maximumKeyLength: positiveInteger(options.maximumKeyLength, 1024, 'maximumKeyLength'),
    expirationMs,
    localCacheExpirationMs:
      defaults.localCacheExpiration === undefined
        ? expirationMs
        : parseDuration(
            defaults.localCacheExpiration,
            'defaultEntryOptions.localCacheExpiration',
            CacheArgumentError,
          ),
    flags: flagsOf(defaults.flags, 'defaultEntryOptions.flags'),
    localCacheSizeLimit: positiveInteger(
      options.localCacheSizeLimit,
      100 * 1024 * 1024,
      'localCacheSizeLimit',
    ),
    jsonPropertyNaming: naming,
    tagRefreshMs:
      options.tagRefreshInterval === undefined
        ? 30_000
        : parseDuration(options.tagRefreshInterval, 'tagRefreshInterval', CacheArgumentError),
    logger: resolveLogger(options.logger, CacheArgumentError),
    clock,
  };
}

/** A call's entry options checked (unknown names refused with a hint). */
export function checkEntryOptions(options: HybridCacheEntryOptions<never>): void {
  if (typeof options !== 'object' || options === null)
    throw new CacheArgumentError('HybridCache entry options must be an object.');
  refuseUnknownOptions(CacheArgumentError, 'HybridCache entry', options, KNOWN_ENTRY, ENTRY_HINTS);
  if (
    options.tags !== undefined &&
    (!Array.isArray(options.tags) || !options.tags.every((tag) => typeof tag === 'string'))
  ) {
    throw new CacheArgumentError('tags must be an array of strings.');
  }
}

export function flagsOf(value: number | undefined, name: string): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > 63) {
    throw new CacheArgumentError(
      `${name} must be HybridCacheEntryFlags or'ed together; got ${String(value)}.`,
    );
  }
  return value;
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new CacheArgumentError(`${name} must be a positive whole number; got ${String(value)}.`);
  return value;
}
