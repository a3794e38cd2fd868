import { type AzuriteBlob, azuriteAvailability, startAzurite } from './azurite.ts';
import type { TestService } from './describe-with-service.ts';
import { LocalPostgresServer, postgresAvailability } from './postgres-server.ts';
import {
  type RedisCluster,
  redisClusterAvailability,
  type StartRedisClusterOptions,
  startRedisCluster,
} from './redis-cluster.ts';
import { type RedisSentinelSetup, redisSentinelAvailability, startRedisSentinel } from './redis-sentinel.ts';
import { type RedisServer, redisAvailability, type StartRedisOptions, startRedis } from './redis-server.ts';
import { type SqlServerInstance, sqlServer, sqlServerAvailability } from './sql-server.ts';

/** The services as describeWithService understands them. */
export const services = {
  redis: (options: StartRedisOptions = {}): TestService<RedisServer> => ({
    name: 'Redis',
    unavailable: () => redisAvailability(options.spawn === undefined ? {} : { spawn: options.spawn }),
    requiredInCI: true,
    start: () => startRedis(options),
    stop: (server) => server.stop(),
  }),
  redisCluster: (options: StartRedisClusterOptions = {}): TestService<RedisCluster> => ({
    name: 'Redis Cluster',
    unavailable: redisClusterAvailability,
    requiredInCI: true,
    start: () => startRedisCluster(options),
    stop: (cluster) => cluster.stop(),
  }),
  redisSentinel: (): TestService<RedisSentinelSetup> => ({
    name: 'Redis Sentinel',
    unavailable: redisSentinelAvailability,
    requiredInCI: true,
    start: () => startRedisSentinel(),
    stop: (setup) => setup.stop(),
  }),
  azurite: (options: { spawn?: boolean } = {}): TestService<AzuriteBlob> => ({
    name: 'Azurite',
    unavailable: () => azuriteAvailability(options),
    requiredInCI: true,
    start: () => startAzurite(options),
    stop: (azurite) => azurite.stop(),
  }),
  postgres: (): TestService<LocalPostgresServer> => ({
    name: 'PostgreSQL',
    unavailable: postgresAvailability,
    requiredInCI: true,
    start: () => LocalPostgresServer.start(),
    stop: (server) => server.stop(),
  }),
  sqlServer: (): TestService<SqlServerInstance> => ({
    name: 'SQL Server',
    unavailable: sqlServerAvailability,
    requiredInCI: false,
    start: sqlServer,
    stop: (instance) => instance.stop(),
  }),
};
