import { answerAsServiceUnavailable, SharedStateError } from '@sharedstate/shared-helpers';

/** Base class of every error raised by a sharedstate cache or by the cache abstractions. */
export class CacheError extends SharedStateError {}

/** A key, value or entry option that no cache could accept. Raised before any I/O happens. */
export class CacheArgumentError extends CacheError {}

/** A value larger than the cache is configured to hold. */
export class CacheEntryTooLargeError extends CacheError {}

/** The cache was used after `dispose()`. */
export class CacheDisposedError extends CacheError {}

/**
 * The backend could not be reached or did not answer in time. Providers wrap their client's error in this
 * (as `cause`) so callers can tell an outage from a programming error without knowing the backend.
 */
export class CacheUnavailableError extends CacheError {
  /** 503 in Express, Koa and Fastify's default error handling (with Retry-After), and in Hono's (getResponse). */
  declare readonly status: 503;
  declare readonly statusCode: 503;
  declare readonly expose: false;
  declare readonly headers: Readonly<Record<'Retry-After', string>>;
  declare getResponse: () => Response;

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
