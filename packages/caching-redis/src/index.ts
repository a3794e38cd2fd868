export type { Logger } from '@sharedstate/shared-helpers';
export type { IoRedisConnectionOptions } from './ioredis-connection-options.ts';
export { RedisCache } from './redis-cache.ts';
export type { RedisCacheOptions } from './redis-cache-options.ts';
export { RedisInvalidationBus, type RedisInvalidationBusOptions } from './redis-invalidation-bus.ts';
