// The HybridCache suite on PostgreSQL: PostgresCache as L2 and PostgresInvalidationBus (LISTEN/NOTIFY), each
// instance with a pool of its own.

import { describeHybridCacheConformance } from '@sharedstate/caching-hybrid/testing';
import { PostgresCache, PostgresInvalidationBus, runPostgresCacheCli } from '@sharedstate/caching-postgres';
import { describeWithService, type LocalPostgresServer, services } from '@sharedstate/testing';
import pg from 'pg';

describeWithService(services.postgres(), 'HybridCache on PostgreSQL', (server: () => LocalPostgresServer) => {
  beforeAll(async () => {
    const quiet = { out: () => {}, err: () => {} };
    expect(
      await runPostgresCacheCli(['create', '--connection', server().url, '--table', 'hybrid'], quiet),
    ).toBe(0);
  });
  const instance = (bus: boolean) => async () => {
    const pool = new pg.Pool({ connectionString: server().url, max: 4 });
    pool.on('error', () => {});
    const distributedCache = new PostgresCache({ pool, tableName: 'hybrid' });
    return {
      distributedCache,
      ...(bus ? { invalidationBus: new PostgresInvalidationBus({ pool }) } : {}),
      close: async () => {
        await distributedCache.close();
        await pool.end();
      },
    };
  };
  describeHybridCacheConformance('HybridCache on PostgresCache with PostgresInvalidationBus', {
    createInstance: instance(true),
  });
  describeHybridCacheConformance('HybridCache on PostgresCache without a bus', {
    createInstance: instance(false),
  });
});
