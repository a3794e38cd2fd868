import type { Clock, Duration } from '@sharedstate/caching-abstractions';
import type { Cluster, Redis, RedisOptions } from 'ioredis';

/** The logging shape sharedstate uses (pino-compatible). */
export interface RedisCacheLogger {
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

export interface RedisCacheOptions {
  /**
   * An ioredis client: `new Redis(...)` (standalone or Sentinel) or `new Cluster(...)`. The cache does not
   * close a client it was given. Give either this or `connection`.
   */
  redis?: Redis | Cluster;
  /** A redis:// URL or ioredis options; the cache creates the client, with bounded retries, and owns it. */
  connection?: string | RedisOptions;
  /** Prefix of every Redis key (ASP.NET Core's InstanceName), e.g. 'shop:'. Default none. */
  instanceName?: string;
  /**
   * Use server-side scripts (EVALSHA) so a sliding get is one round trip. Default true. Set false for
   * servers or ACLs that forbid EVAL/EVALSHA: then get and refresh of sliding entries take two round trips
   * (ASP.NET Core 8's command sequence).
   */
  useScripts?: boolean;
  /** Longest an operation may take before it fails with CacheUnavailableError. Default '5s'. */
  operationTimeout?: Duration;
  /** Warnings about connection trouble of a client the cache owns. Silent by default. */
  logger?: RedisCacheLogger;
  /** Clock used for absolute expirations; the same clock ASP.NET Core uses (the client's). */
  clock?: Clock;
}
