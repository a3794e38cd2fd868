export type { Logger } from '@sharedstate/shared-helpers';
export { PostgresCache, postgresExpiration } from './postgres-cache.ts';
export { type CliOutput, runPostgresCacheCli } from './postgres-cache-cli.ts';
export type { PostgresCacheOptions } from './postgres-cache-options.ts';
export { PostgresInvalidationBus, type PostgresInvalidationBusOptions } from './postgres-invalidation-bus.ts';
export {
  createTableScript,
  createTableStatements,
  type PostgresTable,
  postgresTable,
} from './postgres-table.ts';
