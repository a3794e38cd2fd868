import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type Meter, SpanKind } from '@opentelemetry/api';
import type { CookieUnprotectEvent } from '@sharedstate/dataprotection-abstractions';
import type { SessionCommitEvent, SessionLoadEvent } from '@sharedstate/session-core';
import { observedCounts } from './observed-counts.ts';
import { ATTRIBUTES, CHANNELS, METRICS } from './telemetry-names.ts';
import { durationHistogram, errorType, type SpanPolicy, subscribeOperations } from './traced-operations.ts';

/**
 * Session loads and commits (spans; durations by outcome, whose counts are the outcomes; conflict retries)
 * and cookie unprotects by outcome (an observed counter). Each histogram record costs the SDK a hash of its
 * attributes, so a request makes one per load and commit, and none for a save that met no conflict.
 * Returns the function that stops.
 */
export function recordSessions(meter: Meter | undefined, spans: SpanPolicy): () => void {
  const loadDuration = durationHistogram(
    meter,
    METRICS.sessionLoadDuration,
    'Duration of session loads (one cache read each), by outcome',
  );
  const commitDuration = durationHistogram(
    meter,
    METRICS.sessionCommitDuration,
    'Duration of session commits, by action and outcome',
  );
  const retries = meter?.createHistogram(METRICS.sessionConflictRetries, {
    description:
      'Conditional session writes retried by a save that found another request of the session had saved first',
    unit: '{retry}',
    advice: { explicitBucketBoundaries: [1, 2, 5, 10, 25, 50, 100] },
  });
  const unprotects = observedCounts(
    meter,
    METRICS.cookieUnprotects,
    'Cookies unprotected, by cookie and outcome (cached: remembered from moments ago)',
    '{cookie}',
  );

  const stopLoads = subscribeOperations<SessionLoadEvent>(CHANNELS.sessionLoad, spans, {
    span: () => ({ name: 'session load', kind: SpanKind.INTERNAL, attributes: {} }),
    finished(event, seconds, span) {
      const outcome = event.outcome ?? 'unavailable';
      const attributes = {
        [ATTRIBUTES.sessionOutcome]: outcome,
        ...(event.error === undefined ? {} : { [ATTRIBUTES.errorType]: errorType(event.error) }),
      };
      loadDuration?.record(seconds, attributes);
      span?.setAttribute(ATTRIBUTES.sessionOutcome, outcome);
    },
  });
  const stopCommits = subscribeOperations<SessionCommitEvent>(CHANNELS.sessionCommit, spans, {
    span: (event) => ({
      name: 'session commit',
      kind: SpanKind.INTERNAL,
      attributes: { [ATTRIBUTES.sessionAction]: event.action },
    }),
    finished(event, seconds, span) {
      const outcome = event.outcome ?? (event.error === undefined ? 'committed' : 'error');
      const attributes = {
        [ATTRIBUTES.sessionAction]: event.action,
        [ATTRIBUTES.sessionOutcome]: outcome,
        ...(event.error === undefined ? {} : { [ATTRIBUTES.errorType]: errorType(event.error) }),
      };
      commitDuration?.record(seconds, attributes);
      if (event.conflictRetries > 0) retries?.record(event.conflictRetries);
      span?.setAttribute(ATTRIBUTES.sessionOutcome, outcome);
      if (event.conflictRetries > 0)
        span?.setAttribute(ATTRIBUTES.sessionConflictRetries, event.conflictRetries);
    },
  });
  const onUnprotect = (message: unknown) => {
    const { cookie, outcome, cached } = message as CookieUnprotectEvent;
    unprotects?.add(`${cookie}\0${outcome}\0${cached}`, () => ({
      [ATTRIBUTES.cookieName]: cookie,
      [ATTRIBUTES.cookieOutcome]: outcome,
      [ATTRIBUTES.cookieCached]: cached,
    }));
  };
  subscribe(CHANNELS.cookieUnprotect, onUnprotect);
  return () => {
    stopLoads();
    stopCommits();
    unsubscribe(CHANNELS.cookieUnprotect, onUnprotect);
    unprotects?.stop();
  };
}
