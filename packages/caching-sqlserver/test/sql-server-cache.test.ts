// Against a real SQL Server: from MSSQL_CONNECTION_STRING, or testcontainers where a Docker engine runs
// (the GitHub workflow provides one as a service container). Skipped with the reason otherwise: SQL Server
// cannot be installed on the Debian test machines.
import { describeCacheConformance, realTiming } from '@sharedstate/caching-abstractions/testing';
import { runSqlCacheCli, SqlServerCache } from '@sharedstate/caching-sqlserver';
import { describeWithService, services } from '@sharedstate/testing';
import mssql from 'mssql';

const quiet = { out: () => {}, err: () => {} };

describeWithService(services.sqlServer(), 'SqlServerCache on SQL Server', (server) => {
  let pool: mssql.ConnectionPool;
  const table = `SessionCache_${process.pid}`;
  beforeAll(async () => {
    expect(
      await runSqlCacheCli(
        ['create', '--connection', server().connectionString, '--schema', 'dbo', '--table', table],
        quiet,
      ),
    ).toBe(0);
    pool = await new mssql.ConnectionPool(server().connectionString).connect();
  }, 60_000);
  afterAll(async () => {
    await pool.request().query(`DROP TABLE [dbo].[${table}]`);
    await pool.close();
  });

  test('create refuses an existing table with exit code 1', async () => {
    expect(
      await runSqlCacheCli(
        ['create', '--connection', server().connectionString, '--schema', 'dbo', '--table', table],
        quiet,
      ),
    ).toBe(1);
  });

  // SQL Server keeps whole seconds: 1.5 s units keep each timed case well clear of the rounding.
  describeCacheConformance('SqlServerCache', {
    createCache: () => new SqlServerCache({ pool, schemaName: 'dbo', tableName: table }),
    timing: realTiming(1_500),
    conditionalSet: true,
    diagnostics: { provider: 'SqlServerCache', system: 'microsoft.sql_server' },
  });

  test('an entry with a sliding window and an absolute expiration a century away can be read and renewed', async () => {
    const cache = new SqlServerCache({ pool, schemaName: 'dbo', tableName: table });
    const century = new Date(Date.now() + 100 * 365 * 24 * 3_600_000);
    await cache.set('far-future', Buffer.from('kept'), {
      slidingExpiration: '20m',
      absoluteExpiration: century,
    });
    expect(Buffer.from((await cache.get('far-future'))!).toString()).toBe('kept');
    await cache.refresh('far-future');
  });

  test('a 20-minute session row is laid out as ASP.NET Core writes it (§8.9)', async () => {
    const cache = new SqlServerCache({ pool, schemaName: 'dbo', tableName: table });
    await cache.set('382c74c3-721d-4f34-80e5-57657b6cbc27', Buffer.from('blob'), {
      slidingExpiration: '20m',
    });
    const row = (
      await pool
        .request()
        .query(
          `SELECT SlidingExpirationInSeconds, AbsoluteExpiration, DATEDIFF(SECOND, SYSUTCDATETIME(), ExpiresAtTime) AS SecondsLeft FROM [dbo].[${table}] WHERE Id = '382c74c3-721d-4f34-80e5-57657b6cbc27'`,
        )
    ).recordset[0];
    expect(Number(row.SlidingExpirationInSeconds)).toBe(1200);
    expect(row.AbsoluteExpiration).toBeNull();
    expect(row.SecondsLeft).toBeGreaterThan(1190);
  });

  test('the sweep deletes expired rows in batches', async () => {
    let clockNow = Date.now();
    const cache = new SqlServerCache({
      pool,
      schemaName: 'dbo',
      tableName: table,
      deleteBatchSize: 3,
      clock: { now: () => clockNow },
    });
    for (let i = 0; i < 7; i++)
      await cache.set(`sweep-${i}`, Buffer.from('x'), { absoluteExpirationRelativeToNow: '1m' });
    clockNow += 120_000;
    expect(await cache.deleteExpired()).toBeGreaterThanOrEqual(7);
  });
});

describe('SqlServerCache options', () => {
  const pool = new mssql.ConnectionPool('Server=127.0.0.1;Database=x;User Id=u;Password=p');
  test('are checked at construction, naming the option', () => {
    expect(() => new SqlServerCache({ pool, schemaName: 'dbo', tableName: '' })).toThrow(/tableName/);
    expect(
      () =>
        new SqlServerCache({ pool, schemaName: 'dbo', tableName: 't', expiredItemsDeletionInterval: '1m' }),
    ).toThrow(/at least '5m'/);
    expect(
      () => new SqlServerCache({ pool, schemaName: 'dbo', tableName: 't', defaultSlidingExpiration: 0 }),
    ).toThrow(/defaultSlidingExpiration/);
    expect(() => new SqlServerCache({ schemaName: 'dbo', tableName: 't' })).toThrow(/pool/);
    expect(
      () => new SqlServerCache({ pool, schemaName: 'dbo', tableName: 't', logger: { warn() {} } as never }),
    ).toThrow(/logger must have debug, info, warn, error methods/);
    expect(
      () => new SqlServerCache({ pool, schemaName: 'dbo', tableName: 't', deleteBatchsize: 10 } as never),
    ).toThrow(
      /^Unknown SqlServerCache option 'deleteBatchsize': the options are pool, connection, schemaName/,
    );
    // ASP.NET Core's appsettings.json keys, carried over as they are.
    expect(
      () => new SqlServerCache({ ConnectionString: 'Server=x', SchemaName: 'dbo', TableName: 't' } as never),
    ).toThrow(
      "Unknown SqlServerCache option 'ConnectionString': use `connection` (an mssql config or connection string).",
    );
    expect(
      new SqlServerCache({ pool, schemaName: 'dbo', tableName: 't', expiredItemsDeletionInterval: false }),
    ).toBeInstanceOf(SqlServerCache);
  });
});
