import { createDataProtection } from '@sharedstate/dataprotection-core';
import { RedisXmlRepository } from '@sharedstate/dataprotection-redis';
import { describeWithService, services } from '@sharedstate/testing';
import { Cluster, Redis } from 'ioredis';
import { describeRedisRepositoryConformance } from './redis-repository-conformance.ts';

describeWithService(services.redis(), 'RedisXmlRepository on a standalone Redis', (server) => {
  const clients: Redis[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });
  const client = () => {
    const redis = new Redis(server().url);
    clients.push(redis);
    return redis;
  };

  describeRedisRepositoryConformance('RedisXmlRepository', 'dp-conformance', () => new Redis(server().url));

  test('keys are a list of compact XML under DataProtection-Keys, as ASP.NET Core stores them', async () => {
    const redis = client();
    await redis.del('DataProtection-Keys');
    const provider = createDataProtection({
      logger: false,
      applicationName: 'shop',
      repository: new RedisXmlRepository({ redis }),
    });
    const token = await provider.createProtector('p').protect('x');
    expect(await redis.type('DataProtection-Keys')).toBe('list');
    expect(await redis.ttl('DataProtection-Keys')).toBe(-1);
    const [stored] = await redis.lrange('DataProtection-Keys', 0, -1);
    expect(stored).toMatch(/^<key id="[0-9a-f-]{36}" version="1"><creationDate>/);
    expect(stored).not.toContain('<?xml');
    expect(stored).not.toContain('\n');
    const other = createDataProtection({
      logger: false,
      applicationName: 'shop',
      repository: new RedisXmlRepository({ redis: client() }),
    });
    expect(await other.createProtector('p').unprotect(token)).toBe('x');
  });

  test('a key ring element pushed by ASP.NET Core is read', async () => {
    const redis = client();
    const key = 'dp-from-dotnet';
    await redis.del(key);
    await redis.rpush(
      key,
      '<key id="3d6d01fd-c0e7-44ae-82dd-013b996b4093" version="1"><creationDate>2030-01-01T00:00:00.1234567Z</creationDate><activationDate>2030-01-01T00:00:00Z</activationDate><expirationDate>2030-04-01T00:00:00Z</expirationDate><descriptor deserializerType="Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel.AuthenticatedEncryptorDescriptorDeserializer, Microsoft.AspNetCore.DataProtection, Version=8.0.0.0, Culture=neutral, PublicKeyToken=adb9793829ddae60"><descriptor><encryption algorithm="AES_256_CBC" /><validation algorithm="HMACSHA256" /><masterKey p4:requiresEncryption="true" xmlns:p4="http://schemas.asp.net/2015/03/dataProtection"><!-- Warning: the key below is in an unencrypted form. --><value>k88VrwGLINfVAqzlAp7U4EAjdlmUG17c756McQGdjHU8Ajkfc/A3YOKdqlMcF6dXaIxATED+g2f62wkRRRRRzA==</value></masterKey></descriptor></descriptor></key>',
    );
    const provider = createDataProtection({
      logger: false,
      applicationName: null,
      repository: new RedisXmlRepository({ redis, key }),
      clock: { now: () => Date.UTC(2030, 1, 1) },
      autoGenerateKeys: false,
    });
    // FORMATS §8.8 V3, protected by ASP.NET Core with this key.
    const v3 =
      'CfDJ8P0BbT3nwK5Egt0BO5lrQJMAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH5bFEUC0BbUlF5AJn55cY44OqxPG23VDm9JTDiPyNXXjea7OmYYtgX3xNx9W0th9zg';
    expect(await provider.createProtector('MyPurpose', 'SubPurpose').unprotect(v3)).toBe('Hello, World!');
  });

  test('options are checked at construction', () => {
    expect(() => new RedisXmlRepository({} as never)).toThrow(/ioredis/);
    expect(() => new RedisXmlRepository({ redis: client(), key: '' })).toThrow(/key/);
    // A misspelt key would put the ring in DataProtection-Keys while other instances read their own list.
    expect(() => new RedisXmlRepository({ redis: client(), keyName: 'shop-keys' } as never)).toThrow(
      "Unknown RedisXmlRepository option 'keyName': the options are redis, key, operationTimeout.",
    );
  });
});

describeWithService(
  services.redisCluster({ masters: 3, replicasPerMaster: 1 }),
  'RedisXmlRepository on a Redis Cluster',
  (cluster) => {
    describeRedisRepositoryConformance(
      'RedisXmlRepository (Cluster)',
      'dp-cluster',
      () => new Cluster([...cluster().startupNodes]),
    );
  },
);
