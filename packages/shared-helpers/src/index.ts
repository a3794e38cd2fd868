export { boundedCall } from './bounded-call.ts';
export { type Clock, systemClock } from './clock.ts';
export { argumentError, type CliOutput, readCommandLine } from './command-line.ts';
export {
  durationMsFromTicks,
  durationMsToTicks,
  epochMsFromTicks,
  epochMsToTicks,
  ticksFromDurationMs,
  ticksFromEpochMs,
  ticksToDurationMs,
  ticksToEpochMs,
} from './dotnet-ticks.ts';
export { type Duration, parseDuration } from './duration.ts';
export { bytesToGuid, guidToBytes, isGuid } from './guid-bytes.ts';
export type { IoRedisClient } from './ioredis-client.ts';
export { LogThrottle } from './log-throttle.ts';
export { consoleLogger, fastifyLoggerOf, type Logger, resolveLogger, silentLogger } from './logger.ts';
export {
  isNodeRedisClient,
  isNodeRedisCluster,
  isReplyError,
  type NodeRedisClient,
  type NodeRedisCluster,
  rediscoverNodeRedisCluster,
  runNodeRedisTransaction,
  sendNodeRedisCommand,
} from './node-redis-client.ts';
export type { OptionErrorClass } from './option-error.ts';
export { type PostgresPoolLike, runLockedDdl } from './postgres-ddl.ts';
export { listenToPostgresChannel, type PostgresListenerHandlers } from './postgres-listener.ts';
export { postgresUrlProblem } from './postgres-url.ts';
export { type RedisSubscriptionHandlers, subscribeToRedisChannel } from './redis-subscription.ts';
export {
  answerAsServiceUnavailable,
  isServiceUnavailable,
  type ServiceUnavailableAnswer,
} from './service-unavailable.ts';
export { SharedStateError } from './sharedstate-error.ts';
export { type LruEntry, SizeBoundedLru } from './size-bounded-lru.ts';
export { type TracedContext, traceOperation } from './traced-operation.ts';
export { refuseUnknownOptions, unknownOptionMessage } from './unknown-options.ts';
