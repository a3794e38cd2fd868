// Imported, not the global: the global `Buffer` is a getter, run on every use (each read copies its reply).
import { Buffer } from 'node:buffer';
import { createHash, randomUUID } from 'node:crypto';
import {
  assertKnownOptions,
  assertValidKey,
  assertValidValue,
  CacheArgumentError,
  CacheEntryConflictError,
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
  expiresAtAfterTouch,
  OperationDeadlines,
  resolveEntryOptions,
  traceCacheOperation,
} from '@sharedstate/caching-abstractions';
import {
  durationMsToTicks,
  epochMsToTicks,
  type IoRedisClient,
  isNodeRedisClient,
  isReplyError,
  type NodeRedisClient,
  type NodeRedisCluster,
  parseDuration,
  rediscoverNodeRedisCluster,
  resolveLogger,
  systemClock,
  ticksToDurationMs,
  ticksToEpochMs,
} from '@sharedstate/shared-helpers';
import type { Redis } from 'ioredis';
import { type CacheCommands, cacheCommandsFor } from './cache-commands.ts';
import type { IoRedisConnectionOptions } from './ioredis-connection-options.ts';
import { ioredis } from './ioredis-module.ts';
import { RecentRenewals } from './recent-renewals.ts';
import {
  OPTIONS_FROM_OTHER_LIBRARIES,
  REDIS_CACHE_OPTION_NAMES,
  type RedisCacheOptions,
} from './redis-cache-options.ts';
import { GET_AND_REFRESH_SCRIPT, REFRESH_SCRIPT, SET_IF_UNCHANGED_SCRIPT } from './redis-scripts.ts';

/** What a write stores besides the data: ASP.NET Core's expiration fields, and the key's TTL. */
interface WriteFields {
  absexp: string;
  sldexp: string;
  ttlMs: string;
  slidingMs: number | undefined;
}

type Client = IoRedisClient | NodeRedisClient | NodeRedisCluster;

/**
 * ioredis's constructor, taking the options `connection` gives (IoRedisConnectionOptions, this package's
 * description of ioredis 5's and 6's RedisOptions, which ioredis's own parameter types do not take as they
 * are under exactOptionalPropertyTypes). Same class, at runtime.
 */
type RedisClientClass = {
  new (options: IoRedisConnectionOptions): Redis;
  new (url: string, options: IoRedisConnectionOptions): Redis;
};

const asBuffer = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

/**
 * A DistributedCache on Redis through ioredis, storing entries exactly as ASP.NET Core's RedisCache does:
 * a hash with `absexp` and `sldexp` in .NET ticks and `data`, under `instanceName + key`, with the key's
 * TTL set to the remaining lifetime. An ASP.NET Core app with the same InstanceName reads and writes the
 * same entries.
 */
export class RedisCache implements DistributedCache {
  readonly #client: Client;
  readonly #commands: CacheCommands;
  /** The ioredis client the cache created from `connection`, and closes; undefined for the app's client. */
  readonly #owned: Redis | undefined;
  readonly #prefix: string;
  readonly #useScripts: boolean;
  readonly #deadlines: OperationDeadlines;
  readonly #clock: Clock;
  /**
   * Sliding entries renewed moments ago (undefined when every read renews), by the caller's key: a cache has
   * one prefix, and the caller's string (a session's key, reused request after request) keeps its hash,
   * where `prefix + key` is a new string to hash on every call.
   */
  readonly #renewals: RecentRenewals | undefined;
  /** Who this cache is in its operations' diagnostics events. */
  readonly #target: CacheOperationTarget;

  constructor(options: RedisCacheOptions) {
    if (options === null || typeof options !== 'object')
      throw new CacheArgumentError('RedisCache needs an options object.');
    assertKnownOptions('RedisCache', options, REDIS_CACHE_OPTION_NAMES, OPTIONS_FROM_OTHER_LIBRARIES);
    const { redis, connection, instanceName = '', useScripts = true, renewalSkipFraction = 0.01 } = options;
    const logger = resolveLogger(options.logger, CacheArgumentError);
    if ((redis === undefined) === (connection === undefined)) {
      throw new CacheArgumentError(
        'RedisCache needs exactly one of `redis` (an ioredis Redis or Cluster client) or `connection` (a redis:// URL or ioredis options).',
      );
    }
    if (typeof instanceName !== 'string') throw new CacheArgumentError('instanceName must be a string.');
    if (
      typeof renewalSkipFraction !== 'number' ||
      !(renewalSkipFraction >= 0 && renewalSkipFraction <= 0.5)
    ) {
      throw new CacheArgumentError(
        `renewalSkipFraction must be a number from 0 (renew a sliding entry on every read, as ASP.NET Core does) to 0.5; got ${String(renewalSkipFraction)}.`,
      );
    }
    // A clock given for tests also times the skip window; the default is the monotonic clock.
    const clock = options.clock;
    this.#renewals =
      renewalSkipFraction === 0
        ? undefined
        : new RecentRenewals(renewalSkipFraction, clock ? () => clock.now() : undefined);
    this.#deadlines = new OperationDeadlines(
      parseDuration(options.operationTimeout ?? '5s', 'operationTimeout', CacheArgumentError),
    );
    this.#clock = options.clock ?? systemClock;
    this.#prefix = instanceName;
    this.#useScripts = useScripts;
    this.setIfUnchanged = useScripts
      ? (key, value, expected, entry, operationOptions) =>
          cacheOperationChannel.hasSubscribers
            ? traceCacheOperation(this.#target, 'setIfUnchanged', key, () =>
                this.#setIfUnchanged(key, value, expected, entry, operationOptions),
              )
            : this.#setIfUnchanged(key, value, expected, entry, operationOptions)
      : undefined;
    if (redis !== undefined) {
      if (typeof (redis as Partial<Redis>).hmgetBuffer !== 'function' && !isNodeRedisClient(redis)) {
        throw new CacheArgumentError(
          '`redis` must be an ioredis client (new Redis(...) or new Cluster(...)) or a node-redis v5 client (createClient() or createCluster(), connected).',
        );
      }
      this.#client = redis;
      this.#owned = undefined;
    } else {
      // Bounded retries: while Redis is down a command fails after a couple of reconnect attempts instead
      // of waiting in the offline queue for as long as the outage lasts. No auto-pipelining: the cache
      // batches its own commands (cache-commands.ts).
      const bounded = {
        maxRetriesPerRequest: 2,
        connectTimeout: 5_000,
        retryStrategy: (times: number) => Math.min(times * 200, 2_000),
      };
      const RedisClient = ioredis().Redis as unknown as RedisClientClass;
      const owned =
        typeof connection === 'string'
          ? new RedisClient(connection, bounded)
          : new RedisClient({ ...bounded, ...connection });
      this.#client = owned;
      this.#owned = owned;
      owned.on('error', (error: Error) => logger?.warn(`RedisCache connection error: ${error.message}`));
    }
    this.#commands = cacheCommandsFor(this.#client, useScripts);
    this.#target = { provider: 'RedisCache', system: 'redis', ...redisServerOf(this.#client) };
  }

  /** Every operation rejects with CacheUnavailableError once this has passed without an answer. */
  get operationTimeoutMs(): number {
    return this.#deadlines.timeoutMs;
  }

  /** The client in use: ioredis, or the app's node-redis client. */
  get client(): Client {
    return this.#client;
  }

  #nowTicks(): string {
    return epochMsToTicks(this.#clock.now());
  }

  get(key: string, options?: CacheOperationOptions): Promise<Uint8Array | undefined> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(this.#target, 'get', key, () => this.#get(key, options))
      : this.#get(key, options);
  }

  #get(key: string, options: CacheOperationOptions | undefined): Promise<Uint8Array | undefined> {
    const signal = options?.signal;
    const refused = refuse(key, signal);
    if (refused) return refused;
    const renewals = this.#renewals;
    const freshKey = renewals?.freshRedisKey(key);
    if (freshKey !== undefined) {
      // Renewed by this client moments ago: a plain read, no second renewal (see RecentRenewals).
      return this.#run('get', key, signal, this.#commands.send('hget', [freshKey, 'data'], true), toBytes);
    }
    const redisKey = this.#prefix + key;
    if (!this.#useScripts)
      return this.#run('get', key, signal, this.#getWithoutScript(key, redisKey), toBytes);
    // The data and the entry's sliding window in ms (-1 if it does not slide), or null.
    const reply = this.#commands.script(
      GET_AND_REFRESH_SCRIPT,
      redisKey,
      [this.#nowTicks()],
      true,
    ) as Promise<[Buffer, number] | null>;
    if (renewals === undefined) return this.#run('get', key, signal, reply, dataOf);
    return this.#run('get', key, signal, reply, (found) => {
      renewals.renewed(key, found?.[1], redisKey);
      return dataOf(found);
    });
  }

  /** The hash's expiration fields and TTL for a write, as ASP.NET Core computes them. */
  #writeFields(entry: CacheEntryOptions | undefined): WriteFields {
    const now = this.#clock.now();
    const resolved = resolveEntryOptions(entry, now);
    const slidingMs = resolved.slidingMs;
    const expiresAt = expiresAtAfterTouch(resolved, now);
    return {
      absexp: resolved.absoluteExpiresAt === undefined ? '-1' : epochMsToTicks(resolved.absoluteExpiresAt),
      sldexp: slidingMs === undefined ? '-1' : durationMsToTicks(slidingMs),
      ttlMs: expiresAt === undefined ? '-1' : String(Math.max(1, Math.floor(expiresAt - now))),
      slidingMs,
    };
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

  #set(
    key: string,
    value: Uint8Array,
    entry: CacheEntryOptions | undefined,
    options: CacheOperationOptions | undefined,
  ): Promise<void> {
    const signal = options?.signal;
    const refused = refuse(key, signal);
    if (refused) return refused;
    let fields: WriteFields;
    try {
      assertValidValue(value);
      fields = this.#writeFields(entry);
    } catch (error) {
      return Promise.reject(error);
    }
    const { absexp, sldexp, ttlMs } = fields;
    const renewals = this.#renewals;
    // Written or renewed by this client within the skip window: the entry exists, with a TTL.
    const freshKey = renewals?.freshRedisKey(key);
    const redisKey = freshKey ?? this.#prefix + key;
    // Noted when sent; a failed write forgets it again (see #run), so the entry's next read renews it.
    renewals?.renewed(key, fields.slidingMs, redisKey);
    const write = ['hset', redisKey, 'absexp', absexp, 'sldexp', sldexp, 'data', asBuffer(value)];
    const expire = ttlMs === '-1' ? ['persist', redisKey] : ['pexpire', redisKey, ttlMs];
    // ASP.NET Core 8's commands. A new entry (or one this client has not touched lately) gets them in a
    // transaction: an HSET that creates the hash must never be left without its PEXPIRE (a sliding read would
    // revive it past its idle timeout), and Redis spends far less on MULTI/EXEC than on a script. An entry
    // written or renewed moments ago gets them pipelined, two commands where the transaction is four: HSET
    // keeps the key's TTL, so a connection lost between the two leaves the entry with the expiry it had.
    const written: Promise<unknown> =
      freshKey === undefined
        ? this.#commands.transaction(redisKey, [write, expire])
        : this.#commands.pipeline([write, expire]);
    return this.#run('set', key, signal, written, toVoid, true);
  }

  /**
   * ConditionalSet, with server-side scripts (the default): one script compares the SHA-1 of the stored data
   * with that of `expected` and writes only if they match. Undefined with `useScripts: false`, which has no
   * atomic way to do it, so the session middleware's merge mode refuses such a cache at startup.
   */
  readonly setIfUnchanged: ConditionalSet['setIfUnchanged'] | undefined;

  #setIfUnchanged(
    key: string,
    value: Uint8Array,
    expected: Uint8Array | undefined,
    entry: CacheEntryOptions | undefined,
    options: CacheOperationOptions | undefined,
  ): Promise<boolean> {
    const signal = options?.signal;
    const refused = refuse(key, signal);
    if (refused) return refused;
    let fields: WriteFields;
    try {
      assertValidValue(value);
      if (expected !== undefined) assertValidValue(expected);
      fields = this.#writeFields(entry);
    } catch (error) {
      return Promise.reject(error);
    }
    const redisKey = this.#prefix + key;
    const expectedHash = expected === undefined ? '' : createHash('sha1').update(expected).digest('hex');
    const reply = this.#commands.script(
      SET_IF_UNCHANGED_SCRIPT,
      redisKey,
      [fields.absexp, fields.sldexp, fields.ttlMs, asBuffer(value), expectedHash, randomUUID()],
      false,
    );
    return this.#run('set', key, signal, reply, (written) => {
      if (Number(written) !== 1) return false;
      this.#renewals?.renewed(key, fields.slidingMs, redisKey);
      return true;
    });
  }

  refresh(key: string, options?: CacheOperationOptions): Promise<void> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(this.#target, 'refresh', key, () => this.#refresh(key, options))
      : this.#refresh(key, options);
  }

  #refresh(key: string, options: CacheOperationOptions | undefined): Promise<void> {
    const signal = options?.signal;
    const refused = refuse(key, signal);
    if (refused) return refused;
    const redisKey = this.#prefix + key;
    const renewals = this.#renewals;
    // Renewed by this client moments ago: nothing to send.
    if (renewals?.isFresh(key)) return Promise.resolve();
    if (!this.#useScripts)
      return this.#run('refresh', key, signal, this.#refreshWithoutScript(key, redisKey), toVoid);
    // The entry's sliding window in ms (-1 if it does not slide), or null if it is gone.
    const reply = this.#commands.script(REFRESH_SCRIPT, redisKey, [this.#nowTicks()], false) as Promise<
      number | null
    >;
    if (renewals === undefined) return this.#run('refresh', key, signal, reply, toVoid);
    return this.#run('refresh', key, signal, reply, (slidingMs) => {
      renewals.renewed(key, slidingMs ?? undefined, redisKey);
    });
  }

  remove(key: string, options?: CacheOperationOptions): Promise<void> {
    return cacheOperationChannel.hasSubscribers
      ? traceCacheOperation(this.#target, 'remove', key, () => this.#remove(key, options))
      : this.#remove(key, options);
  }

  #remove(key: string, options: CacheOperationOptions | undefined): Promise<void> {
    const signal = options?.signal;
    const refused = refuse(key, signal);
    if (refused) return refused;
    const redisKey = this.#prefix + key;
    this.#renewals?.forget(key);
    return this.#run('remove', key, signal, this.#commands.send('del', [redisKey], false), toVoid);
  }

  /** Closes the client if the cache created it; a client passed in is left to its owner. */
  async close(): Promise<void> {
    const owned = this.#owned;
    if (owned) await owned.quit().catch(() => owned.disconnect());
  }

  async #getWithoutScript(key: string, redisKey: string): Promise<Buffer | null> {
    const [absexp, sldexp, value] = (await this.#commands.send(
      'hmget',
      [redisKey, 'absexp', 'sldexp', 'data'],
      true,
    )) as (Buffer | null)[];
    if (value === null || value === undefined) return null;
    await this.#slideWithoutScript(key, redisKey, absexp?.toString(), sldexp?.toString());
    return value;
  }

  async #refreshWithoutScript(key: string, redisKey: string): Promise<void> {
    const [absexp, sldexp] = (await this.#commands.send('hmget', [redisKey, 'absexp', 'sldexp'], false)) as (
      | string
      | null
    )[];
    await this.#slideWithoutScript(key, redisKey, absexp ?? undefined, sldexp ?? undefined);
  }

  async #slideWithoutScript(
    key: string,
    redisKey: string,
    absexp: string | undefined,
    sldexp: string | undefined,
  ): Promise<void> {
    const slidingMs = sldexp === undefined ? undefined : ticksToDurationMs(sldexp);
    if (slidingMs === undefined) return;
    const absoluteMs = absexp === undefined ? undefined : ticksToEpochMs(absexp);
    const ttlMs = absoluteMs === undefined ? slidingMs : Math.min(slidingMs, absoluteMs - this.#clock.now());
    if (ttlMs <= 0) {
      this.#renewals?.forget(key);
      await this.#commands.send('del', [redisKey], false);
    } else {
      this.#renewals?.renewed(key, slidingMs, redisKey);
      await this.#commands.send('pexpire', [redisKey, ttlMs], false);
    }
  }

  /**
   * Settles one client call within the operation timeout (one shared watchdog, no timer per call) and the
   * abort signal, mapping the reply and turning client failures into typed errors. Deliberately not async:
   * on a session's hot path every extra promise layer is measurable. `failureForgetsRenewal`: a write that
   * failed or timed out may have run in part, so the key is no longer counted as renewed moments ago.
   */
  #run<T, R>(
    operation: string,
    key: string,
    signal: AbortSignal | undefined,
    pending: Promise<T>,
    map: (reply: T) => R,
    failureForgetsRenewal = false,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const stopWatching = this.#deadlines.watch(() => {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
        if (failureForgetsRenewal) this.#renewals?.forget(key);
        rediscoverNodeRedisCluster(this.#client);
        reject(
          new CacheUnavailableError(
            `Redis did not answer ${operation} of ${cacheKeyTag(key)} within ${this.#deadlines.timeoutMs} ms (operationTimeout).`,
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
      const onReply = (reply: T) => {
        stopWatching();
        if (onAbort) signal?.removeEventListener('abort', onAbort);
        try {
          resolve(map(reply));
        } catch (error) {
          reject(translate(error, operation, key));
        }
      };
      const onError = (error: unknown) => {
        stopWatching();
        if (onAbort) signal?.removeEventListener('abort', onAbort);
        if (failureForgetsRenewal) this.#renewals?.forget(key);
        const failure = translate(error, operation, key);
        if (failure instanceof CacheUnavailableError) rediscoverNodeRedisCluster(this.#client);
        reject(failure);
      };
      pending.then(onReply, onError);
    });
  }
}

/** The server a standalone client talks to, for diagnostics events; nothing for a cluster. */
function redisServerOf(client: Client): Pick<CacheOperationTarget, 'serverAddress' | 'serverPort'> {
  const options = (
    client as { options?: { host?: unknown; port?: unknown; socket?: { host?: unknown; port?: unknown } } }
  ).options;
  const host = options?.socket?.host ?? options?.host;
  const port = options?.socket?.port ?? options?.port;
  return {
    ...(typeof host === 'string' ? { serverAddress: host } : {}),
    ...(typeof port === 'number' ? { serverPort: port } : {}),
  };
}

/** A call that cannot start (an aborted signal, an invalid key) rejects without touching Redis. */
function refuse(key: string, signal: AbortSignal | undefined): Promise<never> | undefined {
  try {
    signal?.throwIfAborted();
    assertValidKey(key);
    return undefined;
  } catch (error) {
    return Promise.reject(error);
  }
}

// A copy, so callers get no view into the socket chunk the reply was parsed from (which would keep the whole
// chunk alive and show them other replies). Buffer.from copies a small value into Node's buffer pool,
// where a new Uint8Array would make a new ArrayBuffer and backing store per read for the collector.
const toBytes = (reply: unknown): Uint8Array | undefined =>
  reply === null || reply === undefined ? undefined : Buffer.from(reply as Buffer);
const dataOf = (found: [Buffer, number] | null): Uint8Array | undefined =>
  found === null ? undefined : toBytes(found[0]);
const toVoid = (): void => {};

function translate(error: unknown, operation: string, key: string): unknown {
  // A caller's abort never comes here (#run rejects with the signal's reason); ioredis's AbortError, for a
  // command it dropped when its connection closed, is an outage like any other.
  if (error instanceof CacheError) return error;
  if (isReplyError(error)) {
    if (error.message.startsWith('WRONGTYPE')) {
      return new CacheEntryConflictError(
        `The Redis key of ${operation} of ${cacheKeyTag(key)} is not a hash this cache wrote (WRONGTYPE): another app may use the same instanceName; give each app its own.`,
        { cause: error },
      );
    }
    const hint = /NOPERM|NOSCRIPT|unknown command/i.test(error.message)
      ? ' If the server or its ACL forbids EVAL/EVALSHA, create the cache with useScripts: false.'
      : '';
    return new CacheError(`Redis refused ${operation} of ${cacheKeyTag(key)}: ${error.message}.${hint}`, {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CacheUnavailableError(
    `Redis is unavailable for ${operation} of ${cacheKeyTag(key)}: ${message}`,
    {
      cause: error,
    },
  );
}
