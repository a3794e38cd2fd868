import { type Attributes, type Meter, SpanKind } from '@opentelemetry/api';
import type { CacheOperationEvent } from '@sharedstate/caching-abstractions';
import { observedCounts } from './observed-counts.ts';
import { ATTRIBUTES, CHANNELS, METRICS } from './telemetry-names.ts';
import { durationHistogram, errorType, type SpanPolicy, subscribeOperations } from './traced-operations.ts';

/** The attributes of a cache operation's duration and span: the database conventions' names. */
function operationAttributes(event: CacheOperationEvent): Attributes {
  const attributes: Attributes = {
    [ATTRIBUTES.dbSystemName]: event.system,
    [ATTRIBUTES.dbOperationName]: event.operation,
  };
  if (event.serverAddress !== undefined) attributes[ATTRIBUTES.serverAddress] = event.serverAddress;
  if (event.serverPort !== undefined) attributes[ATTRIBUTES.serverPort] = event.serverPort;
  return attributes;
}

/**
 * Cache operations: a client span each (`cache get`, …), `db.client.operation.duration` with the
 * conventions' attributes only (the SDK hashes every attribute of every record), and the operations by
 * provider and outcome (hits and misses among them) as an observed counter. Returns the function that stops.
 */
export function recordCacheOperations(meter: Meter | undefined, spans: SpanPolicy): () => void {
  const duration = durationHistogram(meter, METRICS.dbOperationDuration, 'Duration of cache operations');
  const operations = observedCounts(
    meter,
    METRICS.cacheOperations,
    'Cache operations by provider and outcome: a get is a hit or a miss',
    '{operation}',
  );
  const stop = subscribeOperations<CacheOperationEvent>(CHANNELS.cacheOperation, spans, {
    span: (event) => ({
      name: `cache ${event.operation}`,
      kind: SpanKind.CLIENT,
      attributes: { ...operationAttributes(event), [ATTRIBUTES.cacheProvider]: event.provider },
    }),
    finished(event, seconds, span) {
      const attributes = operationAttributes(event);
      if (event.error !== undefined) attributes[ATTRIBUTES.errorType] = errorType(event.error);
      duration?.record(seconds, attributes);
      const outcome = event.outcome ?? 'error';
      operations?.add(`${event.provider}\0${event.system}\0${event.operation}\0${outcome}`, () => ({
        [ATTRIBUTES.dbSystemName]: event.system,
        [ATTRIBUTES.dbOperationName]: event.operation,
        [ATTRIBUTES.cacheProvider]: event.provider,
        [ATTRIBUTES.cacheOutcome]: outcome,
      }));
      span?.setAttribute(ATTRIBUTES.cacheOutcome, outcome);
      if (span !== undefined && event.removed !== undefined)
        span.setAttribute(ATTRIBUTES.cacheRemoved, event.removed);
    },
  });
  return () => {
    stop();
    operations?.stop();
  };
}
