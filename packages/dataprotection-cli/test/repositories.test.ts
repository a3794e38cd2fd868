// sharedstate-keys against each shared repository it can name, on real servers.
import { BlobServiceClient } from '@azure/storage-blob';
import {
  type KeyDescription,
  type KeyListEntry,
  openRepository,
  type RepositoryOptions,
} from '@sharedstate/dataprotection-cli';
import { createDataProtection, KeyRevokedError } from '@sharedstate/dataprotection-core';
import { describeWithService, services } from '@sharedstate/testing';
import { Redis } from 'ioredis';
import { keysJson } from './cli-run.ts';

/**
 * new, list and revoke through the CLI's flags, while an app's provider holds the same ring: the app
 * protects with the new key, and refuses it after one change check once the CLI revoked it.
 */
async function manageRing(
  flags: string[],
  options: RepositoryOptions,
  storeDamaged?: (text: string) => Promise<unknown>,
) {
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
    if (storeDamaged === undefined) return;
    // A damaged element (well-formed, for a repository that keeps one document) is listed and removed alone.
    await storeDamaged(DAMAGED);
    const listed = await keysJson<KeyListEntry[]>('list', ...flags);
    expect(listed.filter((entry) => entry.status === 'invalid')).toMatchObject([
      { treatedAs: 'possible revocation' },
    ]);
    expect(await keysJson('remove-invalid', ...flags)).toMatchObject({
      removed: [{ treatedAs: 'possible revocation' }],
    });
    const after = await keysJson<KeyListEntry[]>('list', ...flags);
    expect(after).toEqual(listed.filter((entry) => entry.status !== 'invalid'));
  } finally {
    await opened.close();
  }
}

const DAMAGED = '<revocation version="1"><revocationDate>never</revocationDate><key id="*" /></revocation>';

const unique = () => `keys-cli-${process.pid}-${Date.now()}`;

describeWithService(services.redis(), 'sharedstate-keys on Redis', (server) => {
  test('manages the list an app reads', async () => {
    const key = unique();
    const redis = new Redis(server().url);
    try {
      await manageRing(
        ['--redis', server().url, '--redis-key', key],
        { redis: server().url, 'redis-key': key },
        (text) => redis.rpush(key, text),
      );
    } finally {
      redis.disconnect();
    }
  });

  test('an unreachable Redis fails with exit code 1 and says which host and port, and why', async () => {
    const { keys } = await import('./cli-run.ts');
    const { code, err } = await keys('list', '--redis', 'redis://127.0.0.1:1');
    expect(code).toBe(1);
    // Where and why, not ioredis's "Reached the max retries per request limit".
    expect(err).toMatch(/^Could not reach Redis at 127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1\.\n$/);
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
    const blob = BlobServiceClient.fromConnectionString(connection)
      .getContainerClient(container)
      .getBlockBlobClient('keys.xml');
    await manageRing(
      ['--azure-connection-string', connection, '--azure-container', container],
      { 'azure-connection-string': connection, 'azure-container': container },
      async (text) => {
        const body = (await blob.downloadToBuffer())
          .toString('utf8')
          .replace('</repository>', `${text}</repository>`);
        await blob.upload(body, Buffer.byteLength(body));
      },
    );
  });
});

describeWithService(services.postgres(), 'sharedstate-keys on PostgreSQL', (postgres) => {
  test("manages the DataProtectionKeys table an app reads (EF Core's layout)", async () => {
    await postgres().psql(
      'CREATE TABLE "OperatorKeys" ("Id" integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "FriendlyName" text NULL, "Xml" text NULL)',
    );
    await manageRing(
      ['--postgres', postgres().url, '--postgres-table', 'OperatorKeys'],
      { postgres: postgres().url, 'postgres-table': 'OperatorKeys' },
      (text) =>
        postgres().psql(`INSERT INTO "OperatorKeys" ("FriendlyName", "Xml") VALUES ('damaged', '${text}')`),
    );
    expect(
      await postgres().psql('SELECT string_agg("FriendlyName", \',\' ORDER BY "Id") FROM "OperatorKeys"'),
    ).toMatch(/^key-[0-9a-f-]{36},revocation-[^,]+$/);
  });

  test('an unreachable server fails with exit code 1 and says what could not be read', async () => {
    const { keys } = await import('./cli-run.ts');
    const { code, err } = await keys('list', '--postgres', 'postgres://postgres@127.0.0.1:1/postgres');
    expect(code).toBe(1);
    expect(err).toMatch(
      /Could not read the key ring in PostgresXmlRepository "public"\."DataProtectionKeys"/,
    );
  });
});
