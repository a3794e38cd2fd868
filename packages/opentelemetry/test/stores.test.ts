// Cache operations on a real Redis and a real PostgreSQL (started by the test services), recorded by
// instrumentSharedstate as the database conventions name them.
import { PostgresCache } from '@sharedstate/caching-postgres';
import { RedisCache } from '@sharedstate/caching-redis';
import { instrumentSharedstate, type SharedstateInstrumentation } from '@sharedstate/opentelemetry';
import { describeWithService, services } from '@sharedstate/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { telemetrySdk, valueWhere } from './telemetry-sdk.ts';

const sdk = telemetrySdk();
let instrumentation: SharedstateInstrumentation;
beforeEach(() => {
  instrumentation = instrumentSharedstate({
    meterProvider: sdk.meterProvider,
    tracerProvider: sdk.tracerProvider,
  });
});
afterEach(() => {
  instrumentation.disable();
  sdk.spans.reset();
});
afterAll(() => sdk.shutdown());

/** A write, a hit, a miss and a removal, inside a request's span. */
async function exercise(cache: RedisCache | PostgresCache) {
  await sdk.tracerProvider.getTracer('test').startActiveSpan('request', async (span) => {
    await cache.set('otel-key', Uint8Array.of(1, 2, 3));
    await cache.get('otel-key');
    await cache.get('otel-absent');
    await cache.remove('otel-key');
    span.end();
  });
}

async function expectRecorded(system: string, provider: string, address: string, port: number) {
  const metrics = await sdk.metrics();
  const where = { 'db.system.name': system, 'server.address': address, 'server.port': port };
  const duration = metrics.get('db.client.operation.duration');
  expect(valueWhere(duration, { ...where, 'db.operation.name': 'get' })).toMatchObject({ count: 2 });
  const operations = metrics.get('sharedstate.cache.operations');
  const get = {
    'db.system.name': system,
    'db.operation.name': 'get',
    'sharedstate.cache.provider': provider,
  };
  expect(valueWhere(operations, { ...get, 'sharedstate.cache.outcome': 'hit' })).toBe(1);
  expect(valueWhere(operations, { ...get, 'sharedstate.cache.outcome': 'miss' })).toBe(1);
  expect(valueWhere(duration, { ...where, 'db.operation.name': 'set' })).toMatchObject({ count: 1 });
  expect(valueWhere(duration, { ...where, 'db.operation.name': 'remove' })).toMatchObject({ count: 1 });
  const span = sdk.spans.getFinishedSpans().find((finished) => finished.name === 'cache set');
  expect(span?.attributes).toMatchObject({
    ...where,
    'db.operation.name': 'set',
    'sharedstate.cache.provider': provider,
  });
  // Never the key.
  expect(JSON.stringify(sdk.spans.getFinishedSpans().map((finished) => finished.attributes))).not.toContain(
    'otel-key',
  );
}

describeWithService(services.redis({ spawn: true }), 'RedisCache', (server) => {
  test('its operations are recorded with db.system.name redis and the server', async () => {
    const url = new URL(server().url);
    const redis = new Redis(server().url);
    try {
      await exercise(new RedisCache({ redis }));
      await expectRecorded('redis', 'RedisCache', url.hostname, Number(url.port));
    } finally {
      redis.disconnect();
    }
  });
});

describeWithService(services.postgres(), 'PostgresCache', (server) => {
  test('its operations are recorded with db.system.name postgresql and the server', async () => {
    const url = new URL(server().url);
    const pool = new pg.Pool({ connectionString: server().url, max: 2 });
    // pool.end() resolves before its connections have closed; the server's shutdown then reaches them.
    pool.on('error', () => {});
    const cache = new PostgresCache({ pool, createIfNotExists: true, expiredItemsDeletionInterval: false });
    try {
      await exercise(cache);
      await expectRecorded('postgresql', 'PostgresCache', url.hostname, Number(url.port));
    } finally {
      await cache.close();
      await pool.end();
    }
  });
});
