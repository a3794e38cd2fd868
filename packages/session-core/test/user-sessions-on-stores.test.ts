// The user-sessions index on each shipped cache with conditional writes: Redis (standalone and Cluster),
// PostgreSQL and SQL Server (where one is configured), and an outage while a user's sessions are ended.
import { CacheUnavailableError } from '@sharedstate/caching-abstractions';
import { PostgresCache, runPostgresCacheCli } from '@sharedstate/caching-postgres';
import { RedisCache } from '@sharedstate/caching-redis';
import { runSqlCacheCli, SqlServerCache } from '@sharedstate/caching-sqlserver';
import { SessionsNotEndedError } from '@sharedstate/session-core';
import { describeWithService, services, waitUntil } from '@sharedstate/testing';
import { Cluster, Redis } from 'ioredis';
import mssql from 'mssql';
import pg from 'pg';
import { describeUserSessions, signInOn, twoInstances, whoIs } from './user-sessions-suite.ts';

const quiet = { out: () => {}, err: () => {} };

describeWithService(services.redis({ spawn: true }), 'Redis', (server) => {
  let client: Redis;
  let cache: RedisCache;
  beforeAll(() => {
    client = new Redis(server().url);
    cache = new RedisCache({ redis: client, instanceName: 'users:' });
  });
  afterAll(() => client.quit());
  describeUserSessions('Redis', () => cache);
});

describeWithService(
  services.redisCluster({ masters: 3, replicasPerMaster: 0 }),
  'Redis Cluster',
  (cluster) => {
    let client: Cluster;
    let cache: RedisCache;
    beforeAll(() => {
      client = new Cluster([...cluster().startupNodes]);
      cache = new RedisCache({ redis: client, instanceName: 'users:' });
    });
    afterAll(() => client.quit());
    describeUserSessions('Redis Cluster', () => cache);
  },
);

describeWithService(services.postgres(), 'PostgreSQL', (server) => {
  let pool: pg.Pool;
  let cache: PostgresCache;
  beforeAll(async () => {
    expect(
      await runPostgresCacheCli(['create', '--connection', server().url, '--table', 'user_sessions'], quiet),
    ).toBe(0);
    pool = new pg.Pool({ connectionString: server().url, max: 8 });
    pool.on('error', () => {});
    cache = new PostgresCache({ pool, tableName: 'user_sessions', logger: false });
  });
  afterAll(() => pool.end());
  describeUserSessions('PostgreSQL', () => cache);
});

describeWithService(services.sqlServer(), 'SQL Server', (server) => {
  let pool: mssql.ConnectionPool;
  let cache: SqlServerCache;
  const table = `UserSessions_${process.pid}`;
  beforeAll(async () => {
    expect(
      await runSqlCacheCli(
        ['create', '--connection', server().connectionString, '--schema', 'dbo', '--table', table],
        quiet,
      ),
    ).toBe(0);
    pool = await new mssql.ConnectionPool(server().connectionString).connect();
    cache = new SqlServerCache({ pool, schemaName: 'dbo', tableName: table, logger: false });
  }, 60_000);
  afterAll(async () => {
    await pool.request().query(`DROP TABLE [dbo].[${table}]`);
    await pool.close();
  });
  describeUserSessions('SQL Server', () => cache);
});

describeWithService(services.redis({ spawn: true }), 'Redis that stops', (server) => {
  test("an outage while ending a user's sessions is a SessionsNotEndedError that says none were ended; once Redis is back, the call ends them", async () => {
    const client = new Redis(server().url, { maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    try {
      const cache = new RedisCache({ redis: client, operationTimeout: '500ms' });
      const { a } = twoInstances(cache);
      const phone = await signInOn(a, 'outage-user', 'phone');
      await server().kill();
      const error = await a.handler.userSessions.endUserSessions('outage-user').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionsNotEndedError);
      expect(error).toMatchObject({ ended: [], notEnded: [] });
      expect((error as Error).message).toMatch(/none were ended/);
      expect((error as Error).cause).toBeInstanceOf(CacheUnavailableError);
      await server().restart();
      await waitUntil(
        () =>
          client.ping().then(
            () => true,
            () => false,
          ),
        'the client to reconnect',
        { timeoutMs: 30_000 },
      );
      // The restarted server kept nothing (no persistence here): sign in again, then end it.
      const again = await signInOn(a, 'outage-user', 'phone');
      expect(phone.handle).not.toBe(again.handle);
      expect(await a.handler.userSessions.endUserSessions('outage-user')).toBe(1);
      expect((await whoIs(a, again.cookie)).userId).toBeUndefined();
    } finally {
      client.disconnect();
    }
  }, 60_000);
});

describeWithService(
  services.redisCluster({ masters: 3, replicasPerMaster: 0 }),
  'a Redis Cluster with one master hung',
  (cluster) => {
    test('a node that stops answering part way: SessionsNotEndedError lists the sessions that ended and those that did not; calling again ends the rest', async () => {
      const client = new Cluster([...cluster().startupNodes]);
      client.on('error', () => {});
      const prefix = 'partial:';
      try {
        const cache = new RedisCache({ redis: client, instanceName: prefix, operationTimeout: '500ms' });
        const { a } = twoInstances(cache);
        const userId = `partial-${process.pid}`;
        const indexMaster = await cluster().masterFor(`${prefix}sharedstate:user-sessions:${userId}`);
        // Sessions until one lives on another master than the user's list (three masters: a few suffice).
        const signedIn: { handle: string; cookie: string; master: unknown }[] = [];
        while (!signedIn.some((entry) => entry.master !== indexMaster) || signedIn.length < 4) {
          const session = await signInOn(a, userId);
          signedIn.push({ ...session, master: await cluster().masterFor(prefix + session.key) });
        }
        const hung = signedIn.find((entry) => entry.master !== indexMaster)!.master as typeof indexMaster;
        const onHung = signedIn.filter((entry) => entry.master === hung).map((entry) => entry.handle);
        const elsewhere = signedIn.filter((entry) => entry.master !== hung).map((entry) => entry.handle);
        hung.hang();
        let error: unknown;
        try {
          error = await a.handler.userSessions.endUserSessions(userId).catch((e: unknown) => e);
        } finally {
          hung.resume();
        }
        expect(error).toBeInstanceOf(SessionsNotEndedError);
        const { ended, notEnded } = error as SessionsNotEndedError;
        expect(new Set(ended)).toEqual(new Set(elsewhere));
        expect(new Set(notEnded)).toEqual(new Set(onHung));
        expect((error as Error).message).toContain(
          `${elsewhere.length} ended, ${onHung.length} still signed in`,
        );
        // The list kept exactly the sessions that may still work; calling again ends them.
        expect(
          new Set((await a.handler.userSessions.listSessions(userId)).map((entry) => entry.handle)),
        ).toEqual(new Set(onHung));
        expect(await a.handler.userSessions.endUserSessions(userId)).toBe(onHung.length);
        for (const entry of signedIn) expect((await whoIs(a, entry.cookie)).userId).toBeUndefined();
      } finally {
        client.disconnect();
      }
    }, 60_000);
  },
);
