// RedisXmlRepository with the app's node-redis (v5) client: the same list, read and written by the same
// conformance suite, on a standalone Redis and a Cluster.
import { createDataProtection } from '@sharedstate/dataprotection-core';
import { describeXmlRepositoryConformance } from '@sharedstate/dataprotection-core/testing';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { describeWithService, services } from '@sharedstate/testing';
import { createClient, createCluster } from 'redis';

type Client = ReturnType<typeof createClient> | ReturnType<typeof createCluster>;
let storage = 0;

function describeWithClients(title: string, connect: () => Client) {
  const clients: Client[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => {})));
  });
  const connected = async () => {
    const client = connect();
    client.on('error', () => {});
    clients.push(client);
    await client.connect();
    return client;
  };
  describeXmlRepositoryConformance(title, {
    createStorage() {
      const key = `node-redis-keys-${process.pid}-${storage++}`;
      return {
        open: async () => new RedisXmlRepository({ redis: await connected(), key }),
        storeDamaged: async (text) => void (await (await connected()).rPush(key, text)),
      };
    },
  });
  return connected;
}

describeWithService(services.redis(), 'RedisXmlRepository with a node-redis client', (server) => {
  const connected = describeWithClients('RedisXmlRepository (node-redis)', () =>
    createClient({ url: server().url }),
  );

  test('keys are the list ASP.NET Core reads: an ioredis-era ring and a node-redis one are the same list', async () => {
    const client = await connected();
    const key = `shared-ring-${process.pid}`;
    const provider = createDataProtection({
      logger: false,
      applicationName: 'shop',
      repository: new RedisXmlRepository({ redis: client, key }),
    });
    const token = await provider.createProtector('p').protect('x');
    expect(await client.type(key)).toBe('list');
    const [stored] = await client.lRange(key, 0, -1);
    expect(stored).toMatch(/^<key id="[0-9a-f-]{36}" version="1"><creationDate>/);
    const other = createDataProtection({
      logger: false,
      applicationName: 'shop',
      repository: new RedisXmlRepository({ redis: await connected(), key }),
    });
    expect(await other.createProtector('p').unprotect(token)).toBe('x');
  });
});

describeWithService(services.redisCluster(), 'RedisXmlRepository with a node-redis cluster', (cluster) => {
  describeWithClients('RedisXmlRepository (node-redis cluster)', () =>
    createCluster({
      rootNodes: cluster().startupNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
    }),
  );
});
