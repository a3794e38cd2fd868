export type { Clock, Duration } from '@sharedstate/shared-helpers';
export { assertKnownOptions, assertValidKey, assertValidValue } from './cache-arguments.ts';
export {
  CACHE_OPERATION_CHANNEL,
  type CacheOperationEvent,
  type CacheOperationName,
  type CacheOperationOutcome,
  type CacheOperationTarget,
  cacheOperationChannel,
  traceCacheOperation,
} from './cache-diagnostics.ts';
export {
  type CacheEntryOptions,
  expiresAtAfterTouch,
  type ResolvedEntryOptions,
  resolveEntryOptions,
} from './cache-entry-options.ts';
export {
  CacheArgumentError,
  CacheDisposedError,
  CacheEntryConflictError,
  CacheEntryTooLargeError,
  CacheError,
  CacheUnavailableError,
} from './cache-errors.ts';
export { cacheKeyTag } from './cache-key-tag.ts';
export { type ConditionalSet, supportsConditionalSet } from './conditional-set.ts';
export type { CacheOperationOptions, DistributedCache } from './distributed-cache.ts';
export type { InvalidationBus, InvalidationBusHandlers } from './invalidation-bus.ts';
export { MemoryDistributedCache, type MemoryDistributedCacheOptions } from './memory-distributed-cache.ts';
export { OperationDeadlines } from './operation-deadlines.ts';
export { CacheValueFormatError, getJson, getString, setJson, setString } from './text-and-json.ts';
