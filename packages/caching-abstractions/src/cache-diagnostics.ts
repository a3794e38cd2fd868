import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel';
import { traceOperation } from '@sharedstate/shared-helpers';

/**
 * The name of the TracingChannel every cache provider of sharedstate publishes its operations on
 * (`tracing:sharedstate.cache.operation:start`, `…:end`, `…:asyncStart`, `…:asyncEnd`, `…:error`).
 */
export const CACHE_OPERATION_CHANNEL = 'sharedstate.cache.operation';

/** The operations a cache publishes: DistributedCache's, ConditionalSet's, and the expired-entry sweep. */
export type CacheOperationName = 'get' | 'set' | 'refresh' | 'remove' | 'setIfUnchanged' | 'sweep';

/**
 * How an operation ended: `hit` or `miss` (get), `written` or `conflict` (setIfUnchanged: written, or
 * refused because the entry changed), `ok` (everything else), `error` (see `error`).
 */
export type CacheOperationOutcome = 'hit' | 'miss' | 'written' | 'conflict' | 'ok' | 'error';

/** Who a cache is, as its operations' events name it. */
export interface CacheOperationTarget {
  /** The provider's class, e.g. `RedisCache`. */
  readonly provider: string;
  /**
   * The store, as OpenTelemetry's `db.system.name` names it: `redis`, `postgresql`,
   * `microsoft.sql_server`; `memory` for MemoryDistributedCache.
   */
  readonly system: string;
  /** The server's host name or address, when the provider knows it. */
  readonly serverAddress?: string;
  /** The server's port, when the provider knows it. */
  readonly serverPort?: number;
}

/**
 * What a cache operation's events carry. Never the key or the value: the key's length only. The same object
 * goes to every event of one operation; `outcome` is set before `asyncEnd`, `error` before `error`.
 */
export interface CacheOperationEvent extends CacheOperationTarget {
  readonly operation: CacheOperationName;
  /** The key's length in UTF-16 code units (0 for a sweep). */
  readonly keyLength: number;
  outcome?: CacheOperationOutcome;
  /** For a sweep: how many expired entries it deleted. */
  removed?: number;
  /** The operation's failure (a CacheError subclass, or the caller's abort reason). */
  error?: unknown;
}

/**
 * The cache operations' TracingChannel. A provider checks `cacheOperationChannel.hasSubscribers` and calls
 * traceCacheOperation only then, so that nobody listening costs nothing.
 */
export const cacheOperationChannel: TracingChannel<unknown, CacheOperationEvent> =
  tracingChannel(CACHE_OPERATION_CHANNEL);

const outcomeOf = (operation: CacheOperationName, value: unknown): CacheOperationOutcome => {
  if (operation === 'get') return value === undefined ? 'miss' : 'hit';
  if (operation === 'setIfUnchanged') return value === false ? 'conflict' : 'written';
  return 'ok';
};

/**
 * Runs one cache operation under cacheOperationChannel: for providers, ours and others, after checking
 * `cacheOperationChannel.hasSubscribers`. A sweep's resolved number is published as `removed`.
 */
export function traceCacheOperation<T>(
  target: CacheOperationTarget,
  operation: CacheOperationName,
  key: string,
  run: () => Promise<T>,
): Promise<T> {
  const event: CacheOperationEvent = { ...target, operation, keyLength: key.length };
  return traceOperation(
    cacheOperationChannel,
    event,
    run,
    (settled, value) => {
      settled.outcome = outcomeOf(operation, value);
      if (operation === 'sweep' && typeof value === 'number') settled.removed = value;
    },
    (failed) => {
      failed.outcome = 'error';
    },
  );
}
