import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type Meter, SpanKind } from '@opentelemetry/api';
import type {
  KeyRingEvent,
  KeyRingKeyCounts,
  KeyRingLoadEvent,
} from '@sharedstate/dataprotection-abstractions';
import { ATTRIBUTES, CHANNELS, METRICS } from './telemetry-names.ts';
import { errorType, type SpanPolicy, subscribeOperations } from './traced-operations.ts';

/** What is known of one repository's ring in this process. */
interface RingState {
  /** performance.now() of the last successful load or change check. */
  lastRead: number;
  keys: KeyRingKeyCounts | undefined;
}

/**
 * The key ring: a span per load, loads by outcome, its other events by kind, and two gauges read at each
 * collection: the ring's age (seconds since this process last read the repository successfully: a load or a
 * change check) and its keys by state. Returns the function that stops.
 */
export function recordKeyRings(meter: Meter | undefined, spans: SpanPolicy): () => void {
  const rings = new Map<string, RingState>();
  const ringOf = (repository: string): RingState => {
    let ring = rings.get(repository);
    if (ring === undefined) {
      ring = { lastRead: performance.now(), keys: undefined };
      rings.set(repository, ring);
    }
    return ring;
  };
  const loads = meter?.createCounter(METRICS.keyRingLoads, {
    description: 'Key ring loads from the repository, by outcome (a failed one keeps the ring in memory)',
    unit: '{load}',
  });
  const events = meter?.createCounter(METRICS.keyRingEvents, {
    description:
      'Key ring events: changes detected, keys created, revocations seen, unreadable elements, failed checks',
    unit: '{event}',
  });
  const age = meter?.createObservableGauge(METRICS.keyRingAge, {
    description:
      'Time since this process last read the key ring repository successfully (a load or a change check)',
    unit: 's',
  });
  const keys = meter?.createObservableGauge(METRICS.keyRingKeys, {
    description: 'Keys in the ring last loaded, by state',
    unit: '{key}',
  });
  const observeAge = (result: { observe(value: number, attributes: Record<string, string>): void }) => {
    const now = performance.now();
    for (const [repository, ring] of rings)
      result.observe((now - ring.lastRead) / 1000, { [ATTRIBUTES.keyRingRepository]: repository });
  };
  const observeKeys = (result: { observe(value: number, attributes: Record<string, string>): void }) => {
    for (const [repository, ring] of rings) {
      if (ring.keys === undefined) continue;
      for (const [state, count] of Object.entries(ring.keys))
        result.observe(count, {
          [ATTRIBUTES.keyRingRepository]: repository,
          [ATTRIBUTES.keyRingKeyState]: state,
        });
    }
  };
  age?.addCallback(observeAge);
  keys?.addCallback(observeKeys);

  const stopLoads = subscribeOperations<KeyRingLoadEvent>(CHANNELS.keyRingLoad, spans, {
    span: (event) => ({
      name: 'key ring load',
      kind: SpanKind.INTERNAL,
      attributes: { [ATTRIBUTES.keyRingRepository]: event.repository },
    }),
    finished(event) {
      const outcome = event.outcome ?? (event.error === undefined ? 'loaded' : 'failed');
      loads?.add(1, {
        [ATTRIBUTES.keyRingRepository]: event.repository,
        [ATTRIBUTES.keyRingLoadOutcome]: outcome,
        ...(event.error === undefined ? {} : { [ATTRIBUTES.errorType]: errorType(event.error) }),
      });
      if (outcome !== 'loaded') return;
      const ring = ringOf(event.repository);
      ring.lastRead = performance.now();
      if (event.keys !== undefined) ring.keys = event.keys;
    },
  });
  const onEvent = (message: unknown) => {
    const event = message as KeyRingEvent;
    if (event.kind === 'checked') {
      ringOf(event.repository).lastRead = performance.now();
      return;
    }
    events?.add(1, {
      [ATTRIBUTES.keyRingRepository]: event.repository,
      [ATTRIBUTES.keyRingEvent]: event.kind,
    });
  };
  subscribe(CHANNELS.keyRingEvent, onEvent);
  return () => {
    stopLoads();
    unsubscribe(CHANNELS.keyRingEvent, onEvent);
    age?.removeCallback(observeAge);
    keys?.removeCallback(observeKeys);
  };
}
