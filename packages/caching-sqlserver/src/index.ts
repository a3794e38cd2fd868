export type { Logger } from '@sharedstate/shared-helpers';
export { type CliOutput, runSqlCacheCli } from './sql-cache-cli.ts';
export { SqlServerCache, sqlExpiration } from './sql-server-cache.ts';
export type { SqlServerCacheOptions } from './sql-server-cache-options.ts';
export {
  createTableScript,
  createTableStatements,
  quoteIdentifier,
  type SqlTable,
  sqlTable,
  tableExistsQuery,
} from './sql-table.ts';
export {
  deleteExpiredBatchCommand,
  getCommand,
  refreshCommand,
  removeCommand,
  type SqlCommand,
  type SqlParameter,
  type SqlParameterType,
  setCommand,
  setIfUnchangedCommand,
} from './sqlserver-statements.ts';
