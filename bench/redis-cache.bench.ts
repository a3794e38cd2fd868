import { RedisCache } from '@sharedstate/caching-redis';
import { LocalRedisServer } from '@sharedstate/testing';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { GET_AND_REFRESH_SCRIPT } from '../packages/caching-redis/src/redis-scripts.ts';
import { pinServerAwayFromClient } from './pin-server.ts';
import { type ComparisonRow, comparePairs } from './report.ts';

const CONCURRENCY = 32;

const KEYS = 1_000;

/**
 * RedisCache beside raw ioredis on the same server, connection and concurrency: a sliding get that renews
 * (one EVALSHA that reads and extends) and one of an entry this client renewed moments ago (a plain HGET,
 * see renewalSkipFraction), each against HGETALL, the latter also against the same HGET sent through
 * ioredis's auto-pipelining (the cache batches its commands itself, see cache-commands.ts), and a set of an
 * entry written moments ago (HSET and PEXPIRE, pipelined) against HSET. On node-redis, each beside the raw
 * client sending the same commands: the set of an entry not written lately is HSET and PEXPIRE in MULTI/EXEC. Each task issues CONCURRENCY operations at once; rows report operations per second.
 */
export async function run(): Promise<ComparisonRow[]> {
  const server = await LocalRedisServer.start();
  pinServerAwayFromClient(server.pid);
  const client = new Redis(server.url);
  const raw = new Redis(server.url);
  // What an app's own reads batch with: ioredis's auto-pipelining.
  const pipelined = new Redis(server.url, { enableAutoPipelining: true });
  // node-redis, as connect-redis users hold it: the cache on one client, the raw commands on another.
  const nodeRedis = createClient({ url: server.url });
  const nodeRedisRaw = createClient({ url: server.url });
  await Promise.all([nodeRedis.connect(), nodeRedisRaw.connect()]);
  try {
    const onNodeRedis = new RedisCache({ redis: nodeRedis, instanceName: 'bench:', renewalSkipFraction: 0 });
    const onNodeRedisSkipping = new RedisCache({ redis: nodeRedis, instanceName: 'bench:' });
    // The scripts are loaded by the cache's first calls; the raw client then finds them by SHA.
    await onNodeRedis.get('k0');
    await onNodeRedis.set('k0', Buffer.alloc(512, 7), { slidingExpiration: '20m' });
    const nowTicks = () => String(BigInt(Date.now()) * 10_000n + 621_355_968_000_000_000n);
    const cache = new RedisCache({ redis: client, instanceName: 'bench:' });
    // Renews on every read: the cost of the renewal itself.
    const renewing = new RedisCache({ redis: client, instanceName: 'bench:', renewalSkipFraction: 0 });
    const value = Buffer.alloc(512, 7);
    for (let i = 0; i < KEYS; i++) {
      await cache.set(`k${i}`, value, { slidingExpiration: '20m' });
      await raw.hset(`raw:k${i}`, 'absexp', '-1', 'sldexp', '12000000000', 'data', value);
    }
    let n = 0;
    const batch = (op: (i: number) => Promise<unknown>) => () =>
      Promise.all(Array.from({ length: CONCURRENCY }, () => op(n++ % KEYS)));
    const rows = await comparePairs('redis cache', [
      {
        operation: `get, sliding, renewing (${CONCURRENCY} in flight)`,
        ours: { name: 'RedisCache.get', fn: batch((i) => renewing.get(`k${i}`)) },
        baseline: { name: 'ioredis HGETALL', fn: batch((i) => raw.hgetallBuffer(`raw:k${i}`)) },
        target: 0.8,
      },
      {
        operation: `get, sliding, renewed moments ago (${CONCURRENCY} in flight)`,
        ours: { name: 'RedisCache.get', fn: batch((i) => cache.get(`k${i}`)) },
        baseline: { name: 'ioredis HGETALL', fn: batch((i) => raw.hgetallBuffer(`raw:k${i}`)) },
      },
      {
        // The same command (HGET of data) on both sides: the cache's own batching against ioredis's.
        operation: `get, renewed moments ago, against auto-pipelining (${CONCURRENCY} in flight)`,
        ours: { name: 'RedisCache.get', fn: batch((i) => cache.get(`k${i}`)) },
        baseline: {
          name: 'ioredis HGET, auto-pipelined',
          fn: batch((i) => pipelined.hgetBuffer(`raw:k${i}`, 'data')),
        },
      },
      {
        operation: `set, sliding (${CONCURRENCY} in flight)`,
        ours: {
          name: 'RedisCache.set',
          fn: batch((i) => cache.set(`k${i}`, value, { slidingExpiration: 1_200_000 })),
        },
        baseline: {
          name: 'ioredis HSET',
          fn: batch((i) => raw.hset(`raw:k${i}`, 'absexp', '-1', 'sldexp', '12000000000', 'data', value)),
        },
        target: 0.8,
      },
      // node-redis: beside the raw client sending the same script (what the cache adds on top of it), and
      // beside plain HGETALL/HSET, which do not renew or set a TTL (what the server's script costs).
      {
        operation: `get, sliding, renewing, node-redis client (${CONCURRENCY} in flight)`,
        ours: { name: 'RedisCache.get', fn: batch((i) => onNodeRedis.get(`k${i}`)) },
        baseline: {
          name: 'node-redis EVALSHA, same script',
          fn: batch((i) =>
            nodeRedisRaw.sendCommand(['EVALSHA', GET_AND_REFRESH_SCRIPT.sha, '1', `bench:k${i}`, nowTicks()]),
          ),
        },
        target: 0.8,
      },
      {
        operation: `get, sliding, renewed moments ago, node-redis client (${CONCURRENCY} in flight)`,
        ours: { name: 'RedisCache.get', fn: batch((i) => onNodeRedisSkipping.get(`k${i}`)) },
        baseline: { name: 'node-redis HGETALL', fn: batch((i) => nodeRedisRaw.hGetAll(`raw:k${i}`)) },
        target: 0.8,
      },
      {
        operation: `set in MULTI/EXEC (renewalSkipFraction 0), node-redis client (${CONCURRENCY} in flight)`,
        ours: {
          name: 'RedisCache.set',
          fn: batch((i) => onNodeRedis.set(`k${i}`, value, { slidingExpiration: 1_200_000 })),
        },
        baseline: {
          name: 'node-redis MULTI, same commands',
          fn: batch((i) =>
            nodeRedisRaw
              .multi()
              .hSet(`bench:k${i}`, { absexp: '-1', sldexp: '12000000000', data: value })
              .pExpire(`bench:k${i}`, 1_200_000)
              .exec(),
          ),
        },
        target: 0.8,
      },
      {
        operation: `set of an entry written moments ago, node-redis client (${CONCURRENCY} in flight)`,
        ours: {
          name: 'RedisCache.set',
          fn: batch((i) => onNodeRedisSkipping.set(`k${i}`, value, { slidingExpiration: 1_200_000 })),
        },
        baseline: {
          name: 'node-redis HSET and PEXPIRE',
          fn: batch((i) =>
            Promise.all([
              nodeRedisRaw.hSet(`bench:k${i}`, { absexp: '-1', sldexp: '12000000000', data: value }),
              nodeRedisRaw.pExpire(`bench:k${i}`, 1_200_000),
            ]),
          ),
        },
        target: 0.8,
      },
      {
        operation: `set, sliding, node-redis client, against HSET (${CONCURRENCY} in flight)`,
        ours: {
          name: 'RedisCache.set',
          fn: batch((i) => onNodeRedis.set(`k${i}`, value, { slidingExpiration: 1_200_000 })),
        },
        baseline: {
          name: 'node-redis HSET',
          fn: batch((i) =>
            nodeRedisRaw.hSet(`raw:k${i}`, { absexp: '-1', sldexp: '12000000000', data: value }),
          ),
        },
      },
    ]);
    // tinybench counts batches; report single operations.
    return rows.map((row) => ({
      ...row,
      oursOpsPerSec: row.oursOpsPerSec * CONCURRENCY,
      baselineOpsPerSec: row.baselineOpsPerSec * CONCURRENCY,
    }));
  } finally {
    client.disconnect();
    raw.disconnect();
    pipelined.disconnect();
    await Promise.all([nodeRedis.close(), nodeRedisRaw.close()]);
    await server.stop();
  }
}
