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
  type ConditionalSet,
  cacheKeyTag,
  cacheOperationChannel,
  type DistributedCache,
  OperationDeadlines,
  type ResolvedEntryOptions,
  resolveEntryOptions,
  traceCacheOperation,
} from '@sharedstate/caching-abstractions';
import {
  type Clock,
  type Logger,
  parseDuration,
  resolveLogger,
  runLockedDdl,
  systemClock,
} from '@sharedstate/shared-helpers';
import type { Pool, QueryResult } from 'pg';
import {
  POSTGRES_CACHE_OPTION_HINTS,
  POSTGRES_CACHE_OPTION_NAMES,
  type PostgresCacheOptions,
} from './postgres-cache-options.ts';
import { type CacheStatements, cacheStatements, type PostgresStatement } from './postgres-statements.ts';
import { createTableStatements, type PostgresTable, postgresTable } from './postgres-table.ts';

const MIN_SWEEP_INTERVAL_MS = 60_000;
/** SQLSTATE classes of a server that is going away or cannot take the work now: an outage, not a refusal. */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58']);
/** An advisory lock key of our own, so instances creating the table at once do not race each other. */
const DDL_LOCK = 0x5348_4152;

/**
 * The tables a sweep runs on now, per pool: caches of one process on the same table (several middlewares,
 * say) take turns instead of deleting side by side.
 */
const sweepsRunning = new WeakMap<Pool, Set<string>>();

/** A row's expiration columns for an entry, in ASP.NET Core's terms; the table keeps whole seconds of sliding. */
export function postgresExpiration(
  resolved: ResolvedEntryOptions,
  defaultSlidingMs: number,
  now: number,
): { expiresAt: Date; slidingSeconds: number | null; absolute: Date | null } {
  const absolute = resolved.absoluteExpiresAt;
  const slidingMs = resolved.slidingMs ?? (absolute === undefined ? defaultSlidingMs : undefined);
  const slidingSeconds = slidingMs === undefined ? null : Math.max(1, Math.round(slidingMs / 1000));
  const slidingEnd = slidingSeconds === null ? Number.POSITIVE_INFINITY : now + slidingSeconds * 1000;
  return {
    expiresAt: new Date(Math.min(absolute ?? Number.POSITIVE_INFINITY, slidingEnd)),
    slidingSeconds,
    absolute: absolute === undefined ? null : new Date(absolute),
  };
}

/**
 * A DistributedCache in PostgreSQL through node-postgres, in the table of Microsoft.Extensions.Caching.Postgres,
 * so an ASP.NET Core app using that package on the same table shares entries. One statement per operation:
 * a get renews a sliding entry and returns its value together.
 */
export class PostgresCache implements DistributedCache, ConditionalSet {
  readonly #pool: Pool;
  readonly #table: PostgresTable;
  readonly #statements: CacheStatements;
  readonly #defaultSlidingMs: number;
  readonly #batchSize: number;
  readonly #skipFraction: number;
  readonly #deadlines: OperationDeadlines;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #createIfNotExists: boolean;
  readonly #unlogged: boolean;
  readonly #sweepTimer: NodeJS.Timeout | undefined;
  /** Who this cache is in its operations' diagnostics events. */
  readonly #target: CacheOperationTarget;
  readonly #onPoolError = (error: Error) =>
    this.#logger?.warn(`PostgresCache: an idle connection of the pool failed: ${error.message}`);
  #created: Promise<void> | undefined;
  #sweeping: Promise<number> | undefined;
  #closed = false;

  constructor(options: PostgresCacheOptions) {
    if (options === null || typeof options !== 'object')
      throw new CacheArgumentError('PostgresCache needs an options object.');
    assertKnownOptions('PostgresCache', options, POSTGRES_CACHE_OPTION_NAMES, POSTGRES_CACHE_OPTION_HINTS);
    const { pool } = options;
    if (!pool || typeof pool.query !== 'function' || typeof pool.connect !== 'function') {
      throw new CacheArgumentError(
        'PostgresCache needs `pool`: a node-postgres Pool (new Pool({ connectionString })) the app keeps and ends.',
      );
    }
    this.#pool = pool;
    this.#target = { provider: 'PostgresCache', system: 'postgresql', ...postgresServerOf(pool) };
    this.#table = postgresTable(options.schemaName ?? 'public', options.tableName ?? 'distributed_cache');
    this.#statements = cacheStatements(this.#table);
    this.#defaultSlidingMs = parseDuration(
      options.defaultSlidingExpiration ?? '20m',
      'defaultSlidingExpiration',
      CacheArgumentError,
    );
    this.#batchSize = options.deleteBatchSize ?? 1000;
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1)
      throw new CacheArgumentError('deleteBatchSize must be a whole number of at least 1.');
    this.#skipFraction = options.renewalSkipFraction ?? 0.01;
    if (typeof this.#skipFraction !== 'number' || !(this.#skipFraction >= 0 && this.#skipFraction <= 0.5))
      throw new CacheArgumentError('renewalSkipFraction must be a number from 0 to 0.5.');
    this.#deadlines = new OperationDeadlines(
      parseDuration(options.operationTimeout ?? '5s', 'operationTimeout', CacheArgumentError),
    );
    this.#clock = options.clock ?? systemClock;
    this.#logger = resolveLogger(options.logger, CacheArgumentError);
    this.#createIfNotExists = options.createIfNotExists ?? false;
    this.#unlogged = options.unlogged ?? false;
    if (options.unlogged !== undefined && !this.#createIfNotExists) {
      throw new CacheArgumentError(
        '`unlogged` only applies when the cache creates its table (createIfNotExists: true); for a table made ' +
          'elsewhere, use `sharedstate-pg-cache create --unlogged` or CREATE UNLOGGED TABLE.',
      );
    }
    const interval = options.expiredItemsDeletionInterval ?? '30m';
    const sweepMs =
      interval === false
        ? undefined
        : parseDuration(interval, 'expiredItemsDeletionInterval', CacheArgumentError);
    if (sweepMs !== undefined && sweepMs < MIN_SWEEP_INTERVAL_MS) {
      throw new CacheArgumentError(
        "expiredItemsDeletionInterval must be at least '1m' (or false to turn the sweep off).",
      );
    }
    if (sweepMs !== undefined) {
      this.#sweepTimer = setInterval(() => this.#sweep(), sweepMs);
      this.#sweepTimer.unref();
    }
    // node-postgres emits an idle connection's failure (a server restart) on the pool; unheard, it would end
    // the process.
    pool.on('error', this.#onPoolError);
  }

  /** The table this cache uses, as PostgreSQL names it (`"schema"."table"`). */
  get table(): string {
    return this.#table.qualified;
  }

  get(key: string, options?: CacheOperationOptions): Promise<Uint8Array | undefined> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(this.#target, 'get', key, () => this.#get(key, options))
      : this.#get(key, options);
  }

  async #get(key: string, options: CacheOperationOptions | undefined): Promise<Uint8Array | undefined> {
    assertValidPostgresKey(key);
    const result = await this.#run('get', key, options?.signal, this.#statements.get, [
      key,
      new Date(this.#clock.now()),
      this.#skipFraction,
    ]);
    const value = (result.rows[0] as { value: Buffer } | undefined)?.value;
    return value === undefined ? undefined : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
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
    const columns = this.#writeColumns(key, value, entry);
    await this.#run('set', key, options?.signal, this.#statements.set, columns.slice(0, 5));
  }

  /**
   * A write's parameters, checked: key, value, expiresattime, sliding seconds, absolute expiration, and the
   * time they were computed at (the conditional statements' "now").
   */
  #writeColumns(key: string, value: Uint8Array, entry: CacheEntryOptions | undefined): unknown[] {
    assertValidPostgresKey(key);
    assertValidValue(value);
    const now = this.#clock.now();
    const { expiresAt, slidingSeconds, absolute } = postgresExpiration(
      resolveEntryOptions(entry, now),
      this.#defaultSlidingMs,
      now,
    );
    // pg sends a Buffer as bytea; it copies nothing here, and the caller's array is not kept.
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return [key, bytes, expiresAt, slidingSeconds, absolute, new Date(now)];
  }

  /**
   * ConditionalSet: one statement writes only if the live entry's value still has the SHA-256 of the bytes
   * read (or, for `expected` undefined, there is no live entry). Only the hash travels back to the server.
   */
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
    const columns = this.#writeColumns(key, value, entry);
    if (expected !== undefined) assertValidValue(expected);
    const result =
      expected === undefined
        ? await this.#run('set', key, options?.signal, this.#statements.setIfAbsent, columns)
        : await this.#run('set', key, options?.signal, this.#statements.setIfValue, [
            ...columns,
            createHash('sha256').update(expected).digest(),
          ]);
    return result.rowCount === 1;
  }

  refresh(key: string, options?: CacheOperationOptions): Promise<void> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(this.#target, 'refresh', key, () => this.#refresh(key, options))
      : this.#refresh(key, options);
  }

  async #refresh(key: string, options: CacheOperationOptions | undefined): Promise<void> {
    assertValidPostgresKey(key);
    await this.#run('refresh', key, options?.signal, this.#statements.refresh, [
      key,
      new Date(this.#clock.now()),
      this.#skipFraction,
    ]);
  }

  remove(key: string, options?: CacheOperationOptions): Promise<void> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(this.#target, 'remove', key, () => this.#remove(key, options))
      : this.#remove(key, options);
  }

  async #remove(key: string, options: CacheOperationOptions | undefined): Promise<void> {
    assertValidPostgresKey(key);
    await this.#run('remove', key, options?.signal, this.#statements.remove, [key]);
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
      const result = await this.#run(
        'delete expired rows',
        '',
        undefined,
        this.#statements.deleteExpiredBatch,
        [new Date(this.#clock.now()), this.#batchSize],
      );
      total += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < this.#batchSize) return total;
    }
  }

  /** Stops the sweep timer, waits for a running sweep, and lets go of the pool (which stays open: it is the app's). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    await this.#sweeping?.catch(() => {});
    this.#pool.off('error', this.#onPoolError);
  }

  #sweep(): void {
    const running = sweepsRunning.get(this.#pool) ?? new Set<string>();
    sweepsRunning.set(this.#pool, running);
    if (this.#closed || running.has(this.#table.qualified)) return;
    running.add(this.#table.qualified);
    this.#sweeping = this.deleteExpired();
    this.#sweeping
      .catch((error: unknown) =>
        this.#logger?.warn(
          `PostgresCache: deleting expired rows of ${this.#table.qualified} failed: ${(error as Error).message}`,
        ),
      )
      .finally(() => {
        running.delete(this.#table.qualified);
        this.#sweeping = undefined;
      });
  }

  /** Creates the schema, table and index once (createIfNotExists), under an advisory lock. */
  #ensureTable(): Promise<void> {
    this.#created ??= runLockedDdl(
      this.#pool,
      DDL_LOCK,
      createTableStatements(this.#table, this.#unlogged),
    ).catch((error: unknown) => {
      this.#created = undefined;
      throw error;
    });
    return this.#created;
  }

  /**
   * Runs one statement within operationTimeout (one shared watchdog, no timer per call) and the abort
   * signal, turning driver failures into typed errors.
   */
  #run(
    operation: string,
    key: string,
    signal: AbortSignal | undefined,
    statement: PostgresStatement,
    values: unknown[],
  ): Promise<QueryResult> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeoutMs = this.#deadlines.timeoutMs;
    return new Promise<QueryResult>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const settle = () => {
        stopWatching();
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      };
      const stopWatching = this.#deadlines.watch(() => {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
        reject(
          new CacheUnavailableError(
            `PostgreSQL did not answer ${operation} of ${cacheKeyTag(key)} within ${timeoutMs} ms (operationTimeout).`,
          ),
        );
      });
      if (signal) {
        onAbort = () => {
          stopWatching();
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      // The watchdog answers the caller; a Pool with query_timeout and connectionTimeoutMillis also frees a
      // connection a hung server holds (see the README).
      const query = () => this.#pool.query({ name: statement.name, text: statement.text, values });
      const pending = this.#createIfNotExists ? this.#ensureTable().then(query) : query();
      pending.then(
        (result) => {
          settle();
          resolve(result);
        },
        (error: unknown) => {
          settle();
          reject(translate(error, operation, key, this.#table));
        },
      );
    });
  }
}

/** PostgreSQL text cannot hold the NUL character, which a key of another cache may. */
function assertValidPostgresKey(key: string): void {
  assertValidKey(key);
  if (key.includes('\0'))
    throw new CacheArgumentError('A PostgresCache key cannot contain the NUL character (U+0000).');
}

function translate(error: unknown, operation: string, key: string, table: PostgresTable): Error {
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  const message = (error as Error).message;
  // An error the server sent carries a severity and a SQLSTATE; a socket's error (EPIPE, ECONNREFUSED) only a code.
  const sqlState = typeof severity === 'string' && typeof code === 'string' ? code : undefined;
  if (sqlState === '42P01') {
    return new CacheError(
      `The cache table ${table.qualified} does not exist: create it with \`sharedstate-pg-cache create --schema ${table.schema} --table ${table.table}\` (or the DDL of \`sharedstate-pg-cache script\`), or set createIfNotExists.`,
      { cause: error },
    );
  }
  if (sqlState === undefined || UNAVAILABLE_CLASSES.has(sqlState.slice(0, 2))) {
    // No SQLSTATE: the connection failed, was cut or timed out before the server answered.
    return new CacheUnavailableError(
      `PostgreSQL is unavailable for ${operation} of ${cacheKeyTag(key)}: ${message}`,
      {
        cause: error,
      },
    );
  }
  return new CacheError(`PostgreSQL refused ${operation} of ${cacheKeyTag(key)}: ${message}`, {
    cause: error,
  });
}

/** The server a pool connects to, as far as its options say, for diagnostics events. */
function postgresServerOf(pool: Pool): Pick<CacheOperationTarget, 'serverAddress' | 'serverPort'> {
  const options = (pool as { options?: { host?: unknown; port?: unknown; connectionString?: unknown } })
    .options;
  let host = options?.host;
  let port = options?.port;
  if (typeof options?.connectionString === 'string') {
    try {
      const url = new URL(options.connectionString);
      host ??= url.hostname || undefined;
      port ??= url.port === '' ? undefined : Number(url.port);
    } catch {
      // A connection string pg reads but URL does not (key=value form): the events go without the server.
    }
  }
  return {
    ...(typeof host === 'string' ? { serverAddress: host } : {}),
    ...(typeof port === 'number'
      ? { serverPort: port }
      : typeof port === 'string' && port !== ''
        ? { serverPort: Number(port) }
        : {}),
  };
}
