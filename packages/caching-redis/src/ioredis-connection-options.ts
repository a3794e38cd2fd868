import type { ConnectionOptions as TlsOptions } from 'node:tls';

/** A reconnection delay in milliseconds for the attempt given, or null (or nothing) to stop trying. */
// biome-ignore lint/suspicious/noConfusingVoidType: ioredis's own type returns void, which must fit here.
type RetryStrategy = (attempt: number) => number | void | null;

/**
 * ioredis's options (its `RedisOptions`, versions 5 and 6) for the client RedisCache creates from
 * `connection`, written out here so that the package's types do not need ioredis installed (an app on
 * node-redis alone never uses them). A `RedisOptions` value is accepted as it is; a misspelt option, or a
 * value of the wrong type, is a compile error. See ioredis's documentation for what each does.
 */
export interface IoRedisConnectionOptions {
  host?: string | undefined;
  port?: number | undefined;
  path?: string | undefined;
  family?: number | undefined;
  username?: string | undefined;
  password?: string | undefined;
  db?: number | undefined;
  name?: string | undefined;
  role?: 'master' | 'slave' | undefined;
  tls?: TlsOptions | undefined;
  sentinels?:
    | { host?: string | undefined; port?: number | undefined; family?: number | undefined }[]
    | undefined;
  sentinelUsername?: string | undefined;
  sentinelPassword?: string | undefined;
  sentinelTLS?: TlsOptions | undefined;
  enableTLSForSentinelMode?: boolean | undefined;
  sentinelRetryStrategy?: RetryStrategy | undefined;
  sentinelReconnectStrategy?: RetryStrategy | undefined;
  sentinelCommandTimeout?: number | undefined;
  sentinelMaxConnections?: number | undefined;
  updateSentinels?: boolean | undefined;
  failoverDetector?: boolean | undefined;
  preferredSlaves?: unknown;
  natMap?: unknown;
  Connector?: unknown;
  connectTimeout?: number | undefined;
  disconnectTimeout?: number | undefined;
  commandTimeout?: number | undefined;
  blockingTimeout?: number | undefined;
  blockingTimeoutGrace?: number | undefined;
  socketTimeout?: number | undefined;
  keepAlive?: number | undefined;
  noDelay?: boolean | undefined;
  connectionName?: string | undefined;
  disableClientInfo?: boolean | undefined;
  clientInfoTag?: string | undefined;
  retryStrategy?: RetryStrategy | null | undefined;
  reconnectOnError?: ((error: Error) => boolean | 1 | 2) | null | undefined;
  maxRetriesPerRequest?: number | null | undefined;
  maxLoadingRetryTime?: number | undefined;
  autoResubscribe?: boolean | undefined;
  autoResendUnfulfilledCommands?: boolean | undefined;
  readOnly?: boolean | undefined;
  stringNumbers?: boolean | undefined;
  monitor?: boolean | undefined;
  enableAutoPipelining?: boolean | undefined;
  autoPipeliningIgnoredCommands?: string[] | undefined;
  offlineQueue?: boolean | undefined;
  commandQueue?: boolean | undefined;
  enableOfflineQueue?: boolean | undefined;
  enableReadyCheck?: boolean | undefined;
  lazyConnect?: boolean | undefined;
  scripts?:
    | Record<string, { lua: string; numberOfKeys?: number | undefined; readOnly?: boolean | undefined }>
    | undefined;
  keyPrefix?: string | undefined;
  showFriendlyErrorStack?: boolean | undefined;
  /** ioredis 6: the RESP version, 2 or 3. */
  protocol?: number | undefined;
  /** ioredis 6: how RESP3 replies are mapped. */
  replyMapping?: string | undefined;
  /** ioredis 6. */
  himportFieldsets?: readonly unknown[] | undefined;
}
