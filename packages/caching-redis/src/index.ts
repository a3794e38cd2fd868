export { RedisCache } from './redis-cache.ts';
export type { RedisCacheLogger, RedisCacheOptions } from './redis-cache-options.ts';
