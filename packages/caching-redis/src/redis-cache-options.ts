import type {
  Clock,
  Duration,
  IoRedisClient,
  Logger,
  NodeRedisClient,
  NodeRedisCluster,
} from '@sharedstate/shared-helpers';
import type { IoRedisConnectionOptions } from './ioredis-connection-options.ts';

export interface RedisCacheOptions {
  /**
   * The app's client: ioredis (`new Redis(...)`, standalone or Sentinel, or `new Cluster(...)`) or node-redis
   * v5 (`createClient()` or `createCluster()`, connected by the app). The cache does not close a client it
   * was given. Give either this or `connection`.
   */
  redis?: IoRedisClient | NodeRedisClient | NodeRedisCluster;
  /**
   * A redis:// URL or ioredis options; the cache creates the client, with bounded retries (options given
   * here override them), and owns it.
   */
  connection?: string | IoRedisConnectionOptions;
  /** Prefix of every Redis key (ASP.NET Core's InstanceName), e.g. 'shop:'. Default none. */
  instanceName?: string;
  /**
   * Use server-side scripts (EVALSHA) so a sliding get is one round trip. Default true. Set false for
   * servers or ACLs that forbid EVAL/EVALSHA: then get and refresh of sliding entries take two round trips
   * (ASP.NET Core 8's command sequence).
   */
  useScripts?: boolean;
  /**
   * After this client renews a sliding entry (a get, refresh or set), reads of it within this fraction of
   * its sliding window do not renew it again: a plain `HGET`, and a refresh sends nothing. Renewing is a
   * write to Redis, and a browser sends requests in bursts; with the default 0.01 a 20-minute session is
   * renewed at most once every 12 seconds per app instance, and may expire up to that much earlier than an
   * exact sliding window would. 0 renews on every read, as ASP.NET Core does. At most 0.5.
   */
  renewalSkipFraction?: number;
  /** Longest an operation may take before it fails with CacheUnavailableError. Default '5s'. */
  operationTimeout?: Duration;
  /**
   * Warnings about connection trouble of a client the cache owns. Default: the console's warn and error;
   * `false` for none.
   */
  logger?: Logger | false;
  /**
   * Clock used for absolute expirations (the same clock ASP.NET Core uses: the client's) and, when given,
   * to time renewalSkipFraction (by default timed on the monotonic clock).
   */
  clock?: Clock;
}

/** Every option name, kept complete and exact by the compiler: any other name is refused. */
export const REDIS_CACHE_OPTION_NAMES: Readonly<Record<keyof RedisCacheOptions, true>> = {
  redis: true,
  connection: true,
  instanceName: true,
  useScripts: true,
  renewalSkipFraction: true,
  operationTimeout: true,
  logger: true,
  clock: true,
};

const CONNECTION_SETTING = 'put connection settings in `connection` (a redis:// URL or ioredis options)';
const ENTRY_LIFETIME =
  "remove it: each entry's lifetime comes from the options it is set with (a session's `idleTimeout`, such as '1d'; a number there is milliseconds, not connect-redis's seconds)";

/** connect-redis's option names (and ioredis settings given at the top level), and what to use instead. */
export const OPTIONS_FROM_OTHER_LIBRARIES: Readonly<Record<string, string>> = {
  client: 'use `redis`: the ioredis client (new Redis(...) or new Cluster(...))',
  prefix: "use `instanceName` (ASP.NET Core's name for the key prefix)",
  ttl: ENTRY_LIFETIME,
  disableTTL: ENTRY_LIFETIME,
  disableTouch: 'use `renewalSkipFraction` to renew sliding entries less often',
  scanCount: 'remove it: the cache never scans keys',
  serializer: "remove it: values are bytes, stored in ASP.NET Core's layout",
  url: CONNECTION_SETTING,
  host: CONNECTION_SETTING,
  port: CONNECTION_SETTING,
  username: CONNECTION_SETTING,
  password: CONNECTION_SETTING,
  db: CONNECTION_SETTING,
  tls: CONNECTION_SETTING,
};
