export { type AzuriteBlob, azuriteAvailability, startAzurite } from './azurite.ts';

export { type CapturedOutput, capturedOutput } from './captured-output.ts';
export {
  type ChannelRecording,
  recordChannel,
  recordTracingChannel,
  type TracedMessage,
} from './channel-recorder.ts';
export { describeWithService, type TestService } from './describe-with-service.ts';
export { findExecutable } from './executable.ts';
export { freePort, freePortPair } from './free-port.ts';
export { CookieJarClient, httpApps, type ListeningApp } from './http-apps.ts';
export { ManagedProcess } from './managed-process.ts';
export { LocalPostgresServer, postgresAvailability, startPostgres } from './postgres-server.ts';
export { type RecordingLogger, recordingLogger } from './recording-logger.ts';
export { redisCli } from './redis-cli.ts';
export {
  type PackageRedisClient,
  type RedisClientKind,
  redisClientKinds,
  type StandaloneOptions,
  type TestRedisClient,
} from './redis-clients.ts';
export {
  type RedisCluster,
  redisClusterAvailability,
  type StartRedisClusterOptions,
  startRedisCluster,
} from './redis-cluster.ts';
export { type RedisSentinelSetup, redisSentinelAvailability, startRedisSentinel } from './redis-sentinel.ts';
export {
  LocalRedisServer,
  type RedisEndpoint,
  type RedisServer,
  redisAvailability,
  type StartRedisOptions,
  startRedis,
} from './redis-server.ts';
export { describeSessionsOnRedis, type RedisSessionApp } from './redis-session-suite.ts';
export { type ReplyLosingProxy, replyLosingProxy } from './reply-losing-proxy.ts';
export { type CertificateFiles, selfSignedCertificate } from './self-signed-certificate.ts';
export { isCI, ServiceUnavailableError } from './service-unavailable.ts';
export { services } from './services.ts';
export {
  cookieOf,
  type FailedRequestOutcome,
  failedRequestOutcome,
  SESSION_ID_FORMAT,
  setCookieForwardedAs,
} from './session-adapter-checks.ts';
export { socketWritesDuring } from './socket-writes.ts';
export { type SqlServerInstance, sqlServer, sqlServerAvailability } from './sql-server.ts';
export { waitUntil } from './wait-until.ts';
