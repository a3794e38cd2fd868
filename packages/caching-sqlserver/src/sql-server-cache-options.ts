import type { Clock, Duration, Logger } from '@sharedstate/shared-helpers';
import type { ConnectionPool, config as SqlConfig } from 'mssql';

export interface SqlServerCacheOptions {
  /** An mssql ConnectionPool (not closed by the cache). Give this, or `connection`. */
  pool?: ConnectionPool;
  /** An mssql config object or connection string; the cache then creates and owns the pool. */
  connection?: SqlConfig | string;
  /** Schema of the cache table, e.g. 'dbo'. */
  schemaName: string;
  /** The cache table, created by `sharedstate-sql-cache create` (or `dotnet sql-cache create`). */
  tableName: string;
  /** Used when an entry gives no expiration. Default '20m', as ASP.NET Core. */
  defaultSlidingExpiration?: Duration;
  /**
   * How often expired rows are deleted: default '30m', at least '5m'; false turns the sweep off (e.g. when
   * a database job does it). At most one sweep runs at a time per process.
   */
  expiredItemsDeletionInterval?: Duration | false;
  /** Rows deleted per statement by the sweep. Default 1000. */
  deleteBatchSize?: number;
  /**
   * Errors of the background sweep go here (nothing else is logged). Default: the console's warn and error;
   * `false` for none.
   */
  logger?: Logger | false;
  clock?: Clock;
}

/** Every option name, kept complete and exact by the compiler. */
export const SQL_SERVER_CACHE_OPTION_NAMES: Readonly<Record<keyof SqlServerCacheOptions, true>> = {
  pool: true,
  connection: true,
  schemaName: true,
  tableName: true,
  defaultSlidingExpiration: true,
  expiredItemsDeletionInterval: true,
  deleteBatchSize: true,
  logger: true,
  clock: true,
};

/**
 * ASP.NET Core's SqlServerCacheOptions are PascalCase (and appsettings.json keeps them so); a config carried
 * over as it is would otherwise be ignored.
 */
export const SQL_SERVER_CACHE_OPTION_HINTS: Readonly<Record<string, string>> = {
  ConnectionString: 'use `connection` (an mssql config or connection string)',
  SchemaName: 'use `schemaName`',
  TableName: 'use `tableName`',
  DefaultSlidingExpiration: 'use `defaultSlidingExpiration`',
  ExpiredItemsDeletionInterval: 'use `expiredItemsDeletionInterval`',
};
