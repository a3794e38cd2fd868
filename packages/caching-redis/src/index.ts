export type { Logger } from '@sharedstate/shared-helpers';
export type { IoRedisConnectionOptions } from './ioredis-connection-options.ts';
export { RedisCache } from './redis-cache.ts';
export type { RedisCacheOptions } from './redis-cache-options.ts';
