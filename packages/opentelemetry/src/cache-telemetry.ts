import type { Attributes, Meter, Tracer } from '@opentelemetry/api';
import type { CacheOperationEvent } from '@sharedstate/caching-abstractions';
import { ATTRIBUTES, CHANNELS, METRICS } from './telemetry-names.ts';
import { durationHistogram, errorType, SpanKind, subscribeOperations } from './traced-operations.ts';

/** The attributes every record of a cache operation has: the database conventions' names. */
function operationAttributes(event: CacheOperationEvent): Attributes {
  const attributes: Attributes = {
    [ATTRIBUTES.dbSystemName]: event.system,
    [ATTRIBUTES.dbOperationName]: event.operation,
    [ATTRIBUTES.cacheProvider]: event.provider,
  };
  if (event.serverAddress !== undefined) attributes[ATTRIBUTES.serverAddress] = event.serverAddress;
  if (event.serverPort !== undefined) attributes[ATTRIBUTES.serverPort] = event.serverPort;
  return attributes;
}

/**
 * Cache operations: a client span each (`cache get`, …) and `db.client.operation.duration` with the
 * outcome (hits and misses of gets). Returns the function that stops.
 */
export function recordCacheOperations(meter: Meter | undefined, tracer: Tracer | undefined): () => void {
  // One record per operation: each record costs the SDK a hash of its attributes, so hits and misses are
  // this histogram's counts by outcome rather than a counter of their own.
  const duration = durationHistogram(
    meter,
    METRICS.dbOperationDuration,
    'Duration of cache operations, by provider, operation and outcome (a get: hit or miss)',
  );
  return subscribeOperations<CacheOperationEvent>(CHANNELS.cacheOperation, tracer, {
    span: (event) => ({
      name: `cache ${event.operation}`,
      kind: SpanKind.CLIENT,
      attributes: operationAttributes(event),
    }),
    finished(event, seconds, span) {
      const attributes = operationAttributes(event);
      if (event.outcome !== undefined) attributes[ATTRIBUTES.cacheOutcome] = event.outcome;
      if (event.error !== undefined) attributes[ATTRIBUTES.errorType] = errorType(event.error);
      duration?.record(seconds, attributes);
      if (span !== undefined && event.outcome !== undefined)
        span.setAttribute(ATTRIBUTES.cacheOutcome, event.outcome);
      if (span !== undefined && event.removed !== undefined)
        span.setAttribute('sharedstate.cache.removed', event.removed);
    },
  });
}
