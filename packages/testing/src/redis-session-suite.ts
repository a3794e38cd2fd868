import { recordChannel, recordTracingChannel } from './channel-recorder.ts';
import { describeWithService } from './describe-with-service.ts';
import { httpApps } from './http-apps.ts';
import { type RecordingLogger, recordingLogger } from './recording-logger.ts';
import {
  type PackageRedisClient,
  type RedisClientKind,
  redisClientKinds,
  type TestRedisClient,
} from './redis-clients.ts';
import { services } from './services.ts';
import { cookieOf } from './session-adapter-checks.ts';
import { waitUntil } from './wait-until.ts';

/** What an app started while its backend was down did, and how it recovered. */
interface OutageOutcome {
  /** `GET /plain`, a route that never touches the session: its status and time in milliseconds. */
  plain: { status: number; ms: number };
  /** `GET /cart` without a cookie: what it answered (`{ available, cart }`) and its time. */
  read: { status: number; body: unknown; ms: number };
  /** `POST /add/book`: its status (the write must fail), its Retry-After header and its time. */
  write: { status: number; retryAfter: string | null; ms: number };
  /** From `startBackend` resolving until a write succeeds and its session reads back. */
  recoveredMs: number;
  /** That session's cart, read with its cookie. */
  cartAfterRecovery: unknown;
}

/**
 * Makes, against an app started while its key ring and cache (one Redis) were down, the requests every
 * adapter's suite uses to show that an outage takes down no route that does not need the session, and that
 * the app recovers on its own. Routes: `GET /plain` answers without the session, `GET /cart` answers
 * `{ available: session.isAvailable, cart }`, `POST /add/:item` adds to the cart and answers 200, `GET /ready` answers the middleware's readiness (503 when not ready).
 */
async function outageOutcome(url: string, startBackend: () => Promise<void>): Promise<OutageOutcome> {
  const timed = async (path: string, init?: RequestInit) => {
    const started = performance.now();
    const response = await fetch(`${url}${path}`, { redirect: 'manual', ...init });
    const text = await response.text();
    return { response, text, ms: performance.now() - started };
  };
  const plain = await timed('/plain');
  const read = await timed('/cart');
  const write = await timed('/add/book', { method: 'POST' });
  await startBackend();
  const started = performance.now();
  let cookie: string | undefined;
  await waitUntil(
    async () => {
      const added = await fetch(`${url}/add/book`, { method: 'POST', redirect: 'manual' });
      await added.arrayBuffer();
      cookie = cookieOf(added);
      return added.status === 200 && cookie !== undefined;
    },
    'a session write after the backend came back',
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  const recoveredMs = performance.now() - started;
  const after = await fetch(`${url}/cart`, { headers: { cookie: cookie! } });
  return {
    plain: { status: plain.response.status, ms: plain.ms },
    read: { status: read.response.status, body: JSON.parse(read.text), ms: read.ms },
    write: {
      status: write.response.status,
      retryAfter: write.response.headers.get('retry-after'),
      ms: write.ms,
    },
    recoveredMs,
    cartAfterRecovery: ((await after.json()) as { cart: unknown }).cart,
  };
}

/**
 * What every adapter must show in an outage (see outageOutcome): the route without the session answers
 * 200, the session route answers with an unavailable session, the write fails as 503 with Retry-After
 * through the framework's own error handling, none of them waiting for the backend's `timeoutMs`; after the
 * backend returns, a write is kept.
 */
function expectOutageHandled(outcome: OutageOutcome, timeoutMs: number): void {
  const within = (ms: number) => ms < timeoutMs / 2;
  expect({ status: outcome.plain.status, fast: within(outcome.plain.ms) }).toEqual({
    status: 200,
    fast: true,
  });
  expect({ ...outcome.read, ms: within(outcome.read.ms) }).toEqual({
    status: 200,
    body: { available: false, cart: [] },
    ms: true,
  });
  // The framework's default error handling answers the SessionUnavailableError as an outage.
  expect({ ...outcome.write, ms: within(outcome.write.ms) }).toEqual({
    status: 503,
    retryAfter: '5',
    ms: true,
  });
  expect(outcome.cartAfterRecovery).toEqual(['book']);
}

/** Longest the Redis of describeSessionsOnRedis's apps takes for a command: short, so that the suite is. */
const OUTAGE_TIMEOUT_MS = 3_000;

/** How an adapter's suite starts its app for describeSessionsOnRedis (once per instance it needs). */
export type RedisSessionApp = (context: {
  /**
   * The client to keep both the sessions and the key ring in (`redis` of RedisCache and RedisXmlRepository),
   * of each kind the packages accept in turn; in the outage cases its Redis is down when the app starts.
   * The suite closes it.
   */
  redis: PackageRedisClient;
  /** The operationTimeout to give the cache and the key ring repository. */
  timeoutMs: number;
  /** The logger to give the session middleware. */
  logger: RecordingLogger['logger'];
  /** Where to start the app (closed after the suite). */
  apps: ReturnType<typeof httpApps>;
}) => Promise<string>;

/**
 * The suite every adapter runs on each Redis client the packages accept (ioredis 5 and 6, node-redis 5): two
 * instances share sessions and keys, and a user's sessions; an outage at start-up takes down no route that
 * does not need the session, and the app recovers on its own. `startApp` builds an app with the routes
 * outageOutcome names, and `POST /sign-in/:user` (session.signIn), `GET /me` (`{ userId, devices: [{ current
 * }] }`, userId null when signed out) and `POST /sign-out-others` (`{ ended }`), and answers its URL.
 */
export function describeSessionsOnRedis(framework: string, startApp: RedisSessionApp): void {
  describe.each(redisClientKinds)('$name', (kind) => {
    describeSessionsOn(framework, kind, startApp);
  });
}

function describeSessionsOn(framework: string, kind: RedisClientKind, startApp: RedisSessionApp): void {
  describeWithService(
    services.redis({ spawn: true }),
    `${framework} sessions on Redis (${kind.name} client)`,
    (server) => {
      const apps = httpApps();
      const clients: TestRedisClient[] = [];
      afterAll(() => Promise.all(clients.map((made) => made.close())));
      /** The app's client, made as the app would make it, and closed after the suite. */
      const redis = async () => {
        const made = await kind.standalone(server().url, { failQueuedCommands: true });
        clients.push(made);
        return made.client;
      };
      test('two instances share the sessions and the key ring: a cookie one made reads and writes on the other', async () => {
        const { logger, errors } = recordingLogger();
        const start = async () =>
          startApp({ redis: await redis(), timeoutMs: OUTAGE_TIMEOUT_MS, logger, apps });
        const [first, second] = await Promise.all([start(), start()]);
        const added = await fetch(`${first}/add/book`, { method: 'POST' });
        await added.arrayBuffer();
        const cookie = cookieOf(added);
        expect({ status: added.status, cookie: cookie !== undefined }).toEqual({ status: 200, cookie: true });
        const more = await fetch(`${second}/add/pen`, { method: 'POST', headers: { cookie: cookie! } });
        await more.arrayBuffer();
        const read = await fetch(`${first}/cart`, { headers: { cookie: cookie! } });
        expect({ more: more.status, read: await read.json(), errors }).toEqual({
          more: 200,
          read: { available: true, cart: ['book', 'pen'] },
          errors: [],
        });
      });

      test('a request publishes its cookie unprotect, session load and commit, and their Redis operations', async () => {
        const url = await startApp({
          redis: await redis(),
          timeoutMs: OUTAGE_TIMEOUT_MS,
          logger: recordingLogger().logger,
          apps,
        });
        const added = await fetch(`${url}/add/book`, { method: 'POST' });
        await added.arrayBuffer();
        const cookie = cookieOf(added)!;
        // The channels' names are public API: spelled out here as a subscriber would.
        const cache = recordTracingChannel<{ provider: string; operation: string; outcome: string }>(
          'sharedstate.cache.operation',
        );
        const loads = recordTracingChannel<{ outcome: string }>('sharedstate.session.load');
        const commits = recordTracingChannel<{ action: string; outcome: string }>(
          'sharedstate.session.commit',
        );
        const cookies = recordChannel<{ outcome: string; cookie: string }>('sharedstate.cookie.unprotect');
        try {
          await (await fetch(`${url}/add/pen`, { method: 'POST', headers: { cookie } })).arrayBuffer();
          await (await fetch(`${url}/cart`, { headers: { cookie } })).arrayBuffer();
        } finally {
          for (const recording of [cache, loads, commits, cookies]) recording.stop();
        }
        expect({
          cookies: cookies.messages.map((event) => `${event.cookie} ${event.outcome}`),
          loads: loads.ended().map((event) => event.outcome),
          commits: commits.ended().map((event) => `${event.action} ${event.outcome}`),
          cache: cache
            .ended()
            .filter((event) => event.provider === 'RedisCache')
            .map((event) => `${event.operation} ${event.outcome}`),
        }).toEqual({
          cookies: ['session ok', 'session ok'],
          loads: ['loaded', 'loaded'],
          commits: ['save committed'],
          cache: ['get hit', 'set ok', 'get hit'],
        });
      });

      test("a user signed in on both instances: one signs the other device out, through the middleware's userSessions", async () => {
        const { logger, errors } = recordingLogger();
        const start = async () =>
          startApp({ redis: await redis(), timeoutMs: OUTAGE_TIMEOUT_MS, logger, apps });
        const [first, second] = await Promise.all([start(), start()]);
        const signIn = async (url: string) => {
          const response = await fetch(`${url}/sign-in/ada`, { method: 'POST' });
          await response.arrayBuffer();
          return cookieOf(response)!;
        };
        const me = async (url: string, cookie: string) =>
          (await fetch(`${url}/me`, { headers: { cookie } })).json();
        const laptop = await signIn(first);
        const phone = await signIn(second);
        expect(await me(second, laptop)).toEqual({
          userId: 'ada',
          devices: expect.arrayContaining([{ current: true }, { current: false }]),
        });
        const ended = await fetch(`${first}/sign-out-others`, {
          method: 'POST',
          headers: { cookie: laptop },
        });
        expect(await ended.json()).toEqual({ ended: 1 });
        expect(await me(second, phone)).toEqual({ userId: null, devices: [] });
        expect(await me(second, laptop)).toEqual({ userId: 'ada', devices: [{ current: true }] });
        expect(errors).toEqual([]);
      });

      test('right after start, no request waits for the key ring: none without a cookie, one with a cookie only briefly', async () => {
        // A Redis that accepts connections and answers nothing (a hung host): the first key-ring load runs
        // until its timeout, and the requests come during it.
        server().hang();
        try {
          const { logger } = recordingLogger();
          const url = await startApp({ redis: await redis(), timeoutMs: OUTAGE_TIMEOUT_MS, logger, apps });
          const timed = async (path: string, headers: Record<string, string> = {}) => {
            const started = performance.now();
            const response = await fetch(`${url}${path}`, { headers });
            await response.arrayBuffer();
            return { path, status: response.status, fast: performance.now() - started < 800 };
          };
          expect(await timed('/plain')).toEqual({ path: '/plain', status: 200, fast: true });
          expect(await timed('/cart')).toEqual({ path: '/cart', status: 200, fast: true });
          // A cookie from before the restart may be valid: its request waits a little (keyRingWait), no more.
          const cookie = { cookie: 'sharedstate.sid=CfDJ8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
          expect(await timed('/plain', cookie)).toEqual({ path: '/plain', status: 200, fast: true });
          expect(await timed('/cart', cookie)).toEqual({ path: '/cart', status: 200, fast: true });
          // A readiness probe says why sessions do not work now.
          const probe = await fetch(`${url}/ready`);
          expect({ status: probe.status, body: await probe.json() }).toEqual({
            status: 503,
            body: {
              ready: false,
              keyRing: expect.stringMatching(/^(loading|unavailable)$/),
              cache: 'unavailable',
              reasons: expect.arrayContaining([expect.stringMatching(/^The cache did not answer/)]),
            },
          });
        } finally {
          server().resume();
        }
      }, 40_000);

      test('serves routes without the session, gives the session route an unavailable session, and recovers', async () => {
        await server().kill();
        const { logger, errors } = recordingLogger();
        const url = await startApp({ redis: await redis(), timeoutMs: OUTAGE_TIMEOUT_MS, logger, apps });
        // The first key-ring load, started with the middleware, has failed by then (it is bounded by the timeout).
        await new Promise((resolve) => setTimeout(resolve, OUTAGE_TIMEOUT_MS + 500));
        expectOutageHandled(await outageOutcome(url, () => server().restart()), OUTAGE_TIMEOUT_MS);
        const probe = await fetch(`${url}/ready`);
        expect({ status: probe.status, body: await probe.json() }).toEqual({
          status: 200,
          body: { ready: true, keyRing: 'loaded', cache: 'ok', reasons: [] },
        });
        expect(errors.join('\n')).toMatch(/key ring could not be loaded/);
      }, 40_000);
    },
  );
}
