import { join } from 'node:path';
import { type DistributedCache, MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { PostgresCache } from '@sharedstate/caching-postgres';
import { RedisCache } from '@sharedstate/caching-redis';
import {
  createDataProtection,
  type DataProtectionProvider,
  EphemeralXmlRepository,
  FileSystemXmlRepository,
  type XmlRepository,
} from '@sharedstate/dataprotection-core';
import { PostgresXmlRepository } from '@sharedstate/dataprotection-postgres';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { Redis } from 'ioredis';
import pg from 'pg';

export interface ShopBackend {
  cache: DistributedCache;
  dataProtection: DataProtectionProvider;
  /** The session options every shop uses: this backend, a 20-minute idle timeout, and the update mode. */
  sessionOptions: {
    cache: DistributedCache;
    dataProtection: DataProtectionProvider;
    idleTimeout: string;
    concurrentUpdates: 'merge' | 'last-write-wins';
  };
  /** One line saying where sessions and keys live. */
  description: string;
  close(): Promise<void>;
}

/**
 * Where the shop keeps sessions and keys, chosen by environment:
 * - SHOP_CACHE = redis | postgres | memory (default: redis when REDIS_URL is set, postgres when DATABASE_URL
 *   is, else memory)
 * - SHOP_KEYS = redis | postgres | files | ephemeral (default: as SHOP_CACHE, else files in SHOP_KEY_DIR)
 * - SHOP_KEY_RING_CHECK = how often to look for keys created or revoked elsewhere (e.g. '2s')
 * - SHOP_CONCURRENT_UPDATES = merge (default: a double-clicked "add" adds twice) | last-write-wins
 * The 'memory' and 'ephemeral' choices exist to show, in tests, what breaks without shared storage.
 */
const CACHE_PLACES = { redis: 'Redis', postgres: 'PostgreSQL', memory: 'this process’s memory' };

export function backendFromEnv(env: NodeJS.ProcessEnv = process.env): ShopBackend {
  const redisUrl = env.REDIS_URL;
  const databaseUrl = env.DATABASE_URL;
  const shared = redisUrl ? 'redis' : databaseUrl ? 'postgres' : undefined;
  const cacheKind = env.SHOP_CACHE ?? shared ?? 'memory';
  const keysKind = env.SHOP_KEYS ?? shared ?? 'files';
  let redis: Redis | undefined;
  let pool: pg.Pool | undefined;
  const sharedPool = () => {
    if (!databaseUrl)
      throw new Error(`SHOP_CACHE/SHOP_KEYS=postgres needs DATABASE_URL (e.g. postgres://127.0.0.1/shop).`);
    pool ??= new pg.Pool({ connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 5_000 });
    return pool;
  };
  const sharedRedis = () => {
    if (!redisUrl)
      throw new Error(`SHOP_CACHE/SHOP_KEYS=redis needs REDIS_URL (e.g. redis://127.0.0.1:6379).`);
    redis ??= new Redis(redisUrl, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
    return redis;
  };
  let cache: DistributedCache;
  if (cacheKind === 'redis') cache = new RedisCache({ redis: sharedRedis(), instanceName: 'shop:' });
  // The demo creates its tables; an app would create them with sharedstate-pg-cache or a migration.
  else if (cacheKind === 'postgres')
    cache = new PostgresCache({ pool: sharedPool(), tableName: 'shop_sessions', createIfNotExists: true });
  else if (cacheKind === 'memory') cache = new MemoryDistributedCache();
  else throw new Error(`SHOP_CACHE must be redis, postgres or memory; got '${cacheKind}'.`);
  let repository: XmlRepository;
  if (keysKind === 'redis')
    repository = new RedisXmlRepository({ redis: sharedRedis(), key: 'shop:DataProtection-Keys' });
  else if (keysKind === 'postgres')
    repository = new PostgresXmlRepository({ pool: sharedPool(), createIfNotExists: true });
  else if (keysKind === 'files')
    repository = new FileSystemXmlRepository({
      directory: env.SHOP_KEY_DIR ?? join('.sharedstate-demo', 'keys'),
    });
  else if (keysKind === 'ephemeral') repository = new EphemeralXmlRepository();
  else throw new Error(`SHOP_KEYS must be redis, postgres, files or ephemeral; got '${keysKind}'.`);
  const dataProtection = createDataProtection({
    applicationName: 'sharedstate-shop',
    repository,
    // The demo checks often, so that a revocation from its page shows within seconds.
    ...(env.SHOP_KEY_RING_CHECK ? { keyRingChangeCheckInterval: env.SHOP_KEY_RING_CHECK } : {}),
  });
  const concurrentUpdates = env.SHOP_CONCURRENT_UPDATES ?? 'merge';
  if (concurrentUpdates !== 'merge' && concurrentUpdates !== 'last-write-wins')
    throw new Error(`SHOP_CONCURRENT_UPDATES must be merge or last-write-wins; got '${concurrentUpdates}'.`);
  return {
    cache,
    dataProtection,
    sessionOptions: { cache, dataProtection, idleTimeout: '20m', concurrentUpdates },
    description: `sessions in ${CACHE_PLACES[cacheKind as keyof typeof CACHE_PLACES]}, keys in ${repository.description ?? keysKind}`,
    async close() {
      if (cache instanceof MemoryDistributedCache) cache.dispose();
      if (cache instanceof PostgresCache) await cache.close();
      await redis?.quit().catch(() => redis?.disconnect());
      await pool?.end();
    },
  };
}
