// Redis going away and coming back: operations fail fast with a typed error while it is down and work
// again, on the same objects, once it is back.
import { CacheUnavailableError } from '@sharedstate/caching-abstractions';
import { RedisCache } from '@sharedstate/caching-redis';
import { describeWithService, type RedisCluster, redisCli, services } from '@sharedstate/testing';
import { Cluster, Redis } from 'ioredis';
import { createCluster } from 'redis';

async function eventually<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Kills the master on `port` and waits until the survivors noticed (node timeout 2 s), promoted its replica
 * for `key`, and the cluster is healthy again.
 */
async function killAndAwaitFailover(cluster: RedisCluster, port: number, key: string): Promise<void> {
  const master = cluster.nodes.find((node) => node.port === port)!;
  await master.kill();
  await eventually(async () => {
    const promoted = await cluster.masterFor(key);
    if (promoted.port === port) throw new Error('not failed over yet');
  }, 30_000);
  await cluster.waitUntilHealthy(30_000);
}

describeWithService(services.redis({ spawn: true }), 'a standalone Redis restarts', (server) => {
  test('while it is down every operation fails within the timeout with CacheUnavailableError; after, the same cache works', async () => {
    const cache = new RedisCache({ connection: server().url, operationTimeout: '2s' });
    const given = new Redis(server().url, { maxRetriesPerRequest: 1 });
    const onGiven = new RedisCache({ redis: given, operationTimeout: '1500ms' });
    try {
      await cache.set('before', Buffer.from('kept?'));
      await server().kill();
      for (const [name, operation] of [
        ['get', () => cache.get('before')],
        ['set', () => cache.set('during', Buffer.from('x'))],
        ['refresh', () => cache.refresh('before')],
        ['remove', () => cache.remove('before')],
        ['get on a client the app made', () => onGiven.get('before')],
      ] as const) {
        const started = Date.now();
        await expect(operation()).rejects.toThrow(CacheUnavailableError);
        expect({ name, elapsed: Date.now() - started < 2_500 }).toEqual({ name, elapsed: true });
      }
      await server().restart();
      await eventually(() => cache.set('after', Buffer.from('back')), 10_000);
      expect(Buffer.from((await cache.get('after'))!).toString()).toBe('back');
      await eventually(() => onGiven.set('after-given', Buffer.from('back too')), 10_000);
      expect(Buffer.from((await onGiven.get('after-given'))!).toString()).toBe('back too');
    } finally {
      await cache.close();
      given.disconnect();
    }
  }, 60_000);
});

describeWithService(
  services.redisCluster({ masters: 3, replicasPerMaster: 1 }),
  'a Redis Cluster loses a master',
  (cluster) => {
    /** Each live node's role and whether it holds the key: says what happened if the test fails. */
    const whereIs = async (key: string) => {
      const views = await Promise.all(
        cluster().nodes.map(async (node) => {
          const role = await redisCli(node.port, ['role']).catch(() => 'dead');
          if (role === 'dead') return `${node.port}: dead`;
          const exists = await redisCli(node.port, ['exists', key]).catch((e: Error) => e.message);
          return `${node.port}: ${role.split('\n')[0]}, exists=${exists}`;
        }),
      );
      return views.join('; ');
    };

    test('the replica is promoted and reads and writes resume on the same cache', async () => {
      const client = new Cluster([...cluster().startupNodes], { redisOptions: { maxRetriesPerRequest: 1 } });
      const cache = new RedisCache({ redis: client, instanceName: 'failover:', operationTimeout: '2s' });
      try {
        await cache.set('survivor', Buffer.from('replicated'));
        const master = await cluster().masterFor('failover:survivor');
        // Make sure the replica has the write before its master dies. WAIT counts the replicas that have the
        // writes of the connection it is sent on, so it goes over the client's own connection to that master
        // (from redis-cli it would return at once, whether or not the write had been replicated).
        const writer = client.nodes('master').find((node) => node.options.port === master.port)!;
        expect(await writer.call('wait', '1', '2000')).toBe(1);
        await killAndAwaitFailover(cluster(), master.port, 'failover:survivor');
        // During the switch a node may still answer for the slot from a stale view; wait for the value.
        const value = await eventually(async () => {
          const found = await cache.get('survivor');
          if (found === undefined)
            throw new Error(`the replicated value is not visible yet; ${await whereIs('failover:survivor')}`);
          return found;
        }, 20_000);
        expect(Buffer.from(value!).toString()).toBe('replicated');
        await eventually(() => cache.set('survivor', Buffer.from('written after failover')), 20_000);
        expect(Buffer.from((await cache.get('survivor'))!).toString()).toBe('written after failover');
        const promoted = await cluster().masterFor('failover:survivor');
        expect(promoted.port).not.toBe(master.port);
      } finally {
        client.disconnect();
      }
    }, 90_000);
  },
);

describeWithService(
  services.redisCluster({ masters: 3, replicasPerMaster: 1 }),
  'a Redis Cluster loses a master, with a node-redis cluster client',
  (cluster) => {
    // node-redis refreshes its slot map only on MOVED/ASK replies (redis/node-redis#2806): with a master dead,
    // its slots' commands fail on the dead connection and never see a MOVED.
    test('the replica is promoted and reads and writes resume on the same cache, without a restart', async () => {
      const client = createCluster({
        rootNodes: cluster().startupNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
      });
      client.on('error', () => {});
      await client.connect();
      const cache = new RedisCache({ redis: client, instanceName: 'failover-node:', operationTimeout: '2s' });
      try {
        await cache.set('survivor', Buffer.from('replicated'));
        const master = await cluster().masterFor('failover-node:survivor');
        // Give the replica the write before its master dies: WAIT on the connection that wrote it.
        const shard = client.masters.find((node) => node.port === master.port)!;
        expect(await (await client.nodeClient(shard)).sendCommand(['WAIT', '1', '2000'])).toBe(1);
        await killAndAwaitFailover(cluster(), master.port, 'failover-node:survivor');
        const value = await eventually(async () => {
          const found = await cache.get('survivor');
          if (found === undefined) throw new Error('the replicated value is not visible yet');
          return found;
        }, 20_000);
        expect(Buffer.from(value!).toString()).toBe('replicated');
        await eventually(() => cache.set('survivor', Buffer.from('written after failover')), 20_000);
        expect(Buffer.from((await cache.get('survivor'))!).toString()).toBe('written after failover');
      } finally {
        await client.destroy();
      }
    }, 90_000);
  },
);
