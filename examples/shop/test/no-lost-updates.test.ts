// concurrentUpdates: 'merge' on every adapter and every shipped cache: 50 parallel increments of one
// session's counter, ten times, and none lost. The control (last-write-wins) shows the same requests lose
// increments, so the test can fail.
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { type DistributedCache, MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { PostgresCache } from '@sharedstate/caching-postgres';
import { RedisCache } from '@sharedstate/caching-redis';
import { runSqlCacheCli, SqlServerCache } from '@sharedstate/caching-sqlserver';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { session as expressMiddleware, getSession as expressSession } from '@sharedstate/session-express';
import { getSession as fastifyRequestSession, fastifySession } from '@sharedstate/session-fastify';
import { session as honoMiddleware, type SessionEnv } from '@sharedstate/session-hono';
import { session as koaMiddleware, getSession as koaSession } from '@sharedstate/session-koa';
import {
  CookieJarClient,
  describeWithService,
  httpApps,
  type ListeningApp,
  services,
  type TestService,
} from '@sharedstate/testing';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { Cluster, Redis } from 'ioredis';
import Koa from 'koa';
import pg from 'pg';

type Counter = { count: number };
type Mode = 'merge' | 'last-write-wins';
const TRIALS = 10;
const PARALLEL = 50;
/** The handler's own work before it changes the session (a query, a call): what makes requests overlap. */
const work = () => new Promise((resolve) => setTimeout(resolve, 5));

/** The session options for one app: the cache under test, a key ring of the app's own, the mode. */
const sessionOptions = (cache: DistributedCache, concurrentUpdates: Mode) => ({
  cache,
  dataProtection: createDataProtection({
    applicationName: 'counter',
    repository: new EphemeralXmlRepository(),
  }),
  concurrentUpdates,
});

/** POST /increment adds one to the session's counter after some work; GET /count reads it. */
const frameworks: Record<string, (cache: DistributedCache, mode: Mode) => ListeningApp> = {
  express: (cache, mode) => {
    const app = express();
    app.use(expressMiddleware(sessionOptions(cache, mode)));
    app.post('/increment', async (req, res) => {
      await work();
      expressSession<Counter>(req).update('count', (n) => (n ?? 0) + 1);
      res.send('ok');
    });
    app.get('/count', (req, res) => void res.json(expressSession<Counter>(req).getJson('count') ?? 0));
    return app;
  },
  koa: (cache, mode) => {
    const app = new Koa();
    app.use(koaMiddleware(sessionOptions(cache, mode)));
    app.use(async (ctx) => {
      const s = koaSession<Counter>(ctx);
      if (ctx.method === 'POST') {
        await work();
        s.update('count', (n) => (n ?? 0) + 1);
      }
      ctx.body = s.getJson('count') ?? 0;
    });
    return app;
  },
  hono: (cache, mode) => {
    const app = new Hono<SessionEnv<Counter>>();
    app.use(honoMiddleware<Counter>(sessionOptions(cache, mode)));
    app.post('/increment', async (c) => {
      await work();
      c.get('session').update('count', (n) => (n ?? 0) + 1);
      return c.text('ok');
    });
    app.get('/count', (c) => c.json(c.get('session').getJson('count') ?? 0));
    const listener = getRequestListener(app.fetch);
    return { listen: (port, host, callback) => createServer(listener).listen(port, host, callback) };
  },
  fastify: (cache, mode) => {
    const app = Fastify();
    void app.register(fastifySession, sessionOptions(cache, mode));
    void app.register(async (routes) => {
      routes.post('/increment', async (request) => {
        await work();
        fastifyRequestSession<Counter>(request).update('count', (n) => (n ?? 0) + 1);
        return 'ok';
      });
      routes.get('/count', async (request) => fastifyRequestSession<Counter>(request).getJson('count') ?? 0);
    });
    return {
      listen: (port, host, callback) => {
        void app.listen({ port, host }).then(() => callback());
        return app.server;
      },
    };
  },
};

/** Increments lost in one trial: a new session, PARALLEL increments at once, then the count read back. */
async function lostInOneTrial(url: string): Promise<number> {
  const browser = new CookieJarClient();
  await (await browser.send(`${url}/increment`, 'POST')).text();
  const responses = await Promise.all(
    Array.from({ length: PARALLEL }, () => browser.send(`${url}/increment`, 'POST')),
  );
  for (const response of responses) {
    expect(response.status).toBe(200);
    await response.text();
  }
  const count = (await (await browser.send(`${url}/count`)).json()) as number;
  return PARALLEL + 1 - count;
}

interface Provider<T> {
  name: string;
  service: TestService<T>;
  /** A cache on the service for one suite, and what closes it. */
  open(server: T): Promise<{ cache: DistributedCache; close(): Promise<unknown> }>;
}

/** The memory cache needs no server: a service that is always there. */
const inProcess: TestService<object> = {
  name: 'the test process',
  unavailable: () => undefined,
  requiredInCI: true,
  start: async () => ({}),
  stop: async () => {},
};

/** Each provider's typed description, kept in one list. */
const provider = <T>(description: Provider<T>) => description as unknown as Provider<unknown>;

const providers = [
  provider({
    name: 'MemoryDistributedCache',
    service: inProcess,
    open: async () => {
      const cache = new MemoryDistributedCache();
      return { cache, close: async () => cache.dispose() };
    },
  }),
  provider({
    name: 'RedisCache on a standalone Redis',
    service: services.redis(),
    open: async (server) => {
      const redis = new Redis(server.url, { enableAutoPipelining: true });
      return { cache: new RedisCache({ redis, instanceName: 'merge:' }), close: () => redis.quit() };
    },
  }),
  provider({
    name: 'RedisCache on a Redis Cluster',
    service: services.redisCluster(),
    open: async (cluster: { startupNodes: readonly { host: string; port: number }[] }) => {
      const redis = new Cluster([...cluster.startupNodes], { enableAutoPipelining: true });
      return { cache: new RedisCache({ redis, instanceName: 'merge:' }), close: () => redis.quit() };
    },
  }),
  provider({
    name: 'RedisCache through Redis Sentinel',
    service: services.redisSentinel(),
    open: async (setup: { sentinels: readonly { host: string; port: number }[]; masterName: string }) => {
      const redis = new Redis({ sentinels: [...setup.sentinels], name: setup.masterName });
      return { cache: new RedisCache({ redis, instanceName: 'merge:' }), close: () => redis.quit() };
    },
  }),
  provider({
    name: 'PostgresCache',
    service: services.postgres(),
    open: async (server: { url: string }) => {
      const pool = new pg.Pool({ connectionString: server.url, max: 20 });
      pool.on('error', () => {});
      const cache = new PostgresCache({ pool, createIfNotExists: true });
      return {
        cache,
        close: async () => {
          await cache.close();
          await pool.end();
        },
      };
    },
  }),
  provider({
    name: 'SqlServerCache',
    service: services.sqlServer(),
    open: async (server: { connectionString: string }) => {
      const quiet = { out: () => {}, err: () => {} };
      const table = `MergeCache_${process.pid}`;
      await runSqlCacheCli(
        ['create', '--connection', server.connectionString, '--schema', 'dbo', '--table', table],
        quiet,
      );
      const cache = new SqlServerCache({
        connection: server.connectionString,
        schemaName: 'dbo',
        tableName: table,
      });
      return { cache, close: () => cache.close() };
    },
  }),
];

for (const { name, service, open } of providers) {
  describeWithService(service as TestService<unknown>, name, (server) => {
    const apps = httpApps();
    let opened: Awaited<ReturnType<Provider<unknown>['open']>>;
    beforeAll(async () => {
      opened = await open(server());
    }, 60_000);
    afterAll(async () => {
      await opened?.close();
    });

    test.each(Object.keys(frameworks))(
      `%s with concurrentUpdates 'merge': ${TRIALS} trials of ${PARALLEL} parallel increments lose none`,
      async (framework) => {
        const url = await apps.start(frameworks[framework]!(opened.cache, 'merge'));
        const lost: number[] = [];
        for (let trial = 0; trial < TRIALS; trial++) lost.push(await lostInOneTrial(url));
        expect(lost).toEqual(Array(TRIALS).fill(0));
      },
      120_000,
    );

    test('the control: with last-write-wins the same requests lose increments', async () => {
      const url = await apps.start(frameworks.express!(opened.cache, 'last-write-wins'));
      expect(await lostInOneTrial(url)).toBeGreaterThan(0);
    }, 60_000);
  });
}
