import { describeWithService, redisCli, services, waitUntil } from '@sharedstate/testing';

describeWithService(services.redis({ spawn: true }), 'a spawned Redis', (redis) => {
  test('answers commands on its own loopback port', async () => {
    expect(await redisCli(redis().port, ['set', 'greeting', 'hi'])).toBe('OK');
    expect(await redisCli(redis().port, ['get', 'greeting'])).toBe('hi');
  });

  test('can be killed and restarted on the same port', async () => {
    const { port } = redis();
    await redis().kill();
    await expect(redisCli(port, ['ping'])).rejects.toThrow();
    await redis().restart();
    expect(redis().port).toBe(port);
    expect(await redisCli(port, ['ping'])).toBe('PONG');
  });
});

describeWithService(
  services.redisCluster({ masters: 3, replicasPerMaster: 1 }),
  'a local Redis Cluster',
  (cluster) => {
    test('has three masters with a replica each, and every slot is served', async () => {
      const first = cluster().startupNodes[0]!;
      const info = await redisCli(first.port, ['cluster', 'info']);
      expect(info).toContain('cluster_state:ok');
      expect(info).toContain('cluster_slots_assigned:16384');
      expect(info).toContain('cluster_known_nodes:6');
      const nodes = await redisCli(first.port, ['cluster', 'nodes']);
      expect(nodes.split('\n').filter((line) => line.includes('master'))).toHaveLength(3);
    });

    test('finds the master serving a key', async () => {
      const master = await cluster().masterFor('some-key');
      expect(await redisCli(master.port, ['set', 'some-key', 'v'])).toBe('OK');
    });
  },
);

describeWithService(services.redisSentinel(), 'a Redis Sentinel setup', (setup) => {
  test('the sentinel names the master and the replica follows it', async () => {
    const { sentinels, masterName, master, replica } = setup();
    const address = await redisCli(sentinels[0]!.port, ['sentinel', 'get-master-addr-by-name', masterName]);
    expect(address.split('\n')).toEqual([master.host, String(master.port)]);
    await redisCli(master.port, ['set', 'replicated', 'yes']);
    // Replication is asynchronous (and WAIT from another redis-cli connection would not wait for this write).
    await waitUntil(
      async () => (await redisCli(replica.port, ['get', 'replicated'])) === 'yes',
      'the replica to have the write',
      { timeoutMs: 5_000, intervalMs: 20 },
    );
  });
});
