// What the `sharedstate-otel` benchmark kind adds to its server: @sharedstate/opentelemetry recording into
// the real SDK, as an app that exports both would have it: metrics aggregated for a Prometheus scrape, and
// every span through a batch processor (to an exporter that drops them, so no network is measured).
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { instrumentSharedstate } from '@sharedstate/opentelemetry';

const dropping: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};

/** BENCH_OTEL_SPANS=0 records metrics only. */
export function recordTelemetry(): void {
  instrumentSharedstate({
    meterProvider: new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] }),
    tracerProvider: new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: dropping })] }),
    spans: process.env.BENCH_OTEL_SPANS !== '0',
  });
}
