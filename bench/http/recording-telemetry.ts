// What the `sharedstate-otel` benchmark kind adds to its server: @sharedstate/opentelemetry recording into
// the real SDK, as an app that exports both would have it: metrics for a Prometheus scrape, and spans through
// a batch processor (to an exporter that drops them, so no network is measured). Without HTTP
// instrumentation no request has a span, so ours make none (requireParentSpan); BENCH_OTEL_SPANS=all makes
// them all the same, as if every request were traced and sampled.
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { instrumentSharedstate } from '@sharedstate/opentelemetry';

const dropping: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};

export function recordTelemetry(): void {
  instrumentSharedstate({
    meterProvider: new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] }),
    tracerProvider: new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: dropping })] }),
    requireParentSpan: process.env.BENCH_OTEL_SPANS !== 'all',
  });
}
