// instrumentSharedstate with the real OpenTelemetry SDK: a session's requests on the memory cache, with the
// key ring in memory, recorded as spans (under the request's span) and metrics; failures; disable().
import { tracingChannel } from 'node:diagnostics_channel';
import { trace } from '@opentelemetry/api';
import { CACHE_OPERATION_CHANNEL, MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import {
  COOKIE_UNPROTECT_CHANNEL,
  KEY_RING_EVENT_CHANNEL,
  KEY_RING_LOAD_CHANNEL,
} from '@sharedstate/dataprotection-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import {
  CHANNELS,
  InstrumentationConfigurationError,
  instrumentSharedstate,
  type SharedstateInstrumentation,
} from '@sharedstate/opentelemetry';
import { SESSION_COMMIT_CHANNEL, SESSION_LOAD_CHANNEL } from '@sharedstate/session-core';
import { SessionHandler, type SessionState } from '@sharedstate/session-core/adapter';
import { telemetrySdk, valueWhere } from './telemetry-sdk.ts';

const sdk = telemetrySdk();
let instrumentation: SharedstateInstrumentation | undefined;
afterEach(() => {
  instrumentation?.disable();
  instrumentation = undefined;
  sdk.spans.reset();
});
afterAll(() => sdk.shutdown());

const request = (cookieHeader?: string) => ({ cookieHeader, secure: false, responseStarted: () => false });

/** One request through the handler, as an adapter makes it, inside a server span named `name`. */
async function serve(
  handler: SessionHandler,
  name: string,
  cookie: string | undefined,
  body: (state: SessionState) => void,
) {
  return trace.getTracer('test').startActiveSpan(name, async (span) => {
    try {
      const state = await handler.begin(request(cookie));
      body(state);
      await handler.end(state);
      return handler.responseHeaders(state).setCookie?.split(';')[0];
    } finally {
      span.end();
    }
  });
}

async function app(cache = new MemoryDistributedCache()) {
  const dataProtection = createDataProtection({
    logger: false,
    applicationName: 'otel',
    repository: new EphemeralXmlRepository(),
  });
  await dataProtection.initialize();
  return { cache, dataProtection, handler: new SessionHandler({ cache, dataProtection, logger: false }) };
}

test('the channel names it listens on are the ones the packages publish on', () => {
  expect(CHANNELS).toEqual({
    cacheOperation: CACHE_OPERATION_CHANNEL,
    sessionLoad: SESSION_LOAD_CHANNEL,
    sessionCommit: SESSION_COMMIT_CHANNEL,
    cookieUnprotect: COOKIE_UNPROTECT_CHANNEL,
    keyRingLoad: KEY_RING_LOAD_CHANNEL,
    keyRingEvent: KEY_RING_EVENT_CHANNEL,
  });
});

test("a session's requests are recorded: spans under the request's span, and the metrics", async () => {
  trace.setGlobalTracerProvider(sdk.tracerProvider);
  instrumentation = instrumentSharedstate({ meterProvider: sdk.meterProvider });
  const { handler } = await app();
  const cookie = await serve(handler, 'POST /cart', undefined, (state) =>
    state.session.setString('cart', 'socks'),
  );
  await serve(handler, 'GET /cart', cookie, (state) => expect(state.session.getString('cart')).toBe('socks'));

  const spans = sdk.spans.getFinishedSpans();
  const named = (name: string) => spans.filter((span) => span.name === name);
  const [post, get] = [named('POST /cart')[0]!, named('GET /cart')[0]!];
  const childOf = (parent: typeof post) => (span: typeof post) =>
    span.parentSpanContext?.spanId === parent.spanContext().spanId;
  expect(
    spans
      .filter(childOf(post))
      .map((span) => span.name)
      .sort(),
  ).toEqual(['cache set', 'session commit']);
  expect(
    spans
      .filter(childOf(get))
      .map((span) => span.name)
      .sort(),
  ).toEqual(['cache get', 'session load']);
  expect(named('cache get')[0]?.attributes).toMatchObject({
    'db.system.name': 'memory',
    'db.operation.name': 'get',
    'sharedstate.cache.provider': 'MemoryDistributedCache',
    'sharedstate.cache.outcome': 'hit',
  });
  expect(named('session load')[0]?.attributes).toEqual({ 'sharedstate.session.outcome': 'loaded' });
  expect(named('session commit')[0]?.attributes).toEqual({
    'sharedstate.session.action': 'save',
    'sharedstate.session.outcome': 'committed',
  });

  const metrics = await sdk.metrics();
  const duration = metrics.get('db.client.operation.duration');
  expect(valueWhere(duration, { 'db.system.name': 'memory', 'db.operation.name': 'get' })).toEqual({
    count: 1,
    sum: expect.any(Number),
  });
  expect(valueWhere(duration, { 'db.operation.name': 'set' })).toMatchObject({ count: 1 });
  // Only the conventions' attributes on the duration; the outcomes are counted beside it.
  expect(duration?.map((point) => Object.keys(point.attributes).sort())).toEqual([
    ['db.operation.name', 'db.system.name'],
    ['db.operation.name', 'db.system.name'],
  ]);
  const operations = metrics.get('sharedstate.cache.operations');
  const memory = { 'db.system.name': 'memory', 'sharedstate.cache.provider': 'MemoryDistributedCache' };
  expect(valueWhere(operations, { ...memory, 'sharedstate.cache.outcome': 'hit' })).toBe(1);
  expect(valueWhere(operations, { ...memory, 'sharedstate.cache.outcome': 'miss' })).toBeUndefined();
  expect(
    valueWhere(operations, { ...memory, 'db.operation.name': 'set', 'sharedstate.cache.outcome': 'ok' }),
  ).toBe(1);
  expect(
    valueWhere(metrics.get('sharedstate.session.load.duration'), { 'sharedstate.session.outcome': 'loaded' }),
  ).toMatchObject({ count: 1 });
  expect(
    valueWhere(metrics.get('sharedstate.session.commit.duration'), {
      'sharedstate.session.action': 'save',
      'sharedstate.session.outcome': 'committed',
    }),
  ).toMatchObject({ count: 1 });
  // No conflict, no record.
  expect(metrics.get('sharedstate.session.commit.conflict_retries')).toBeUndefined();
  const ok = { 'sharedstate.cookie.name': 'session', 'sharedstate.cookie.outcome': 'ok' };
  expect(
    valueWhere(metrics.get('sharedstate.cookie.unprotect'), { ...ok, 'sharedstate.cookie.cached': false }),
  ).toBe(1);

  // The same cookie again: remembered from moments ago, so no cryptography ran (cached).
  await serve(handler, 'GET /cart', cookie, () => {});
  const again = await sdk.metrics();
  expect(
    valueWhere(again.get('sharedstate.cookie.unprotect'), { ...ok, 'sharedstate.cookie.cached': true }),
  ).toBe(1);
  expect(
    valueWhere(again.get('sharedstate.session.load.duration'), { 'sharedstate.session.outcome': 'loaded' }),
  ).toMatchObject({ count: 2 });
});

test("a save that found another request's save first records its retries", async () => {
  instrumentation = instrumentSharedstate({ meterProvider: sdk.meterProvider, spans: false });
  const cache = new MemoryDistributedCache();
  const dataProtection = createDataProtection({
    logger: false,
    applicationName: 'otel-merge',
    repository: new EphemeralXmlRepository(),
  });
  await dataProtection.initialize();
  const handler = new SessionHandler({ cache, dataProtection, logger: false, concurrentUpdates: 'merge' });
  const cookie = await serve(handler, 'POST /', undefined, (state) => state.session.setString('a', '0'));
  const first = await handler.begin(request(cookie));
  const second = await handler.begin(request(cookie));
  first.session.setString('a', '1');
  second.session.setString('b', '2');
  await handler.end(first);
  await handler.end(second);
  expect(valueWhere((await sdk.metrics()).get('sharedstate.session.commit.conflict_retries'), {})).toEqual({
    count: 1,
    sum: 1,
  });
});

test("the key ring's loads, keys by state, age and events are recorded", async () => {
  // The ring loads outside any request: its spans need requireParentSpan off.
  instrumentation = instrumentSharedstate({
    meterProvider: sdk.meterProvider,
    tracerProvider: sdk.tracerProvider,
    requireParentSpan: false,
  });
  const repository = new EphemeralXmlRepository();
  const dataProtection = createDataProtection({
    logger: false,
    applicationName: 'ring',
    repository,
    keyRingChangeCheckInterval: false,
  });
  await dataProtection.initialize();
  const description = repository.description ?? 'EphemeralXmlRepository';
  const first = await sdk.metrics();
  expect(
    valueWhere(first.get('sharedstate.key_ring.keys'), {
      'sharedstate.key_ring.key.state': 'active',
      'sharedstate.key_ring.repository': description,
    }),
  ).toBe(1);
  const age = valueWhere(first.get('sharedstate.key_ring.age'), {
    'sharedstate.key_ring.repository': description,
  });
  expect(age).toBeGreaterThanOrEqual(0);
  expect(age).toBeLessThan(5);
  expect(
    valueWhere(first.get('sharedstate.key_ring.loads'), {
      'sharedstate.key_ring.load.outcome': 'loaded',
      'sharedstate.key_ring.repository': description,
    }),
  ).toBeGreaterThanOrEqual(1);
  expect(
    valueWhere(first.get('sharedstate.key_ring.events'), {
      'sharedstate.key_ring.event': 'key-created',
      'sharedstate.key_ring.repository': description,
    }),
  ).toBeGreaterThanOrEqual(1);
  expect(sdk.spans.getFinishedSpans().map((span) => span.name)).toContain('key ring load');

  // A revocation by another process, found by the change check: the ring is reloaded, a new key made.
  const other = createDataProtection({
    logger: false,
    applicationName: 'ring',
    repository,
    keyRingChangeCheckInterval: false,
  });
  await other.initialize();
  const [key] = await other.keyManager.getAllKeys();
  await other.keyManager.revokeKey(key!.id);
  await dataProtection.checkForKeyRingChanges();
  const second = await sdk.metrics();
  expect(
    valueWhere(second.get('sharedstate.key_ring.keys'), {
      'sharedstate.key_ring.key.state': 'revoked',
      'sharedstate.key_ring.repository': description,
    }),
  ).toBe(1);
  expect(
    valueWhere(second.get('sharedstate.key_ring.events'), {
      'sharedstate.key_ring.event': 'revocation-seen',
    }),
  ).toBe(1);
  expect(
    valueWhere(second.get('sharedstate.key_ring.events'), {
      'sharedstate.key_ring.event': 'change-detected',
    }),
  ).toBe(1);
});

test('failures are recorded with their error type, and their spans as errors', async () => {
  instrumentation = instrumentSharedstate({
    meterProvider: sdk.meterProvider,
    tracerProvider: sdk.tracerProvider,
  });
  const { handler, cache } = await app();
  const cookie = await serve(handler, 'POST /cart', undefined, (state) =>
    state.session.setString('cart', 'socks'),
  );
  cache.dispose();
  await serve(handler, 'GET /cart', cookie, (state) => expect(state.session.isAvailable).toBe(false));
  await serve(handler, 'POST /cart', undefined, (state) => state.session.setString('cart', 'hats')).catch(
    () => {},
  );

  const metrics = await sdk.metrics();
  expect(
    valueWhere(metrics.get('db.client.operation.duration'), {
      'db.operation.name': 'get',
      'error.type': 'CacheDisposedError',
    }),
  ).toMatchObject({ count: 1 });
  expect(
    valueWhere(metrics.get('sharedstate.session.load.duration'), {
      'sharedstate.session.outcome': 'unavailable',
      'error.type': 'CacheDisposedError',
    }),
  ).toMatchObject({ count: 1 });
  expect(
    valueWhere(metrics.get('sharedstate.session.commit.duration'), {
      'sharedstate.session.outcome': 'error',
      'error.type': 'SessionCommitError',
    }),
  ).toMatchObject({ count: 1 });
  const failedGet = sdk.spans.getFinishedSpans().find((span) => span.name === 'cache get');
  expect(failedGet?.status).toMatchObject({ code: 2 });
  expect(failedGet?.attributes['error.type']).toBe('CacheDisposedError');
});

test('disable() stops recording: nobody listens any more, so publishing costs nothing again', async () => {
  const channel = tracingChannel(CACHE_OPERATION_CHANNEL);
  expect(channel.hasSubscribers).toBe(false);
  instrumentation = instrumentSharedstate({
    meterProvider: sdk.meterProvider,
    tracerProvider: sdk.tracerProvider,
  });
  expect(channel.hasSubscribers).toBe(true);
  instrumentation.disable();
  instrumentation.disable();
  expect(channel.hasSubscribers).toBe(false);
  const misses = async () =>
    valueWhere((await sdk.metrics()).get('sharedstate.cache.operations'), {
      'sharedstate.cache.outcome': 'miss',
    }) ?? 0;
  const before = await misses();
  await new MemoryDistributedCache().get('nothing');
  expect(await misses()).toEqual(before);
  expect(sdk.spans.getFinishedSpans()).toEqual([]);
});

test('without a parent span, an operation records metrics and no span (requireParentSpan)', async () => {
  instrumentation = instrumentSharedstate({
    meterProvider: sdk.meterProvider,
    tracerProvider: sdk.tracerProvider,
  });
  const cache = new MemoryDistributedCache();
  await cache.get('outside any request');
  expect(sdk.spans.getFinishedSpans()).toEqual([]);
  await trace.getTracer('test').startActiveSpan('GET /', async (span) => {
    await cache.get('inside a request');
    span.end();
  });
  expect(sdk.spans.getFinishedSpans().map((span) => span.name)).toEqual(['cache get', 'GET /']);
});

test('spans or metrics can be turned off, and a misspelt option is refused with the fix', async () => {
  instrumentation = instrumentSharedstate({
    meterProvider: sdk.meterProvider,
    tracerProvider: sdk.tracerProvider,
    spans: false,
  });
  await new MemoryDistributedCache().get('x');
  expect(sdk.spans.getFinishedSpans()).toEqual([]);
  expect(() => instrumentSharedstate({ meterprovider: sdk.meterProvider } as never)).toThrow(
    InstrumentationConfigurationError,
  );
  expect(() => instrumentSharedstate({ meterprovider: sdk.meterProvider } as never)).toThrow(
    "Unknown instrumentSharedstate option 'meterprovider': the options are meterProvider, tracerProvider, metrics, spans, requireParentSpan.",
  );
  expect(() => instrumentSharedstate({ spans: 'no' } as never)).toThrow('spans must be true or false');
});
