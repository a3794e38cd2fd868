import {
  answerAsServiceUnavailable,
  type ServiceUnavailableAnswer,
  SharedStateError,
} from '@sharedstate/shared-helpers';

/** Base class of every error raised by a sharedstate cache or by the cache abstractions. */
export class CacheError extends SharedStateError {}

/** A key, value or entry option that no cache could accept. Raised before any I/O happens. */
export class CacheArgumentError extends CacheError {}

/** A value larger than the cache is configured to hold. */
export class CacheEntryTooLargeError extends CacheError {}

/** The cache was used after `dispose()`. */
export class CacheDisposedError extends CacheError {}

/** What CacheUnavailableError answers in each framework's default error handling: 503 with Retry-After. */
export interface CacheUnavailableError extends ServiceUnavailableAnswer {}

/**
 * The backend could not be reached or did not answer in time. Providers wrap their client's error in this
 * (as `cause`) so callers can tell an outage from a programming error without knowing the backend.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: answerAsServiceUnavailable defines the interface's members
export class CacheUnavailableError extends CacheError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    answerAsServiceUnavailable(this);
  }
}

/**
 * The key holds something no cache of this layout wrote (in Redis, a key of another type: another app using
 * the same instanceName, say). The entry is left alone; a caller can use another key.
 */
export class CacheEntryConflictError extends CacheError {}
