import {
  CacheArgumentError,
  type InvalidationBus,
  type InvalidationBusHandlers,
} from '@sharedstate/caching-abstractions';
import {
  type IoRedisClient,
  isNodeRedisClient,
  type NodeRedisClient,
  type NodeRedisCluster,
  refuseUnknownOptions,
  sendNodeRedisCommand,
  subscribeToRedisChannel,
} from '@sharedstate/shared-helpers';
import type { Redis } from 'ioredis';

export interface RedisInvalidationBusOptions {
  /** The app's client: ioredis (Redis, Sentinel or Cluster) or node-redis (createClient, createCluster). */
  redis: IoRedisClient | NodeRedisClient | NodeRedisCluster;
  /** The pub/sub channel; instances that share entries share it. Default 'sharedstate:hybrid-cache'. */
  channel?: string;
}

const OPTION_NAMES = { redis: true, channel: true } as const;

/**
 * HybridCache's invalidation bus on Redis pub/sub: a plain PUBLISH, which a Redis Cluster forwards to every
 * node, and a subscription on a connection of its own (made from the app's client, unreferenced, closed with
 * it). When the subscription's connection drops, the client library reconnects; the cache then hears that it
 * may have missed messages and clears its local copies.
 */
export class RedisInvalidationBus implements InvalidationBus {
  readonly #client: unknown;
  readonly #ioredis: boolean;
  readonly #channel: string;

  constructor(options: RedisInvalidationBusOptions) {
    if (options === null || typeof options !== 'object') {
      throw new CacheArgumentError('RedisInvalidationBus needs options: { redis }.');
    }
    refuseUnknownOptions(CacheArgumentError, 'RedisInvalidationBus', options, OPTION_NAMES);
    const { redis, channel = 'sharedstate:hybrid-cache' } = options;
    const ioredis =
      typeof (redis as Partial<Redis> | undefined)?.publish === 'function' && !isNodeRedisClient(redis);
    if (!redis || (!ioredis && !isNodeRedisClient(redis))) {
      throw new CacheArgumentError(
        'RedisInvalidationBus needs `redis`: an ioredis client (new Redis(...) or new Cluster(...)) or a node-redis v5 client (createClient() or createCluster(), connected).',
      );
    }
    if (typeof channel !== 'string' || channel === '') {
      throw new CacheArgumentError('RedisInvalidationBus `channel` must be a non-empty string.');
    }
    this.#client = redis;
    this.#ioredis = ioredis;
    this.#channel = channel;
  }

  async publish(message: string): Promise<void> {
    if (this.#ioredis) {
      await (this.#client as Redis).publish(this.#channel, message);
    } else {
      await sendNodeRedisCommand(
        this.#client as NodeRedisClient | NodeRedisCluster,
        this.#channel,
        ['PUBLISH', this.#channel, message],
        false,
      );
    }
  }

  async subscribe(handlers: InvalidationBusHandlers): Promise<() => Promise<void>> {
    const stop = await subscribeToRedisChannel(this.#client, this.#ioredis, this.#channel, handlers);
    return async () => stop();
  }
}
