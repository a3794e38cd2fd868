import { createHash } from 'node:crypto';
import {
  assertKnownOptions,
  assertValidKey,
  assertValidValue,
  CacheArgumentError,
  type CacheEntryOptions,
  CacheError,
  type CacheOperationOptions,
  type CacheOperationTarget,
  CacheUnavailableError,
  type Clock,
  type ConditionalSet,
  cacheKeyTag,
  cacheOperationChannel,
  type DistributedCache,
  type ResolvedEntryOptions,
  resolveEntryOptions,
  traceCacheOperation,
} from '@sharedstate/caching-abstractions';
import { type Logger, parseDuration, resolveLogger, systemClock } from '@sharedstate/shared-helpers';
import mssql, { type ConnectionPool } from 'mssql';
import {
  SQL_SERVER_CACHE_OPTION_HINTS,
  SQL_SERVER_CACHE_OPTION_NAMES,
  type SqlServerCacheOptions,
} from './sql-server-cache-options.ts';
import { type SqlTable, sqlTable } from './sql-table.ts';
import {
  deleteExpiredBatchCommand,
  getCommand,
  refreshCommand,
  removeCommand,
  type SqlCommand,
  type SqlParameterType,
  setCommand,
  setIfUnchangedCommand,
} from './sqlserver-statements.ts';

const MIN_SWEEP_INTERVAL_MS = 5 * 60_000;
/** DATEADD takes an int: a longer sliding window could be stored but never renewed. */
const MAX_SLIDING_SECONDS = 2 ** 31 - 1;

/** SQL Server's error number for a duplicate primary key. */
const DUPLICATE_KEY = 2627;

/**
 * The row's expiration columns for an entry, as ASP.NET Core computes them: no expiration at all means the
 * default sliding one; SQL Server keeps whole seconds, so a sliding window under one second becomes one.
 */
export function sqlExpiration(
  resolved: ResolvedEntryOptions,
  defaultSlidingMs: number,
): { slidingSeconds: number | null; absolute: Date | null } {
  const slidingMs =
    resolved.slidingMs ?? (resolved.absoluteExpiresAt === undefined ? defaultSlidingMs : undefined);
  if (slidingMs !== undefined && slidingMs / 1000 > MAX_SLIDING_SECONDS) {
    throw new CacheArgumentError(
      `slidingExpiration of ${Math.round(slidingMs / 1000)} s is more than SQL Server's DATEADD takes (${MAX_SLIDING_SECONDS} s, about 68 years); use a shorter window or an absoluteExpiration.`,
    );
  }
  return {
    slidingSeconds: slidingMs === undefined ? null : Math.max(1, Math.round(slidingMs / 1000)),
    absolute: resolved.absoluteExpiresAt === undefined ? null : new Date(resolved.absoluteExpiresAt),
  };
}

function sqlType(type: SqlParameterType) {
  switch (type) {
    case 'NVarChar(449)':
      return mssql.NVarChar(449);
    case 'VarBinary(MAX)':
      return mssql.VarBinary(mssql.MAX);
    case 'BigInt':
      return mssql.BigInt;
    case 'DateTimeOffset':
      return mssql.DateTimeOffset;
    case 'Int':
      return mssql.Int;
  }
}

/**
 * A DistributedCache on SQL Server through mssql, using ASP.NET Core's table, statements and parameter
 * types, so an ASP.NET Core app configured with AddDistributedSqlServerCache on the same table shares entries.
 */
export class SqlServerCache implements DistributedCache, ConditionalSet {
  readonly #pool: ConnectionPool;
  readonly #ownsPool: boolean;
  #connecting: Promise<ConnectionPool> | undefined;
  readonly #table: SqlTable;
  readonly #defaultSlidingMs: number;
  readonly #sweepIntervalMs: number | undefined;
  readonly #batchSize: number;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  #lastSweep: number;
  #sweeping: Promise<void> | undefined;
  /** Who this cache is in its operations' diagnostics events. */
  readonly #target: CacheOperationTarget;

  constructor(options: SqlServerCacheOptions) {
    if (options === null || typeof options !== 'object')
      throw new CacheArgumentError('SqlServerCache needs an options object.');
    assertKnownOptions(
      'SqlServerCache',
      options,
      SQL_SERVER_CACHE_OPTION_NAMES,
      SQL_SERVER_CACHE_OPTION_HINTS,
    );
    if ((options.pool === undefined) === (options.connection === undefined)) {
      throw new CacheArgumentError(
        'SqlServerCache needs exactly one of `pool` (an mssql ConnectionPool) or `connection` (a config or connection string).',
      );
    }
    this.#table = sqlTable(options.schemaName, options.tableName);
    this.#defaultSlidingMs = parseDuration(
      options.defaultSlidingExpiration ?? '20m',
      'defaultSlidingExpiration',
      CacheArgumentError,
    );
    const interval = options.expiredItemsDeletionInterval ?? '30m';
    this.#sweepIntervalMs =
      interval === false
        ? undefined
        : parseDuration(interval, 'expiredItemsDeletionInterval', CacheArgumentError);
    if (this.#sweepIntervalMs !== undefined && this.#sweepIntervalMs < MIN_SWEEP_INTERVAL_MS) {
      throw new CacheArgumentError(
        "expiredItemsDeletionInterval must be at least '5m' (or false to turn the sweep off).",
      );
    }
    this.#batchSize = options.deleteBatchSize ?? 1000;
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1) {
      throw new CacheArgumentError('deleteBatchSize must be a whole number of at least 1.');
    }
    this.#clock = options.clock ?? systemClock;
    this.#logger = resolveLogger(options.logger, CacheArgumentError);
    this.#lastSweep = this.#clock.now();
    if (options.pool) {
      this.#pool = options.pool;
      this.#ownsPool = false;
    } else {
      this.#pool = new mssql.ConnectionPool(options.connection as mssql.config);
      this.#ownsPool = true;
    }
    const { server, port } = (this.#pool as { config?: { server?: unknown; port?: unknown } }).config ?? {};
    this.#target = {
      provider: 'SqlServerCache',
      system: 'microsoft.sql_server',
      ...(typeof server === 'string' ? { serverAddress: server } : {}),
      ...(typeof port === 'number' ? { serverPort: port } : {}),
    };
  }

  get(key: string, options?: CacheOperationOptions): Promise<Uint8Array | undefined> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(this.#target, 'get', key, () => this.#get(key, options))
      : this.#get(key, options);
  }

  async #get(key: string, options: CacheOperationOptions | undefined): Promise<Uint8Array | undefined> {
    options?.signal?.throwIfAborted();
    assertValidKey(key);
    const result = await this.#execute(
      'get',
      key,
      getCommand(this.#table, key, new Date(this.#clock.now())),
      options?.signal,
    );
    const row = result.recordset?.[0] as { Value?: Buffer } | undefined;
    return row?.Value === undefined ? undefined : new Uint8Array(row.Value);
  }

  set(
    key: string,
    value: Uint8Array,
    entry?: CacheEntryOptions,
    options?: CacheOperationOptions,
  ): Promise<void> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(this.#target, 'set', key, () => this.#set(key, value, entry, options))
      : this.#set(key, value, entry, options);
  }

  async #set(
    key: string,
    value: Uint8Array,
    entry: CacheEntryOptions | undefined,
    options: CacheOperationOptions | undefined,
  ): Promise<void> {
    options?.signal?.throwIfAborted();
    assertValidKey(key);
    assertValidValue(value);
    const now = this.#clock.now();
    const { slidingSeconds, absolute } = sqlExpiration(
      resolveEntryOptions(entry, now),
      this.#defaultSlidingMs,
    );
    const command = setCommand(this.#table, key, value, slidingSeconds, absolute, new Date(now));
    try {
      await this.#execute('set', key, command, options?.signal);
    } catch (error) {
      // Two writers inserted the same new key at once; the other's value stands, as in ASP.NET Core.
      if ((error as { cause?: { number?: number } }).cause?.number === DUPLICATE_KEY) return;
      throw error;
    }
  }

  /** ConditionalSet: see setIfUnchangedCommand. Only the SHA-256 of the bytes read travels back. */
  setIfUnchanged(
    key: string,
    value: Uint8Array,
    expected: Uint8Array | undefined,
    entry?: CacheEntryOptions,
    options?: CacheOperationOptions,
  ): Promise<boolean> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(this.#target, 'setIfUnchanged', key, () =>
          this.#setIfUnchanged(key, value, expected, entry, options),
        )
      : this.#setIfUnchanged(key, value, expected, entry, options);
  }

  async #setIfUnchanged(
    key: string,
    value: Uint8Array,
    expected: Uint8Array | undefined,
    entry: CacheEntryOptions | undefined,
    options: CacheOperationOptions | undefined,
  ): Promise<boolean> {
    options?.signal?.throwIfAborted();
    assertValidKey(key);
    assertValidValue(value);
    if (expected !== undefined) assertValidValue(expected);
    const now = this.#clock.now();
    const { slidingSeconds, absolute } = sqlExpiration(
      resolveEntryOptions(entry, now),
      this.#defaultSlidingMs,
    );
    const hash = expected === undefined ? null : createHash('sha256').update(expected).digest();
    const command = setIfUnchangedCommand(
      this.#table,
      key,
      value,
      hash,
      slidingSeconds,
      absolute,
      new Date(now),
    );
    try {
      const result = await this.#execute('set', key, command, options?.signal);
      return (result.recordset?.[0] as { Written?: number } | undefined)?.Written === 1;
    } catch (error) {
      // Another writer inserted the new key first: the entry changed.
      if ((error as { cause?: { number?: number } }).cause?.number === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  refresh(key: string, options?: CacheOperationOptions): Promise<void> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(this.#target, 'refresh', key, () => this.#refresh(key, options))
      : this.#refresh(key, options);
  }

  async #refresh(key: string, options: CacheOperationOptions | undefined): Promise<void> {
    options?.signal?.throwIfAborted();
    assertValidKey(key);
    await this.#execute(
      'refresh',
      key,
      refreshCommand(this.#table, key, new Date(this.#clock.now())),
      options?.signal,
    );
  }

  remove(key: string, options?: CacheOperationOptions): Promise<void> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(this.#target, 'remove', key, () => this.#remove(key, options))
      : this.#remove(key, options);
  }

  async #remove(key: string, options: CacheOperationOptions | undefined): Promise<void> {
    options?.signal?.throwIfAborted();
    assertValidKey(key);
    await this.#execute('remove', key, removeCommand(this.#table, key), options?.signal);
  }

  /** Deletes expired rows now, in batches; resolves with how many were deleted. */
  deleteExpired(): Promise<number> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(this.#target, 'sweep', '', () => this.#deleteExpired())
      : this.#deleteExpired();
  }

  async #deleteExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const command = deleteExpiredBatchCommand(this.#table, new Date(this.#clock.now()), this.#batchSize);
      const result = await this.#execute('delete expired', '', command, undefined);
      const deleted = result.rowsAffected.reduce((a, b) => a + b, 0);
      total += deleted;
      if (deleted < this.#batchSize) return total;
    }
  }

  /** Waits for a running sweep and closes the pool if the cache created it. */
  async close(): Promise<void> {
    await this.#sweeping?.catch(() => {});
    if (this.#ownsPool) await this.#pool.close();
  }

  #connected(): Promise<ConnectionPool> {
    if (this.#pool.connected) return Promise.resolve(this.#pool);
    this.#connecting ??= this.#pool.connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #execute(
    operation: string,
    key: string,
    command: SqlCommand,
    signal: AbortSignal | undefined,
  ): Promise<mssql.IResult<unknown>> {
    let request: mssql.Request | undefined;
    const onAbort = () => request?.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const pool = await this.#connected();
      signal?.throwIfAborted();
      request = pool.request();
      for (const { name, type, value } of command.parameters) {
        // tedious binds binary parameters from Buffers, not plain Uint8Arrays.
        const bound =
          value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
        request.input(name, sqlType(type), bound);
      }
      return await request.query(command.text);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw translate(error, operation, key, this.#table);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (operation !== 'delete expired') this.#maybeSweep();
    }
  }

  /** Starts the expired-row sweep in the background when it is due; at most one at a time per process. */
  #maybeSweep(): void {
    if (this.#sweepIntervalMs === undefined || this.#sweeping) return;
    const now = this.#clock.now();
    if (now - this.#lastSweep < this.#sweepIntervalMs) return;
    this.#lastSweep = now;
    this.#sweeping = this.deleteExpired()
      .then(
        () => {},
        (error: unknown) =>
          this.#logger?.warn(
            `Deleting expired cache rows from ${this.#table.qualified} failed: ${(error as Error).message}`,
          ),
      )
      .finally(() => {
        this.#sweeping = undefined;
      });
  }
}

function translate(error: unknown, operation: string, key: string, table: SqlTable): Error {
  const code = (error as { code?: string }).code;
  const number = (error as { number?: number }).number;
  if (
    error instanceof mssql.ConnectionError ||
    code === 'ETIMEOUT' ||
    code === 'ESOCKET' ||
    code === 'ECONNCLOSED'
  ) {
    return new CacheUnavailableError(
      `SQL Server is unavailable for ${operation} of ${cacheKeyTag(key)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (number === 208) {
    return new CacheError(
      `The cache table ${table.qualified} does not exist: create it with \`sharedstate-sql-cache create --connection … --schema ${table.schema} --table ${table.table}\`.`,
      { cause: error },
    );
  }
  return new CacheError(
    `SQL Server refused ${operation} of ${cacheKeyTag(key)}: ${(error as Error).message}`,
    {
      cause: error,
    },
  );
}
