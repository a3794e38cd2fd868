import {
  DataProtectionConfigurationError,
  type Duration,
  RepositoryUnavailableError,
  type XmlRepository,
} from '@sharedstate/dataprotection-core';
import {
  boundedCall,
  type IoRedisClient,
  isNodeRedisClient,
  type NodeRedisClient,
  type NodeRedisCluster,
  parseDuration,
  rediscoverNodeRedisCluster,
  refuseUnknownOptions,
  sendNodeRedisCommand,
  subscribeToRedisChannel,
} from '@sharedstate/shared-helpers';
import type { Redis } from 'ioredis';

export interface RedisXmlRepositoryOptions {
  /**
   * The app's client, never closed by the repository: ioredis (`new Redis(...)`, Sentinel included, or
   * `new Cluster(...)`) or node-redis v5 (`createClient()` or `createCluster()`, connected).
   */
  redis: IoRedisClient | NodeRedisClient | NodeRedisCluster;
  /** The Redis list holding the key ring. Default `DataProtection-Keys`, as ASP.NET Core's. */
  key?: string;
  /** Longest a read or write may take before it fails with RepositoryUnavailableError. Default '5s'. */
  operationTimeout?: Duration;
}

export const DEFAULT_KEY_RING_KEY = 'DataProtection-Keys';

const OPTION_NAMES: Readonly<Record<keyof RedisXmlRepositoryOptions, true>> = {
  redis: true,
  key: true,
  operationTimeout: true,
};

/**
 * The key ring in one Redis list, exactly as ASP.NET Core's PersistKeysToStackExchangeRedis stores it: each
 * element is one compact XML element, appended with RPUSH and read with LRANGE. The list has no TTL; the
 * server must not evict it (see the Redis backend docs). One key only, so Redis Cluster is fine.
 */
export class RedisXmlRepository implements XmlRepository {
  /** One list command on the key ring's key, through whichever client the app gave. */
  readonly #command: (name: string, ...args: string[]) => Promise<unknown>;
  readonly #timeoutMs: number;
  readonly #client: unknown;
  readonly #ioredis: boolean;
  readonly #channel: string;
  readonly #publish: () => Promise<unknown>;
  readonly description: string;

  constructor(options: RedisXmlRepositoryOptions) {
    if (options !== null && typeof options === 'object') {
      refuseUnknownOptions(DataProtectionConfigurationError, 'RedisXmlRepository', options, OPTION_NAMES);
    }
    const { redis, key = DEFAULT_KEY_RING_KEY } = options ?? ({} as RedisXmlRepositoryOptions);
    const ioredis = typeof (redis as Partial<Redis> | undefined)?.lrange === 'function';
    if (!redis || (!ioredis && !isNodeRedisClient(redis))) {
      throw new DataProtectionConfigurationError(
        'RedisXmlRepository needs `redis`: an ioredis client (new Redis(...) or new Cluster(...)) or a node-redis v5 client (createClient() or createCluster(), connected).',
      );
    }
    if (typeof key !== 'string' || key === '') {
      throw new DataProtectionConfigurationError('RedisXmlRepository `key` must be a non-empty string.');
    }
    this.#command = ioredis
      ? (name, ...args) => (redis as Redis).call(name, key, ...args)
      : (name, ...args) =>
          sendNodeRedisCommand(redis as NodeRedisClient | NodeRedisCluster, key, [name, key, ...args], false);
    this.#timeoutMs = parseDuration(
      options.operationTimeout ?? '5s',
      'operationTimeout',
      DataProtectionConfigurationError,
    );
    this.description = `RedisXmlRepository '${key}'`;
    this.#client = redis;
    this.#ioredis = ioredis;
    this.#channel = keyRingChangeChannel(key);
    this.#publish = ioredis
      ? () => (redis as Redis).call('PUBLISH', this.#channel, 'changed')
      : () =>
          sendNodeRedisCommand(
            redis as NodeRedisClient | NodeRedisCluster,
            key,
            ['PUBLISH', this.#channel, 'changed'],
            false,
          );
  }

  /**
   * Subscribes, on a connection of its own, to the channel on which this repository's writers announce
   * changes (`sharedstate:key-ring-changed:<key>`), so running instances see a key or revocation within
   * moments of the write.
   */
  watch(onChange: () => void): () => void {
    let stop: (() => void) | undefined;
    let stopped = false;
    // Errors and reconnections are left to the client library; the periodic change check covers any gap.
    subscribeToRedisChannel(this.#client, this.#ioredis, this.#channel, { onMessage: () => onChange() }).then(
      (unsubscribe) => {
        if (stopped) unsubscribe();
        else stop = unsubscribe;
      },
      () => {},
    );
    return () => {
      stopped = true;
      stop?.();
    };
  }

  /** Announces a write; a failed announcement is harmless (the change check finds the change). */
  #announce(): Promise<void> {
    return this.#bounded('announce a change of', () => this.#publish()).then(
      () => {},
      () => {},
    );
  }

  getAllElements(): Promise<readonly string[]> {
    return this.#bounded('read', () => this.#command('LRANGE', '0', '-1') as Promise<string[]>);
  }

  /**
   * The list's length: the ring only grows (ASP.NET Core and this repository append; deleteElements, the one
   * removal, is rare and run by an operator), so a new key or revocation changes it. One LLEN, a few bytes.
   */
  async getChangeToken(): Promise<string> {
    return String(await this.#bounded('check', () => this.#command('LLEN')));
  }

  async storeElement(element: string, _friendlyName: string): Promise<void> {
    // ASP.NET Core ignores the friendly name here too: the list holds only the XML.
    await this.#bounded('write', () => this.#command('RPUSH', element));
    await this.#announce();
  }

  async deleteElements(shouldDelete: (element: string) => boolean): Promise<number> {
    let removed = 0;
    for (const element of await this.getAllElements()) {
      if (shouldDelete(element))
        removed += Number(await this.#bounded('delete', () => this.#command('LREM', '1', element)));
    }
    if (removed > 0) await this.#announce();
    return removed;
  }

  /** Bounds a command by operationTimeout and reports failures as RepositoryUnavailableError. */
  async #bounded<T>(what: string, command: () => Promise<T>): Promise<T> {
    try {
      return await boundedCall(command, this.#timeoutMs);
    } catch (error) {
      // A node-redis cluster whose master failed over learns the new one only when asked (see the helper).
      rediscoverNodeRedisCluster(this.#client);
      throw new RepositoryUnavailableError(
        `Could not ${what} the key ring in ${this.description}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

/**
 * The pub/sub channel on which writers announce a change of the key ring stored under a Redis key: a hint
 * that makes running instances check for the change at once instead of at their next change check. Plain
 * PUBLISH, which a Redis Cluster forwards to every node, so a subscriber on any one node hears it.
 */
function keyRingChangeChannel(key: string): string {
  return `sharedstate:key-ring-changed:${key}`;
}
