import { findExecutable } from './executable.ts';
import { freePortPair } from './free-port.ts';
import { redisCli } from './redis-cli.ts';
import { LocalRedisServer, type RedisEndpoint } from './redis-server.ts';
import { ServiceUnavailableError } from './service-unavailable.ts';
import { waitUntil } from './wait-until.ts';

export interface StartRedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
}

/** A local Redis Cluster: redis-server processes in cluster mode on loopback, joined by redis-cli. */
export interface RedisCluster {
  /** Every node, masters and replicas, as started. */
  readonly nodes: readonly LocalRedisServer[];
  /** Endpoints to hand to a cluster client. */
  readonly startupNodes: readonly RedisEndpoint[];
  /** The node currently serving as master for the slot of `key`. */
  masterFor(key: string): Promise<LocalRedisServer>;
  /** Waits until every live node agrees the cluster is healthy (e.g. after a failover). */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const CLUSTER_HINT =
  'install redis-server and redis-tools (apt-get install -y redis-server) or set REDIS_CLUSTER_NODES';

export function redisClusterAvailability(): string | undefined {
  if (process.env.REDIS_CLUSTER_NODES) return undefined;
  if (findExecutable('redis-server') === undefined || findExecutable('redis-cli') === undefined) {
    return `Redis Cluster is not available: ${CLUSTER_HINT}`;
  }
  return undefined;
}

function parseNodes(value: string): RedisEndpoint[] {
  return value.split(',').map((entry) => {
    const [host = '127.0.0.1', port = '6379'] = entry.trim().split(':');
    return { host, port: Number(port) };
  });
}

/**
 * Starts masters x (1 + replicasPerMaster) nodes and creates the cluster. With REDIS_CLUSTER_NODES
 * (host:port,host:port) set, uses that cluster instead and cannot kill its nodes.
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  const { masters = 3, replicasPerMaster = 1 } = options;
  const external = process.env.REDIS_CLUSTER_NODES;
  if (external) {
    const startupNodes = parseNodes(external);
    const unsupported = () =>
      Promise.reject(new Error('this test needs its own cluster; unset REDIS_CLUSTER_NODES'));
    return {
      nodes: [],
      startupNodes,
      masterFor: unsupported,
      waitUntilHealthy: async () => {},
      stop: async () => {},
    };
  }
  const unavailable = redisClusterAvailability();
  if (unavailable) throw new ServiceUnavailableError(unavailable);
  if (masters < 3) throw new Error('Redis Cluster needs at least 3 masters');

  const total = masters * (1 + replicasPerMaster);
  const nodes: LocalRedisServer[] = [];
  try {
    // Started one after another: the cluster bus port (port + 10000) must be free too.
    for (let i = 0; i < total; i++) {
      const port = await freePortPair(10_000);
      nodes.push(
        await LocalRedisServer.start({
          port,
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '2000',
            // Let a replica take over as soon as its master is gone, so failover tests stay short.
            '--cluster-replica-validity-factor',
            '0',
          ],
        }),
      );
    }
    const addresses = nodes.map((node) => `${node.host}:${node.port}`);
    await redisCli(nodes[0]!.port, [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      String(replicasPerMaster),
      '--cluster-yes',
    ]);
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }

  const cluster: RedisCluster = {
    nodes,
    startupNodes: nodes.map(({ host, port }) => ({ host, port })),
    async masterFor(key) {
      let slot: number | undefined;
      for (const node of nodes) {
        const answer = await redisCli(node.port, ['cluster', 'keyslot', key]).catch(() => undefined);
        if (answer !== undefined) {
          slot = Number(answer);
          break;
        }
      }
      if (slot === undefined) throw new Error('no cluster node answers');
      for (const node of nodes) {
        // A killed node does not answer; its replica may have taken its slots.
        const table = await redisCli(node.port, ['cluster', 'nodes']).catch(() => '');
        const myself = table.split('\n').find((line) => line.includes('myself'));
        if (myself?.includes('master') && ownsSlot(myself, slot)) return node;
      }
      throw new Error(`no live master owns slot ${slot}`);
    },
    async waitUntilHealthy(timeoutMs = 20_000) {
      await waitUntil(
        async () => {
          for (const node of nodes) {
            const info = await redisCli(node.port, ['cluster', 'info']).catch(() => undefined);
            if (info === undefined) continue; // a killed node
            if (!info.includes('cluster_state:ok')) return false;
          }
          return true;
        },
        'every live cluster node to report cluster_state:ok',
        { timeoutMs, intervalMs: 100 },
      );
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
  await cluster.waitUntilHealthy();
  // cluster_state:ok comes before every node has learnt which nodes are replicas; wait for the full topology.
  await waitUntil(
    async () => {
      for (const node of nodes) {
        const table = await redisCli(node.port, ['cluster', 'nodes']);
        const replicas = table.split('\n').filter((line) => line.split(' ')[2]?.includes('slave'));
        if (replicas.length !== masters * replicasPerMaster) return false;
      }
      return true;
    },
    'every node to see all replicas',
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  // A replica that has not finished its first sync would lose data in a failover test.
  await waitUntil(
    async () => {
      for (const node of nodes) {
        const replication = await redisCli(node.port, ['info', 'replication']);
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up'))
          return false;
      }
      return true;
    },
    'every replica to finish its first sync',
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  return cluster;
}

/** Whether a CLUSTER NODES line lists `slot` among its slot ranges. */
function ownsSlot(line: string, slot: number): boolean {
  return line
    .split(' ')
    .slice(8)
    .some((range) => {
      const [from, to = from] = range.split('-').map(Number);
      return from !== undefined && to !== undefined && slot >= from && slot <= to;
    });
}
