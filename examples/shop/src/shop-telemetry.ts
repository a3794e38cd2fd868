import type { IncomingMessage, ServerResponse } from 'node:http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { instrumentSharedstate } from '@sharedstate/opentelemetry';

/** Answers GET /metrics in Prometheus's text format. */
export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => void;

let handler: MetricsHandler | undefined;

/**
 * This process's sessions, cache and key ring as OpenTelemetry metrics, read by Prometheus at /metrics:
 * set up once per process (the first shop made asks for it), before the first request.
 */
export function shopMetrics(): MetricsHandler {
  if (handler !== undefined) return handler;
  // The shop serves /metrics itself, on its own port, instead of the exporter's server on 9464.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  instrumentSharedstate({ meterProvider: new MeterProvider({ readers: [exporter] }), spans: false });
  const serve: MetricsHandler = (req, res) => exporter.getMetricsRequestHandler(req, res);
  handler = serve;
  return serve;
}
