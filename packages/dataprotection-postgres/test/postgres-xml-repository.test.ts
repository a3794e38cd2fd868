// Against a PostgreSQL of the test's own (initdb and postgres from Debian's package, on a free port).
import { fileURLToPath } from 'node:url';
import {
  createDataProtection,
  DataProtectionConfigurationError,
  KeyRevokedError,
  RepositoryUnavailableError,
} from '@sharedstate/dataprotection-core';
import { describeXmlRepositoryConformance } from '@sharedstate/dataprotection-core/testing';
import {
  dataProtectionKeysTableStatements,
  PostgresXmlRepository,
} from '@sharedstate/dataprotection-postgres';
import {
  describeWithService,
  type LocalPostgresServer,
  ManagedProcess,
  services,
  waitUntil,
} from '@sharedstate/testing';
import { countingPool } from '@sharedstate/testing/postgres';
import pg from 'pg';

const keyElement = (n: number) =>
  `<key id="00000000-0000-0000-0000-${String(n).padStart(12, '0')}" version="1"><creationDate>2030-01-01T00:00:00Z</creationDate></key>`;

describeWithService(
  services.postgres(),
  'PostgresXmlRepository on PostgreSQL',
  (server: () => LocalPostgresServer) => {
    const pools: pg.Pool[] = [];
    const pool = (max = 2) => {
      const created = new pg.Pool({ connectionString: server().url, max });
      // The outage test kills the server: idle connections of every pool then fail.
      created.on('error', () => {});
      pools.push(created);
      return created;
    };
    afterAll(async () => {
      await Promise.all(pools.map((p) => p.end()));
    });
    let tables = 0;

    describeXmlRepositoryConformance('PostgresXmlRepository', {
      async createStorage() {
        const tableName = `keys_${tables++}`;
        for (const statement of dataProtectionKeysTableStatements('public', tableName))
          await pool(1).query(statement);
        // Each open() is another instance, with a pool of its own.
        return {
          open: () => new PostgresXmlRepository({ pool: pool(), tableName }),
          async storeDamaged(text) {
            await pool(1).query(`INSERT INTO "${tableName}" ("FriendlyName", "Xml") VALUES ('damaged', $1)`, [
              text,
            ]);
          },
        };
      },
    });

    test("the table is EF Core's DataProtectionKeys, and a row ASP.NET Core wrote is read", async () => {
      const p = pool();
      const repository = new PostgresXmlRepository({ pool: p, createIfNotExists: true });
      await repository.getAllElements();
      const columns = await server().psql(
        `SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(identity_generation, '-'), ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'DataProtectionKeys'`,
      );
      expect(columns).toBe('Id integer NO BY DEFAULT, FriendlyName text YES -, Xml text YES -');
      // As EntityFrameworkCoreXmlRepository stores it: FriendlyName, and the element without formatting.
      await p.query('INSERT INTO "DataProtectionKeys" ("FriendlyName", "Xml") VALUES ($1, $2)', [
        'key-3d6d01fd-c0e7-44ae-82dd-013b996b4093',
        '<key id="3d6d01fd-c0e7-44ae-82dd-013b996b4093" version="1"><creationDate>2030-01-01T00:00:00.1234567Z</creationDate><activationDate>2030-01-01T00:00:00Z</activationDate><expirationDate>2030-04-01T00:00:00Z</expirationDate><descriptor deserializerType="Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel.AuthenticatedEncryptorDescriptorDeserializer, Microsoft.AspNetCore.DataProtection, Version=8.0.0.0, Culture=neutral, PublicKeyToken=adb9793829ddae60"><descriptor><encryption algorithm="AES_256_CBC" /><validation algorithm="HMACSHA256" /><masterKey p4:requiresEncryption="true" xmlns:p4="http://schemas.asp.net/2015/03/dataProtection"><!-- Warning: the key below is in an unencrypted form. --><value>k88VrwGLINfVAqzlAp7U4EAjdlmUG17c756McQGdjHU8Ajkfc/A3YOKdqlMcF6dXaIxATED+g2f62wkRRRRRzA==</value></masterKey></descriptor></descriptor></key>',
      ]);
      const provider = createDataProtection({
        logger: false,
        applicationName: null,
        repository: repository,
        clock: { now: () => Date.UTC(2030, 1, 1) },
        autoGenerateKeys: false,
      });
      // FORMATS §8.8 V3, protected by ASP.NET Core with this key.
      const v3 =
        'CfDJ8P0BbT3nwK5Egt0BO5lrQJMAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH5bFEUC0BbUlF5AJn55cY44OqxPG23VDm9JTDiPyNXXjea7OmYYtgX3xNx9W0th9zg';
      expect(await provider.createProtector('MyPurpose', 'SubPurpose').unprotect(v3)).toBe('Hello, World!');
      // What this library stores, ASP.NET Core reads the same way: one row, friendly name and compact XML.
      const ours = createDataProtection({ logger: false, applicationName: 'shop', repository });
      await ours.createProtector('p').protect('x');
      const [friendly, xml] = (
        await server().psql(
          'SELECT "FriendlyName" || \'|\' || "Xml" FROM "DataProtectionKeys" ORDER BY "Id" DESC LIMIT 1',
        )
      ).split('|');
      expect(friendly).toMatch(/^key-[0-9a-f-]{36}$/);
      expect(xml).toMatch(/^<key id="[0-9a-f-]{36}" version="1"><creationDate>/);
      expect(xml).not.toContain('\n');
    });

    test('ten processes storing at once lose no element', async () => {
      const tableName = 'keys_processes';
      for (const statement of dataProtectionKeysTableStatements('public', tableName))
        await pool(1).query(statement);
      const module = fileURLToPath(new URL('../src/index.ts', import.meta.url));
      // Each writer connects first, then all store at one moment; the lead leaves a slow machine time to start them.
      const startAt = Date.now() + 3_000;
      const writers = Array.from(
        { length: 10 },
        (_, i) =>
          new ManagedProcess(
            process.execPath,
            [
              '--input-type=module',
              '-e',
              `import { countingPool } from '@sharedstate/testing/postgres';
import pg from 'pg';
             import { PostgresXmlRepository } from ${JSON.stringify(module)};
             const pool = new pg.Pool({ connectionString: ${JSON.stringify(server().url)} });
             const repository = new PostgresXmlRepository({ pool, tableName: ${JSON.stringify(tableName)} });
             await repository.getAllElements();
             await new Promise((resolve) => setTimeout(resolve, Math.max(0, ${startAt} - Date.now())));
             await repository.storeElement(${JSON.stringify(keyElement(500 + i))}, 'key-${i}');
             await pool.end();`,
            ],
            { description: `key writer ${i}`, cwd: fileURLToPath(new URL('.', import.meta.url)) },
          ),
      );
      const codes = await Promise.all(writers.map((writer) => writer.exited));
      expect({ codes, output: writers.map((w) => w.output).join('') }).toEqual({
        codes: Array(10).fill(0),
        output: '',
      });
      const stored = await new PostgresXmlRepository({ pool: pool(), tableName }).getAllElements();
      expect([...stored].sort()).toEqual(Array.from({ length: 10 }, (_, i) => keyElement(500 + i)).sort());
    }, 60_000);

    test('a revocation by another process reaches a running instance within its check interval, at one small query per check', async () => {
      const tableName = 'keys_changes';
      const counting = countingPool({ connectionString: server().url, max: 2 });
      pools.push(counting);
      const running = createDataProtection({
        logger: false,
        applicationName: 'shop',
        repository: new PostgresXmlRepository({ pool: counting, tableName, createIfNotExists: true }),
        keyRingChangeCheckInterval: '1s',
      });
      const payload = await running.createProtector('p').protect('hello');
      const quiet = counting.statements.length;
      await new Promise((resolve) => setTimeout(resolve, 3_200));
      const sentWhileQuiet = counting.statements.slice(quiet);
      expect(sentWhileQuiet.length).toBeGreaterThanOrEqual(2);
      expect(sentWhileQuiet.length).toBeLessThanOrEqual(4);
      expect(sentWhileQuiet.every((text) => text.startsWith('SELECT count(*)'))).toBe(true);

      const operator = createDataProtection({
        logger: false,
        applicationName: 'shop',
        repository: new PostgresXmlRepository({ pool: pool(), tableName }),
        keyRingChangeCheckInterval: false,
      });
      const keyId = Buffer.from(payload, 'base64url').subarray(4, 20);
      const [key] = (await operator.keyManager.getAllKeys()).filter(
        (candidate) => Buffer.compare(Buffer.from(candidate.idBytes), keyId) === 0,
      );
      const revokedAt = performance.now();
      await operator.keyManager.revokeKey(key!.id, 'compromised');
      await waitUntil(
        () =>
          running
            .createProtector('p')
            .unprotect(payload)
            .then(
              () => false,
              (error: unknown) => error instanceof KeyRevokedError,
            ),
        'the running instance to refuse the revoked key',
        { timeoutMs: 5_000, intervalMs: 50 },
      );
      expect(performance.now() - revokedAt).toBeLessThan(2_000);
    }, 30_000);

    test('a missing table fails with how to create it; an outage with RepositoryUnavailableError, then recovers', async () => {
      const missing = new PostgresXmlRepository({ pool: pool(), tableName: 'NoSuchKeys' });
      await expect(missing.getAllElements()).rejects.toThrow(DataProtectionConfigurationError);
      await expect(missing.getAllElements()).rejects.toThrow(
        /"public"\."NoSuchKeys" does not exist: create it/,
      );

      const p = pool();
      const repository = new PostgresXmlRepository({
        pool: p,
        tableName: 'keys_outage',
        createIfNotExists: true,
        operationTimeout: '2s',
      });
      await repository.storeElement(keyElement(900), 'key-900');
      await server().kill();
      const started = performance.now();
      await expect(repository.getAllElements()).rejects.toThrow(RepositoryUnavailableError);
      expect(performance.now() - started).toBeLessThan(2_500);
      await server().restart();
      expect(await repository.getAllElements()).toEqual([keyElement(900)]);
    }, 60_000);

    test('options are checked when the repository is made', () => {
      expect(() => new PostgresXmlRepository({} as never)).toThrow(/needs `pool`/);
      expect(() => new PostgresXmlRepository({ pool: pool(), tableName: 'a"b' })).toThrow(
        /plain PostgreSQL name/,
      );
      expect(() => new PostgresXmlRepository({ pool: pool(), table: 'x' } as never)).toThrow(
        /Unknown PostgresXmlRepository option 'table'/,
      );
    });
  },
);
