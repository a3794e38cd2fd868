// Redis going away and coming back: operations fail fast with a typed error while it is down and work
// again, on the same objects, once it is back.
import { CacheUnavailableError } from '@sharedstate/caching-abstractions';
import { RedisCache } from '@sharedstate/caching-redis';
import {
  describeWithService,
  type RedisCluster,
  redisCli,
  redisClientKinds,
  services,
} from '@sharedstate/testing';

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
  const whileDown = (cache: RedisCache) =>
    [
      ['get', () => cache.get('before')],
      ['set', () => cache.set('during', Buffer.from('x'))],
      ['refresh', () => cache.refresh('before')],
      ['remove', () => cache.remove('before')],
    ] as const;

  /** Every operation fails fast while Redis is down; after it restarts, the same cache reads and writes. */
  async function expectOutageAndRecovery(cache: RedisCache, timeoutMs: number): Promise<void> {
    await cache.set('before', Buffer.from('kept?'));
    await server().kill();
    for (const [name, operation] of whileDown(cache)) {
      const started = Date.now();
      await expect(operation()).rejects.toThrow(CacheUnavailableError);
      expect({ name, elapsed: Date.now() - started < timeoutMs + 500 }).toEqual({ name, elapsed: true });
    }
    await server().restart();
    await eventually(() => cache.set('after', Buffer.from('back')), 20_000);
    expect(Buffer.from((await cache.get('after'))!).toString()).toBe('back');
  }

  test('the client the cache makes: while it is down every operation fails within the timeout with CacheUnavailableError; after, the same cache works', async () => {
    const cache = new RedisCache({ connection: server().url, operationTimeout: '2s' });
    try {
      await expectOutageAndRecovery(cache, 2_000);
    } finally {
      await cache.close();
    }
  }, 60_000);

  test.each(redisClientKinds)(
    'an app’s $name client: the same',
    async (kind) => {
      const made = await kind.standalone(server().url, { failQueuedCommands: true });
      const cache = new RedisCache({ redis: made.client, operationTimeout: '1500ms' });
      try {
        await expectOutageAndRecovery(cache, 1_500);
      } finally {
        await made.close();
      }
    },
    60_000,
  );
});

describe.each(redisClientKinds)('$name', (kind) => {
  describeWithService(
    services.redisCluster({ masters: 3, replicasPerMaster: 1 }),
    `a Redis Cluster loses a master (${kind.name} cluster client)`,
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

      // node-redis refreshes its slot map only on MOVED/ASK replies (redis/node-redis#2806): with a master
      // dead, its slots' commands fail on the dead connection and never see a MOVED; the cache asks it to
      // rediscover.
      test('the replica is promoted and reads and writes resume on the same cache, without a restart', async () => {
        const made = await kind.cluster(cluster().startupNodes);
        const cache = new RedisCache({
          redis: made.client,
          instanceName: 'failover:',
          operationTimeout: '2s',
        });
        try {
          await cache.set('survivor', Buffer.from('replicated'));
          const master = await cluster().masterFor('failover:survivor');
          // Make sure the replica has the write before its master dies. WAIT counts the replicas that have
          // the writes of the connection it is sent on, so it goes over the client's own connection to that
          // master (from redis-cli it would return at once, whether or not the write had been replicated).
          expect(await made.commandOn(master.port, ['WAIT', '1', '2000'])).toBe(1);
          await killAndAwaitFailover(cluster(), master.port, 'failover:survivor');
          // During the switch a node may still answer for the slot from a stale view; wait for the value.
          const value = await eventually(async () => {
            const found = await cache.get('survivor');
            if (found === undefined)
              throw new Error(
                `the replicated value is not visible yet; ${await whereIs('failover:survivor')}`,
              );
            return found;
          }, 20_000);
          expect(Buffer.from(value!).toString()).toBe('replicated');
          await eventually(() => cache.set('survivor', Buffer.from('written after failover')), 20_000);
          expect(Buffer.from((await cache.get('survivor'))!).toString()).toBe('written after failover');
          const promoted = await cluster().masterFor('failover:survivor');
          expect(promoted.port).not.toBe(master.port);
        } finally {
          await made.close();
        }
      }, 90_000);
    },
  );
});
