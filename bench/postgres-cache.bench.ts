import { PostgresCache, postgresTable } from '@sharedstate/caching-postgres';
import { LocalPostgresServer } from '@sharedstate/testing';
import pg from 'pg';
import { cacheStatements } from '../packages/caching-postgres/src/postgres-statements.ts';
import { type ComparisonRow, comparePairs } from './report.ts';

const CONCURRENCY = 32;
const KEYS = 1_000;
const POOL_SIZE = 8;

/**
 * PostgresCache beside raw node-postgres sending the very same statements (text, parameters, prepared by
 * name) on a pool of the same size, at the same concurrency: what the cache adds on top of pg. A sliding
 * get that renews (renewalSkipFraction 0: every read updates the row), one of an entry renewed moments ago
 * (the default: the statement renews nothing), and a set. Rows report operations per second.
 */
export async function run(): Promise<ComparisonRow[]> {
  const server = await LocalPostgresServer.start();
  const ours = new pg.Pool({ connectionString: server.url, max: POOL_SIZE });
  const raw = new pg.Pool({ connectionString: server.url, max: POOL_SIZE });
  try {
    const cache = new PostgresCache({
      pool: ours,
      createIfNotExists: true,
      expiredItemsDeletionInterval: false,
    });
    const renewing = new PostgresCache({
      pool: ours,
      renewalSkipFraction: 0,
      expiredItemsDeletionInterval: false,
    });
    const statements = cacheStatements(postgresTable('public', 'distributed_cache'));
    const value = Buffer.alloc(512, 7);
    for (let i = 0; i < KEYS; i++) await cache.set(`k${i}`, value, { slidingExpiration: '20m' });
    const rawGet = (skip: number) => (i: number) =>
      raw.query({ ...statements.get, values: [`k${i}`, new Date(), skip] });
    let n = 0;
    const batch = (op: (i: number) => Promise<unknown>) => () =>
      Promise.all(Array.from({ length: CONCURRENCY }, () => op(n++ % KEYS)));
    const rows = await comparePairs('postgres cache', [
      {
        operation: `get, sliding, renewing (${CONCURRENCY} in flight)`,
        ours: { name: 'PostgresCache.get', fn: batch((i) => renewing.get(`k${i}`)) },
        baseline: { name: 'pg, same statement', fn: batch(rawGet(0)) },
        target: 0.85,
      },
      {
        operation: `get, sliding, renewed moments ago (${CONCURRENCY} in flight)`,
        ours: { name: 'PostgresCache.get', fn: batch((i) => cache.get(`k${i}`)) },
        baseline: { name: 'pg, same statement', fn: batch(rawGet(0.01)) },
        target: 0.85,
      },
      {
        operation: `set, sliding (${CONCURRENCY} in flight)`,
        ours: {
          name: 'PostgresCache.set',
          fn: batch((i) => cache.set(`k${i}`, value, { slidingExpiration: 1_200_000 })),
        },
        baseline: {
          name: 'pg, same statement',
          fn: batch((i) =>
            raw.query({
              ...statements.set,
              values: [`k${i}`, value, new Date(Date.now() + 1_200_000), 1200, null],
            }),
          ),
        },
        target: 0.85,
      },
    ]);
    await cache.close();
    await renewing.close();
    return rows.map((row) => ({
      ...row,
      oursOpsPerSec: row.oursOpsPerSec * CONCURRENCY,
      baselineOpsPerSec: row.baselineOpsPerSec * CONCURRENCY,
    }));
  } finally {
    await ours.end();
    await raw.end();
    await server.stop();
  }
}
