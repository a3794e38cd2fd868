import { join } from 'node:path';
import { type DistributedCache, MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { RedisCache } from '@sharedstate/caching-redis';
import {
  createDataProtection,
  type DataProtectionProvider,
  EphemeralXmlRepository,
  FileSystemXmlRepository,
  type XmlRepository,
} from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { Redis } from 'ioredis';

export interface ShopBackend {
  cache: DistributedCache;
  dataProtection: DataProtectionProvider;
  /** One line saying where sessions and keys live. */
  description: string;
  close(): Promise<void>;
}

/**
 * Where the shop keeps sessions and keys, chosen by environment:
 * - SHOP_CACHE = redis | memory (default: redis when REDIS_URL is set, else memory)
 * - SHOP_KEYS = redis | files | ephemeral (default: redis when REDIS_URL is set, else files in SHOP_KEY_DIR)
 * - SHOP_KEY_RING_CHECK = how often to look for keys created or revoked elsewhere (e.g. '2s')
 * The 'memory' and 'ephemeral' choices exist to show, in tests, what breaks without shared storage.
 */
export function backendFromEnv(env: NodeJS.ProcessEnv = process.env): ShopBackend {
  const redisUrl = env.REDIS_URL;
  const cacheKind = env.SHOP_CACHE ?? (redisUrl ? 'redis' : 'memory');
  const keysKind = env.SHOP_KEYS ?? (redisUrl ? 'redis' : 'files');
  let redis: Redis | undefined;
  const sharedRedis = () => {
    if (!redisUrl)
      throw new Error(`SHOP_CACHE/SHOP_KEYS=redis needs REDIS_URL (e.g. redis://127.0.0.1:6379).`);
    redis ??= new Redis(redisUrl, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
    return redis;
  };
  let cache: DistributedCache;
  if (cacheKind === 'redis') cache = new RedisCache({ redis: sharedRedis(), instanceName: 'shop:' });
  else if (cacheKind === 'memory') cache = new MemoryDistributedCache();
  else throw new Error(`SHOP_CACHE must be redis or memory; got '${cacheKind}'.`);
  let repository: XmlRepository;
  if (keysKind === 'redis')
    repository = new RedisXmlRepository({ redis: sharedRedis(), key: 'shop:DataProtection-Keys' });
  else if (keysKind === 'files')
    repository = new FileSystemXmlRepository({
      directory: env.SHOP_KEY_DIR ?? join('.sharedstate-demo', 'keys'),
    });
  else if (keysKind === 'ephemeral') repository = new EphemeralXmlRepository();
  else throw new Error(`SHOP_KEYS must be redis, files or ephemeral; got '${keysKind}'.`);
  return {
    cache,
    dataProtection: createDataProtection({
      applicationName: 'sharedstate-shop',
      repository,
      // The demo checks often, so that a revocation from its page shows within seconds.
      ...(env.SHOP_KEY_RING_CHECK ? { keyRingChangeCheckInterval: env.SHOP_KEY_RING_CHECK } : {}),
    }),
    description: `sessions in ${cacheKind === 'redis' ? `Redis (${redisUrl})` : 'this process’s memory'}, keys in ${repository.description ?? keysKind}`,
    async close() {
      if (cache instanceof MemoryDistributedCache) cache.dispose();
      await redis?.quit().catch(() => redis?.disconnect());
    },
  };
}
