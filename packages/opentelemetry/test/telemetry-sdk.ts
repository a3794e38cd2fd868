// The real OpenTelemetry SDK, with its in-memory exporters, as an app would set it up: a TracerProvider
// with a span processor, a MeterProvider with a reader, and the AsyncLocalStorage context manager.
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/** One data point as a test reads it: its attributes and value (a histogram's count and sum). */
export interface Point {
  attributes: Record<string, unknown>;
  value: number | { count: number; sum: number | undefined };
}

export function telemetrySdk() {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const spans = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
  });
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exported when a test collects, not on a timer.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracerProvider,
    meterProvider,
    spans,
    /** Every metric's data points as of now, by metric name. */
    async metrics(): Promise<Map<string, Point[]>> {
      exporter.reset();
      await reader.forceFlush();
      const byName = new Map<string, Point[]>();
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) {
            byName.set(
              metric.descriptor.name,
              metric.dataPoints.map((point) => {
                const value = point.value as number | { count: number; sum?: number };
                return {
                  attributes: { ...point.attributes },
                  value: typeof value === 'number' ? value : { count: value.count, sum: value.sum },
                };
              }),
            );
          }
        }
      }
      return byName;
    },
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      context.disable();
      contextManager.disable();
    },
  };
}

/** The value of the point of `points` whose attributes include `match` (undefined if none). */
export function valueWhere(
  points: Point[] | undefined,
  match: Record<string, unknown>,
): Point['value'] | undefined {
  return points?.find((point) =>
    Object.entries(match).every(([name, value]) => point.attributes[name] === value),
  )?.value;
}
