import { tracingChannel } from 'node:diagnostics_channel';
import {
  type Attributes,
  context,
  type Histogram,
  type Meter,
  type Span,
  type SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTRIBUTES, DURATION_BUCKETS } from './telemetry-names.ts';

/** What a subscriber does with one kind of traced operation. */
export interface OperationRecorder<E extends { error?: unknown }> {
  /** The span's name and attributes at the start (called only when spans are on). */
  span(event: E): { name: string; kind: SpanKind; attributes: Attributes };
  /** Called once the operation settled: records its metrics, and adds to its span (if any). */
  finished(event: E, seconds: number, span: Span | undefined): void;
}

interface Running {
  started: number;
  span: Span | undefined;
}

/** Options of subscribeOperations. */
export interface SpanPolicy {
  /** Where spans go; none when undefined. */
  tracer: Tracer | undefined;
  /** Spans only for operations that run under an active span (a request's server span). */
  requireParentSpan: boolean;
}

/**
 * Subscribes `recorder` to the tracing channel `name`: times each operation from `start` to its settling
 * (`asyncEnd`, or `end` after a synchronous failure) and opens a span under the active context; returns the
 * function that unsubscribes. The same event object travels through every event of one operation, so what
 * is running rides on it, under a symbol of this subscription's own (a WeakMap costs more per operation).
 */
export function subscribeOperations<E extends { error?: unknown }>(
  name: string,
  { tracer, requireParentSpan }: SpanPolicy,
  recorder: OperationRecorder<E>,
): () => void {
  const RUNNING = Symbol('running');
  type Carrier = E & { [RUNNING]?: Running | undefined };
  const finish = (message: unknown) => {
    const event = message as Carrier;
    const run = event[RUNNING];
    if (run === undefined) return;
    event[RUNNING] = undefined;
    const seconds = (performance.now() - run.started) / 1000;
    const { span } = run;
    if (span !== undefined && event.error !== undefined) {
      span.setAttribute(ATTRIBUTES.errorType, errorType(event.error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(event.error) });
    }
    recorder.finished(event, seconds, span);
    span?.end();
  };
  const handlers = {
    start(message: unknown) {
      const event = message as Carrier;
      let span: Span | undefined;
      if (tracer !== undefined) {
        const active = context.active();
        if (!requireParentSpan || trace.getSpan(active) !== undefined) {
          const { name: spanName, kind, attributes } = recorder.span(event);
          span = tracer.startSpan(spanName, { kind, attributes }, active);
        }
      }
      event[RUNNING] = { started: performance.now(), span };
    },
    end(message: unknown) {
      // An operation that threw before it returned a promise ends here; the others at asyncEnd.
      if ((message as E).error !== undefined) finish(message);
    },
    asyncStart() {},
    asyncEnd: finish,
    error() {},
  };
  const channel = tracingChannel(name);
  channel.subscribe(handlers);
  return () => channel.unsubscribe(handlers);
}

/** A histogram of operation durations in seconds, with the buckets the database conventions advise. */
export function durationHistogram(
  meter: Meter | undefined,
  name: string,
  description: string,
): Histogram | undefined {
  return meter?.createHistogram(name, {
    description,
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
}

/** The `error.type` of a failure: its class's name (CacheUnavailableError), as the conventions advise. */
export function errorType(error: unknown): string {
  if (error instanceof Error) return error.name || error.constructor.name || '_OTHER';
  return '_OTHER';
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
