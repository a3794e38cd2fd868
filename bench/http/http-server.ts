// One benchmark server, run as its own process so its CPU time can be read from /proc:
//   node --conditions=source bench/http/http-server.ts <variant> <port> <redis-url> [<postgres-url>]
// Routes: GET /read reads a counter from the session; POST /write increments it.
// Kinds: bare (the framework alone), get (one Redis GET per request: the read floor), get-set (the same GET,
// and a write also SETs a session-sized binary value before replying: the write floor, the two round trips
// any Redis-backed session write needs), and the session middlewares (`properties`: ours with the Express
// adapter's properties option, the counter read and written as a property of req.session; `sharedstate-merge`:
// ours with concurrentUpdates 'merge', the counter incremented with update(); `sharedstate-otel`, Express only:
// ours with @sharedstate/opentelemetry recording, see recording-telemetry.ts). On PostgreSQL
// (Express only): pg-get (one SELECT by primary key: the read floor), pg-get-set (and an upsert on a write),
// sharedstate-pg (PostgresCache and PostgresXmlRepository) and connect-pg-simple (express-session's store);
// GET /_statements answers how many statements the server's pool has sent. On Fastify, fastify-session is
// @fastify/session with connect-redis's store (rolling off, saving only a changed session); on Koa,
// koa-session is koa-session with koa-redis, its usual Redis store.
// Our session kinds take the Redis client after an @: sharedstate@ioredis6 (the default: ioredis 6 as the
// packages' peer, which the benchmark arranges with ioredis6-as-peer.ts), sharedstate@ioredis5,
// sharedstate@node-redis; each made with the client's defaults, as an app makes it.
import { createServer, type RequestListener, type Server } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifySessionPackage from '@fastify/session';
import { getRequestListener } from '@hono/node-server';
import { PostgresCache } from '@sharedstate/caching-postgres';
import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { PostgresXmlRepository } from '@sharedstate/dataprotection-postgres';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import {
  getSession as expressSession,
  type Session,
  session as sharedExpress,
} from '@sharedstate/session-express';
import {
  getSession as fastifySessionOf,
  fastifySession as sharedFastify,
} from '@sharedstate/session-fastify';
import { type SessionEnv, session as sharedHono } from '@sharedstate/session-hono';
import { getSession as koaSessionOf, session as sharedKoa } from '@sharedstate/session-koa';
import { countingPool } from '@sharedstate/testing/postgres';
import connectPgSimple from 'connect-pg-simple';
import { RedisStore } from 'connect-redis';
import express from 'express';
import expressSessionMiddleware from 'express-session';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { Redis as Redis6 } from 'ioredis6';
import Koa from 'koa';
import koaRedis from 'koa-redis';
import koaSession from 'koa-session';
import { createClient } from 'redis';

const [variant = '', port = '0', redisUrl = 'redis://127.0.0.1:6379', postgresUrl] = process.argv.slice(2);
const [framework = '', kindAndClient = ''] = variant.split(':');
const [kind, sessionClientName = 'ioredis6'] = kindAndClient.split('@');
// The floors' client. Auto-pipelining batches commands issued in the same tick into one socket write.
const redis = new Redis(redisUrl, { enableAutoPipelining: true });

/** The client our sessions run on, made with the client's defaults. */
async function sessionClient() {
  if (sessionClientName === 'node-redis') {
    const client = createClient({ url: redisUrl });
    await client.connect();
    return client;
  }
  const is6 = (Redis as unknown) === Redis6;
  if ((sessionClientName === 'ioredis6') !== is6)
    throw new Error(
      `${variant}: the process's ioredis is ${is6 ? 6 : 5}; run ioredis 6 with --import ioredis6-as-peer.ts, ioredis 5 without`,
    );
  if (sessionClientName !== 'ioredis6' && sessionClientName !== 'ioredis5')
    throw new Error(`${variant}: unknown client '${sessionClientName}' (ioredis6, ioredis5 or node-redis)`);
  return new Redis(redisUrl);
}
// About the size of the benchmark's session blob (a 16-byte id and one small entry), with bytes over 0x7f.
const FLOOR_VALUE = Buffer.alloc(64, 0xa5);
const IDLE_MS = 20 * 60_000;
/** The write floor's second round trip: what a session store's save is at least. */
const floorSave = () => redis.set('bench:floor:saved', FLOOR_VALUE, 'PX', IDLE_MS);
/**
 * The read floor's one round trip: a GET of a stored session-sized value, as bytes, the least a session
 * store's load is (a GET that finds nothing would be a first visit, not a returning one).
 */
const readFloor = () => redis.getBuffer('bench:floor');
const readsFloor = (kind: string | undefined) => kind === 'get' || kind === 'get-set';
const shared = async () => {
  const client = await sessionClient();
  return {
    cache: new RedisCache({ redis: client, instanceName: 'bench:' }),
    dataProtection: createDataProtection({
      applicationName: 'bench',
      repository: new RedisXmlRepository({ redis: client, key: 'bench:keys' }),
    }),
  };
};

type Counter = { get(): number; set(n: number): void };
/** The routes' counter in one of our sessions, as JSON under 'n'. */
const sessionCounter = (s: Session<{ n: number }>): Counter => ({
  get: () => s.getJson('n') ?? 0,
  set: (n) => s.setJson('n', n),
});
/** The counter as a property of an express-session-style session object. */
const propertyCounter = (session: unknown): Counter => {
  const s = session as Record<string, number>;
  return {
    get: () => s.n ?? 0,
    set: (n) => {
      s.n = n;
    },
  };
};
/** The variants without a session count nothing. */
const NO_COUNTER: Counter = { get: () => 0, set: () => {} };

const PG_KINDS = new Set(['pg-get', 'pg-get-set', 'sharedstate-pg', 'connect-pg-simple']);
/** Every statement this process sends to PostgreSQL goes through this pool, and is counted. */
const pool = postgresUrl ? countingPool({ connectionString: postgresUrl, max: 10 }) : undefined;
const usePool = () => {
  if (!pool) throw new Error(`${variant} needs a PostgreSQL URL as the fourth argument`);
  return pool;
};
const PG_FLOOR_KEY = 'bench:floor';
/** The PostgreSQL floors: a SELECT by primary key of a session-sized value, and an upsert of one. */
// Prepared by name, as the cache's statements are.
const pgReadFloor = () =>
  usePool().query({
    name: 'floor_read',
    text: 'SELECT value FROM pg_floor WHERE id = $1',
    values: [PG_FLOOR_KEY],
  });
const pgFloorSave = () =>
  usePool().query({
    name: 'floor_save',
    text: 'INSERT INTO pg_floor (id, value) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value',
    values: ['bench:floor:saved', FLOOR_VALUE],
  });

async function listener(): Promise<RequestListener> {
  if (kind !== undefined && PG_KINDS.has(kind)) return postgresListener(kind);
  if (readsFloor(kind)) await redis.set('bench:floor', FLOOR_VALUE);
  if (framework === 'express') {
    const app = express();
    if (readsFloor(kind)) app.use((_req, _res, next) => void readFloor().then(() => next(), next));
    if (kind === 'sharedstate') app.use(sharedExpress(await shared()));
    if (kind === 'sharedstate-otel') {
      (await import('./recording-telemetry.ts')).recordTelemetry();
      app.use(sharedExpress(await shared()));
    }
    // No lost updates: writes are conditional, and the counter is changed with update().
    if (kind === 'sharedstate-merge')
      app.use(sharedExpress({ ...(await shared()), concurrentUpdates: 'merge' }));
    // req.session as express-session's object (for Passport): values as properties, JSON under their names.
    if (kind === 'properties') app.use(sharedExpress(await shared(), { properties: true }));
    if (kind === 'express-session') {
      const client = createClient({ url: redisUrl });
      await client.connect();
      app.use(
        expressSessionMiddleware({
          store: new RedisStore({ client, prefix: 'bench-es:' }),
          secret: 'benchmark secret',
          resave: false,
          saveUninitialized: false,
        }),
      );
    }
    const counter = (req: express.Request): Counter => {
      if (kind === 'sharedstate-merge') {
        const s = expressSession<{ n: number }>(req);
        return { get: () => s.getJson('n') ?? 0, set: () => s.update('n', (n) => (n ?? 0) + 1) };
      }
      if (kind === 'sharedstate' || kind === 'sharedstate-otel')
        return sessionCounter(expressSession<{ n: number }>(req));
      if (kind === 'express-session' || kind === 'properties')
        return propertyCounter((req as unknown as { session: unknown }).session);
      return NO_COUNTER;
    };
    app.get('/read', (req, res) => void res.send(String(counter(req).get())));
    app.post('/write', (req, res, next) => {
      const c = counter(req);
      c.set(c.get() + 1);
      if (kind === 'get-set') void floorSave().then(() => res.send(String(c.get())), next);
      else res.send(String(c.get()));
    });
    return app;
  }
  if (framework === 'koa') {
    const app = new Koa();
    app.keys = ['benchmark secret'];
    if (readsFloor(kind))
      app.use(async (_ctx, next) => {
        await readFloor();
        await next();
      });
    if (kind === 'sharedstate') app.use(sharedKoa(await shared()));
    if (kind === 'koa-session') {
      // koa-session keeps data in a cookie unless given an external store: koa-redis, its usual Redis
      // store, as a scaled-out app would need.
      const store = koaRedis({ url: redisUrl });
      app.use(koaSession({ store, maxAge: IDLE_MS, rolling: false, renew: false }, app));
    }
    app.use(async (ctx) => {
      let read = () => 0;
      let write = (_n: number) => {};
      if (kind === 'sharedstate') {
        const s = koaSessionOf<{ n: number }>(ctx);
        read = () => s.getJson('n') ?? 0;
        write = (n) => s.setJson('n', n);
      } else if (kind === 'koa-session') {
        const s = (ctx as unknown as { session: Record<string, number> }).session;
        read = () => s.n ?? 0;
        write = (n) => {
          s.n = n;
        };
      }
      if (ctx.method === 'POST') write(read() + 1);
      if (ctx.method === 'POST' && kind === 'get-set') await floorSave();
      ctx.body = String(read());
    });
    return app.callback();
  }
  if (framework === 'hono') {
    const app = new Hono<SessionEnv<{ n: number }>>();
    if (readsFloor(kind))
      app.use(async (_c, next) => {
        await readFloor();
        await next();
      });
    if (kind === 'sharedstate') app.use(sharedHono<{ n: number }>(await shared()));
    const read = (c: { get(name: 'session'): { getJson(k: 'n'): number | undefined } }) =>
      kind === 'sharedstate' ? (c.get('session').getJson('n') ?? 0) : 0;
    app.get('/read', (c) => c.text(String(read(c))));
    if (kind === 'get-set')
      app.post('/write', async (c) => {
        await floorSave();
        return c.text(String(read(c)));
      });
    else
      app.post('/write', (c) => {
        if (kind === 'sharedstate') c.get('session').setJson('n', read(c) + 1);
        return c.text(String(read(c)));
      });
    return getRequestListener(app.fetch);
  }
  throw new Error(`unknown variant '${variant}'`);
}

/** Fastify makes its own server: the variants without a session, ours, and @fastify/session. */
async function fastifyServer(kind: string | undefined): Promise<Server> {
  if (readsFloor(kind)) await redis.set('bench:floor', FLOOR_VALUE);
  const app = Fastify();
  if (readsFloor(kind)) app.addHook('onRequest', async () => void (await readFloor()));
  if (kind === 'sharedstate') await app.register(sharedFastify, await shared());
  if (kind === 'fastify-session') {
    const client = createClient({ url: redisUrl });
    await client.connect();
    await app.register(fastifyCookie);
    await app.register(fastifySessionPackage, {
      store: new RedisStore({ client, prefix: 'bench-fs:' }),
      secret: 'a benchmark secret of at least 32 characters',
      cookie: { secure: false, maxAge: IDLE_MS },
      rolling: false,
      saveUninitialized: false,
    });
  }
  const counter = (request: object): Counter => {
    if (kind === 'sharedstate') return sessionCounter(fastifySessionOf<{ n: number }>(request));
    if (kind === 'fastify-session') {
      const s = (
        request as { session: { get(key: string): unknown; set(key: string, value: unknown): void } }
      ).session;
      return { get: () => (s.get('n') as number | undefined) ?? 0, set: (n) => s.set('n', n) };
    }
    return NO_COUNTER;
  };
  app.get('/read', async (request) => String(counter(request).get()));
  app.post('/write', async (request) => {
    const c = counter(request);
    c.set(c.get() + 1);
    if (kind === 'get-set') await floorSave();
    return String(c.get());
  });
  await app.ready();
  return app.server;
}

/** Express on PostgreSQL: the floors, sharedstate, and express-session with connect-pg-simple. */
async function postgresListener(kind: string): Promise<RequestListener> {
  const db = usePool();
  await db.query('CREATE TABLE IF NOT EXISTS pg_floor (id text PRIMARY KEY, value bytea NOT NULL)');
  await db.query(
    'INSERT INTO pg_floor (id, value) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value',
    [PG_FLOOR_KEY, FLOOR_VALUE],
  );
  const app = express();
  if (kind === 'pg-get' || kind === 'pg-get-set')
    app.use((_req, _res, next) => void pgReadFloor().then(() => next(), next));
  if (kind === 'sharedstate-pg') {
    const dataProtection = createDataProtection({
      applicationName: 'bench',
      repository: new PostgresXmlRepository({ pool: db, createIfNotExists: true }),
    });
    await dataProtection.initialize();
    app.use(
      sharedExpress({ cache: new PostgresCache({ pool: db, createIfNotExists: true }), dataProtection }),
    );
  }
  if (kind === 'connect-pg-simple') {
    const PgStore = connectPgSimple(expressSessionMiddleware);
    app.use(
      expressSessionMiddleware({
        store: new PgStore({ pool: db, createTableIfMissing: true, pruneSessionInterval: false }),
        secret: 'benchmark secret',
        resave: false,
        saveUninitialized: false,
      }),
    );
  }
  const counter = (req: express.Request): Counter => {
    if (kind === 'sharedstate-pg') return sessionCounter(expressSession<{ n: number }>(req));
    if (kind === 'connect-pg-simple')
      return propertyCounter((req as unknown as { session: unknown }).session);
    return NO_COUNTER;
  };
  app.get('/_statements', (_req, res) => void res.json({ statements: db.statements.length }));
  app.get('/read', (req, res) => void res.send(String(counter(req).get())));
  app.post('/write', (req, res, next) => {
    const c = counter(req);
    c.set(c.get() + 1);
    if (kind === 'pg-get-set') void pgFloorSave().then(() => res.send(String(c.get())), next);
    else res.send(String(c.get()));
  });
  return app;
}

const server = framework === 'fastify' ? await fastifyServer(kind) : createServer(await listener());
server.keepAliveTimeout = 60_000;
server.listen(Number(port), '127.0.0.1', () => console.log('ready'));
process.once('SIGINT', () => process.exit(0));
process.once('SIGTERM', () => process.exit(0));
