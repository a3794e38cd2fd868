import type { Clock, Duration, Logger } from '@sharedstate/shared-helpers';
import type { Pool } from 'pg';

export interface PostgresCacheOptions {
  /** The app's node-postgres Pool; the cache never ends it. */
  pool: Pool;
  /** Schema of the cache table. Default 'public'. Folded to lower case, as PostgreSQL reads unquoted names. */
  schemaName?: string;
  /**
   * The cache table. Default 'distributed_cache'. Folded to lower case: `DistributedCache` is the table
   * Microsoft.Extensions.Caching.Postgres uses for the TableName `DistributedCache`.
   */
  tableName?: string;
  /** Used when an entry gives no expiration. Default '20m', as ASP.NET Core. */
  defaultSlidingExpiration?: Duration;
  /**
   * How often this instance deletes expired rows, in batches, on a timer: default '30m', at least '1m';
   * false turns it off (one instance, a pg_cron job or a migration tool's job sweeps instead).
   */
  expiredItemsDeletionInterval?: Duration | false;
  /** Rows deleted per statement by the sweep. Default 1000. */
  deleteBatchSize?: number;
  /**
   * Create the schema, table and index on first use if missing (development; production creates them with
   * `sharedstate-pg-cache create` or the DDL it prints). Default false.
   */
  createIfNotExists?: boolean;
  /**
   * With createIfNotExists: make the table UNLOGGED (faster writes; PostgreSQL empties it after a crash, so
   * every session is lost). Default false.
   */
  unlogged?: boolean;
  /**
   * Reads within this fraction of an entry's sliding window after its last renewal do not renew it again
   * (no row update). Default 0.01: a 20-minute session is rewritten at most every 12 seconds and may expire
   * up to that much early. 0 renews on every read, as ASP.NET Core does. At most 0.5.
   */
  renewalSkipFraction?: number;
  /** Longest an operation may take, waiting for a connection included, before CacheUnavailableError. Default '5s'. */
  operationTimeout?: Duration;
  /**
   * Errors of the background sweep and of idle pool connections go here. Default: the console's warn and
   * error; `false` for none.
   */
  logger?: Logger | false;
  /** The clock expirations are computed with (ASP.NET Core's packages use the client's clock too). */
  clock?: Clock;
}

/** Every option name, kept complete and exact by the compiler. */
export const POSTGRES_CACHE_OPTION_NAMES: Readonly<Record<keyof PostgresCacheOptions, true>> = {
  pool: true,
  schemaName: true,
  tableName: true,
  defaultSlidingExpiration: true,
  expiredItemsDeletionInterval: true,
  deleteBatchSize: true,
  createIfNotExists: true,
  unlogged: true,
  renewalSkipFraction: true,
  operationTimeout: true,
  logger: true,
  clock: true,
};

/** Microsoft.Extensions.Caching.Postgres's options are PascalCase (appsettings.json keeps them so). */
export const POSTGRES_CACHE_OPTION_HINTS: Readonly<Record<string, string>> = {
  ConnectionString: 'pass a node-postgres `pool` (new Pool({ connectionString }))',
  connectionString: 'pass a node-postgres `pool` (new Pool({ connectionString }))',
  client: 'pass a node-postgres `pool`: a single Client cannot serve concurrent requests',
  SchemaName: 'use `schemaName`',
  TableName: 'use `tableName`',
  CreateIfNotExists: 'use `createIfNotExists`',
  UseWAL: 'tables are logged by default; `unlogged: true` is the opposite of UseWAL',
  DefaultSlidingExpiration: 'use `defaultSlidingExpiration`',
  ExpiredItemsDeletionInterval: 'use `expiredItemsDeletionInterval`',
};
