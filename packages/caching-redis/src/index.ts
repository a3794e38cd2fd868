export type { Logger } from '@sharedstate/shared-helpers';
export { RedisCache } from './redis-cache.ts';
export type { RedisCacheOptions } from './redis-cache-options.ts';
