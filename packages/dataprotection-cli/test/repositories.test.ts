// sharedstate-keys against each shared repository it can name, on real servers.
import { BlobServiceClient } from '@azure/storage-blob';
import { type KeyDescription, openRepository, type RepositoryOptions } from '@sharedstate/dataprotection-cli';
import { createDataProtection, KeyRevokedError } from '@sharedstate/dataprotection-core';
import { describeWithService, services } from '@sharedstate/testing';
import { keysJson } from './cli-run.ts';

/**
 * new, list and revoke through the CLI's flags, while an app's provider holds the same ring: the app
 * protects with the new key, and refuses it after one change check once the CLI revoked it.
 */
async function manageRing(flags: string[], options: RepositoryOptions) {
  const opened = await openRepository(options);
  try {
    const app = createDataProtection({
      applicationName: 'shop',
      repository: opened.repository,
      keyRingChangeCheckInterval: false,
      autoGenerateKeys: false,
    });
    const created = await keysJson<KeyDescription>('new', ...flags);
    expect((await keysJson<KeyDescription[]>('list', ...flags)).map((key) => key.id)).toContain(created.id);
    const payload = await app.createProtector('p').protect('hello');
    await keysJson('revoke', ...flags, created.id);
    expect(
      (await keysJson<KeyDescription[]>('list', ...flags)).find((key) => key.id === created.id)?.status,
    ).toBe('revoked');
    expect(await app.checkForKeyRingChanges()).toBe(true);
    await expect(app.createProtector('p').unprotect(payload)).rejects.toThrow(KeyRevokedError);
  } finally {
    await opened.close();
  }
}

const unique = () => `keys-cli-${process.pid}-${Date.now()}`;

describeWithService(services.redis(), 'sharedstate-keys on Redis', (server) => {
  test('manages the list an app reads', async () => {
    const key = unique();
    await manageRing(['--redis', server().url, '--redis-key', key], {
      redis: server().url,
      'redis-key': key,
    });
  });

  test('an unreachable Redis fails with exit code 1 and says what could not be read', async () => {
    const { keys } = await import('./cli-run.ts');
    const { code, err } = await keys('list', '--redis', 'redis://127.0.0.1:1');
    expect(code).toBe(1);
    expect(err).toMatch(/Could not read the key ring in RedisXmlRepository 'DataProtection-Keys'/);
  });
});

describeWithService(services.redisCluster(), 'sharedstate-keys on a Redis Cluster', (cluster) => {
  test('manages the list an app reads', async () => {
    const key = unique();
    const nodes = cluster()
      .startupNodes.map(({ host, port }) => `redis://${host}:${port}`)
      .join(',');
    await manageRing(['--redis-cluster', nodes, '--redis-key', key], {
      'redis-cluster': nodes,
      'redis-key': key,
    });
  });
});

describeWithService(services.redisSentinel(), 'sharedstate-keys through Redis Sentinel', (setup) => {
  test('manages the list an app reads', async () => {
    const key = unique();
    const sentinels = setup()
      .sentinels.map(({ host, port }) => `${host}:${port}`)
      .join(',');
    const flags = [
      '--redis-sentinel',
      sentinels,
      '--sentinel-master',
      setup().masterName,
      '--redis-key',
      key,
    ];
    await manageRing(flags, {
      'redis-sentinel': sentinels,
      'sentinel-master': setup().masterName,
      'redis-key': key,
    });
  });
});

describeWithService(services.azurite(), 'sharedstate-keys on Azure Blob (Azurite)', (azurite) => {
  test('manages the blob an app reads', async () => {
    const container = unique();
    await BlobServiceClient.fromConnectionString(azurite().connectionString)
      .getContainerClient(container)
      .create();
    const connection = azurite().connectionString;
    await manageRing(['--azure-connection-string', connection, '--azure-container', container], {
      'azure-connection-string': connection,
      'azure-container': container,
    });
  });
});
