import { type MeterProvider, metrics, type TracerProvider, trace } from '@opentelemetry/api';
import { refuseUnknownOptions, SharedStateError } from '@sharedstate/shared-helpers';
import { recordCacheOperations } from './cache-telemetry.ts';
import { recordKeyRings } from './key-ring-telemetry.ts';
import { recordSessions } from './session-telemetry.ts';
import type { SpanPolicy } from './traced-operations.ts';

/** A misconfigured instrumentSharedstate() call. */
export class InstrumentationConfigurationError extends SharedStateError {}

/** What instrumentSharedstate records, and where to. */
export interface SharedstateInstrumentationOptions {
  /** Where the metrics go; default: the global MeterProvider (`metrics.setGlobalMeterProvider`, or the Node SDK's). */
  meterProvider?: MeterProvider;
  /** Where the spans go; default: the global TracerProvider. */
  tracerProvider?: TracerProvider;
  /** Record metrics; default true. */
  metrics?: boolean;
  /**
   * Record spans (cache operations, session loads and commits, key ring loads) under the active context,
   * such as an HTTP server span; default true.
   */
  spans?: boolean;
  /**
   * Spans only for operations that run under an active span (a request traced by the HTTP
   * instrumentation), as OpenTelemetry's Redis instrumentations do; default true. False also traces work
   * outside any request (the key ring's loads at startup and in the background) as spans of their own.
   */
  requireParentSpan?: boolean;
}

/** The running instrumentation. */
export interface SharedstateInstrumentation {
  /** Unsubscribes from every channel: nothing more is recorded, and publishing costs nothing again. */
  disable(): void;
}

const OPTION_NAMES = {
  meterProvider: true,
  tracerProvider: true,
  metrics: true,
  spans: true,
  requireParentSpan: true,
} as const;
const SCOPE = '@sharedstate/opentelemetry';

/**
 * Records OpenTelemetry spans and metrics for every sharedstate package in this process, from their
 * diagnostics_channel events: cache operations of every provider, session loads and commits, cookie
 * unprotects, and the key ring. Call once at startup, after the OpenTelemetry SDK is set up.
 */
export function instrumentSharedstate(
  options: SharedstateInstrumentationOptions = {},
): SharedstateInstrumentation {
  if (options === null || typeof options !== 'object')
    throw new InstrumentationConfigurationError('instrumentSharedstate takes an options object, or nothing.');
  refuseUnknownOptions(InstrumentationConfigurationError, 'instrumentSharedstate', options, OPTION_NAMES);
  for (const name of ['metrics', 'spans', 'requireParentSpan'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean')
      throw new InstrumentationConfigurationError(
        `${name} must be true or false; got ${String(options[name])}.`,
      );
  }
  const meter =
    options.metrics === false
      ? undefined
      : (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const spans: SpanPolicy = {
    tracer:
      options.spans === false
        ? undefined
        : (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE),
    requireParentSpan: options.requireParentSpan !== false,
  };
  const stops = [
    recordCacheOperations(meter, spans),
    recordSessions(meter, spans),
    recordKeyRings(meter, spans),
  ];
  let enabled = true;
  return {
    disable() {
      if (!enabled) return;
      enabled = false;
      for (const stop of stops) stop();
    },
  };
}
