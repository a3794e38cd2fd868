import { Cluster as Cluster5, Redis as Redis5 } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6';
import { createClient, createCluster } from 'redis';

/**
 * A client as the Redis packages' options type it. Their types come from the ioredis 5 they are built
 * against, so an ioredis 6 client is cast to it; in an app the package and the client share one copy.
 */
export type PackageRedisClient = Redis5 | Cluster5 | ReturnType<typeof createClient> | NodeRedisClusterClient;
type NodeRedisClusterClient = ReturnType<typeof createCluster>;

/** A client a test made, with what the test needs beside it. */
export interface TestRedisClient {
  /** What the app passes as `redis`. */
  readonly client: PackageRedisClient;
  /**
   * Sends one command on the client's connection to the node at `port` (a cluster) or its only connection
   * (standalone): `WAIT` counts the replicas that have that connection's writes.
   */
  commandOn(port: number | undefined, args: readonly string[]): Promise<unknown>;
  /** Closes the client's connections at once. */
  close(): Promise<void>;
}

export interface StandaloneOptions {
  /**
   * Commands fail after one reconnection attempt instead of waiting in the client's queue (ioredis's
   * `maxRetriesPerRequest: 1`; node-redis has no such setting: its commands wait, and the packages'
   * `operationTimeout` bounds them).
   */
  failQueuedCommands?: boolean;
}

/** One of the Redis clients the packages accept, as an app makes it: the client's defaults, nothing tuned. */
export interface RedisClientKind {
  /** 'ioredis 5', 'ioredis 6' or 'node-redis 5': what a test name shows. */
  readonly name: string;
  standalone(url: string, options?: StandaloneOptions): Promise<TestRedisClient>;
  cluster(startupNodes: readonly { host: string; port: number }[]): Promise<TestRedisClient>;
}

type IoRedis = Redis5 | Redis6;
type IoCluster = Cluster5 | Cluster6;

function ioredisKind(
  name: string,
  Redis: new (url: string, options: object) => IoRedis,
  Cluster: new (nodes: { host: string; port: number }[], options: object) => IoCluster,
): RedisClientKind {
  return {
    name,
    async standalone(url, options = {}) {
      const client = new Redis(url, options.failQueuedCommands ? { maxRetriesPerRequest: 1 } : {});
      // Failures reach the test through the commands; the client's own error events only repeat them.
      client.on('error', () => {});
      return {
        client: client as unknown as Redis5,
        commandOn: (_port, args) => client.call(args[0]!, ...args.slice(1)),
        close: async () => client.disconnect(),
      };
    },
    async cluster(startupNodes) {
      const client = new Cluster([...startupNodes], {});
      client.on('error', () => {});
      return {
        client: client as unknown as Cluster5,
        commandOn: (port, args) => {
          const node = client.nodes('master').find((candidate) => candidate.options.port === port);
          if (node === undefined)
            throw new Error(`the cluster client has no connection to a master on ${port}`);
          return node.call(args[0]!, ...args.slice(1));
        },
        close: async () => client.disconnect(),
      };
    },
  };
}

const nodeRedis: RedisClientKind = {
  name: 'node-redis 5',
  async standalone(url) {
    const client = createClient({ url });
    client.on('error', () => {});
    // Not awaited: with the server down, connect() waits for it while the client retries, as in an app that
    // starts before Redis; commands wait in its queue meanwhile.
    const connecting = client.connect().catch(() => {});
    return {
      client,
      commandOn: (_port, args) => client.sendCommand([...args]),
      close: async () => {
        client.destroy();
        await connecting;
      },
    };
  },
  async cluster(startupNodes) {
    const client = createCluster({
      rootNodes: startupNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
    });
    client.on('error', () => {});
    await client.connect();
    return {
      client,
      commandOn: async (port, args) => {
        const shard = client.masters.find((node) => node.port === port);
        if (shard === undefined) throw new Error(`the cluster client has no master on ${port}`);
        return (await client.nodeClient(shard)).sendCommand([...args]);
      },
      close: async () => client.destroy(),
    };
  },
};

/**
 * Whether this run maps `ioredis` to ioredis 6 (the jest project "ioredis 6 as the peer"): the packages then
 * resolve ioredis 6 themselves, as in an app whose only ioredis is 6.
 */
const ioredisIs6 = (Redis5 as unknown) === Redis6;

/**
 * Every Redis client the packages accept (their peer ranges: ioredis 5 and 6, node-redis 5), for suites that
 * must hold on each: `describe.each(redisClientKinds)`. Normally the packages resolve ioredis 5 and an ioredis
 * 6 client comes from another copy; in the run with ioredis 6 as the peer, the one kind is ioredis 6 as the
 * packages' own.
 */
export const redisClientKinds: readonly RedisClientKind[] = ioredisIs6
  ? [ioredisKind('ioredis 6 as the peer', Redis6, Cluster6)]
  : [ioredisKind('ioredis 5', Redis5, Cluster5), ioredisKind('ioredis 6', Redis6, Cluster6), nodeRedis];
