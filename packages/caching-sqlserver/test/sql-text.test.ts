// What SqlServerCache sends, checked without a server: the DDL, the statements, their parameter types and
// the expiration arithmetic are ASP.NET Core's (FORMATS §5), so both share one table.
import { resolveEntryOptions } from '@sharedstate/caching-abstractions';
import {
  createTableScript,
  deleteExpiredBatchCommand,
  getCommand,
  refreshCommand,
  removeCommand,
  setCommand,
  setIfUnchangedCommand,
  sqlExpiration,
  sqlTable,
} from '@sharedstate/caching-sqlserver';

const table = sqlTable('dbo', 'SessionCache');
const now = new Date('2030-01-01T00:00:00Z');
const squash = (sql: string) => sql.replace(/\s+/g, ' ').trim();

describe('DDL (§5.1)', () => {
  test('the create script is dotnet sql-cache’s, statement for statement', () => {
    expect(createTableScript(table, false)).toBe(
      'CREATE TABLE [dbo].[SessionCache](Id nvarchar(449) COLLATE SQL_Latin1_General_CP1_CS_AS NOT NULL, Value varbinary(MAX) NOT NULL, ExpiresAtTime datetimeoffset NOT NULL, SlidingExpirationInSeconds bigint NULL,AbsoluteExpiration datetimeoffset NULL, PRIMARY KEY (Id))\n' +
        'CREATE NONCLUSTERED INDEX Index_ExpiresAtTime ON [dbo].[SessionCache](ExpiresAtTime)\n',
    );
  });

  test('the idempotent script creates only when INFORMATION_SCHEMA has no such table', () => {
    expect(createTableScript(table, true)).toBe(
      "IF NOT EXISTS (SELECT TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'dbo' AND TABLE_NAME = 'SessionCache')\nBEGIN\n" +
        createTableScript(table, false) +
        'END\n',
    );
  });

  test('names are bracket-quoted with ] doubled and literals with quotes doubled; bad names are refused', () => {
    const odd = sqlTable("o'brien", 'ca]che');
    expect(odd.qualified).toBe("[o'brien].[ca]]che]");
    expect(createTableScript(odd, true)).toContain("TABLE_SCHEMA = 'o''brien' AND TABLE_NAME = 'ca]che'");
    expect(() => sqlTable('', 'x')).toThrow(/schemaName/);
    expect(() => sqlTable('dbo', 'x'.repeat(129))).toThrow(/tableName/);
    expect(() => sqlTable('dbo', 'a\nb')).toThrow(/control characters/);
  });
});

describe('statements and parameter types (§5.2)', () => {
  test('get is the sliding refresh and the read in one batch', () => {
    const command = getCommand(table, 'k', now);
    expect(squash(command.text)).toBe(
      squash(`UPDATE [dbo].[SessionCache] SET ExpiresAtTime = (CASE WHEN DATEDIFF_BIG(SECOND, @UtcNow, AbsoluteExpiration) <= SlidingExpirationInSeconds
        THEN AbsoluteExpiration ELSE DATEADD(SECOND, SlidingExpirationInSeconds, @UtcNow) END)
        WHERE Id = @Id AND @UtcNow <= ExpiresAtTime AND SlidingExpirationInSeconds IS NOT NULL
        AND (AbsoluteExpiration IS NULL OR AbsoluteExpiration <> ExpiresAtTime) ;SELECT Value FROM [dbo].[SessionCache] WHERE Id = @Id AND @UtcNow <= ExpiresAtTime;`),
    );
    expect(command.parameters.map((p) => [p.name, p.type])).toEqual([
      ['Id', 'NVarChar(449)'],
      ['UtcNow', 'DateTimeOffset'],
    ]);
    expect(refreshCommand(table, 'k', now).text).toBe(command.text.slice(0, command.text.indexOf('SELECT')));
  });

  test('set is ASP.NET Core’s upsert with its parameter types', () => {
    const command = setCommand(table, 'k', Uint8Array.of(1), 1200, null, now);
    expect(squash(command.text)).toBe(
      squash(`DECLARE @ExpiresAtTime DATETIMEOFFSET;SET @ExpiresAtTime = (CASE WHEN (@SlidingExpirationInSeconds IS NUll) THEN @AbsoluteExpiration
        ELSE DATEADD(SECOND, Convert(bigint, @SlidingExpirationInSeconds), @UtcNow) END);UPDATE [dbo].[SessionCache] SET Value = @Value, ExpiresAtTime = @ExpiresAtTime, SlidingExpirationInSeconds = @SlidingExpirationInSeconds,
        AbsoluteExpiration = @AbsoluteExpiration WHERE Id = @Id IF (@@ROWCOUNT = 0) BEGIN INSERT INTO [dbo].[SessionCache] (Id, Value, ExpiresAtTime, SlidingExpirationInSeconds, AbsoluteExpiration)
        VALUES (@Id, @Value, @ExpiresAtTime, @SlidingExpirationInSeconds, @AbsoluteExpiration); END`),
    );
    expect(command.parameters.map((p) => [p.name, p.type])).toEqual([
      ['Id', 'NVarChar(449)'],
      ['Value', 'VarBinary(MAX)'],
      ['SlidingExpirationInSeconds', 'BigInt'],
      ['AbsoluteExpiration', 'DateTimeOffset'],
      ['UtcNow', 'DateTimeOffset'],
    ]);
  });

  test('the conditional write updates the live row holding the hash read, or inserts where none is live', () => {
    const hash = Uint8Array.of(9, 9);
    const command = setIfUnchangedCommand(
      table,
      "'; DROP TABLE x; --",
      Uint8Array.of(1),
      hash,
      1200,
      null,
      now,
    );
    expect(command.text).toContain(
      "UPDATE [dbo].[SessionCache] SET Value = @Value, ExpiresAtTime = @ExpiresAtTime, SlidingExpirationInSeconds = @SlidingExpirationInSeconds, AbsoluteExpiration = @AbsoluteExpiration WHERE Id = @Id AND @UtcNow <= ExpiresAtTime AND HASHBYTES('SHA2_256', Value) = @Expected;",
    );
    expect(command.text).toContain(
      'DELETE FROM [dbo].[SessionCache] WHERE Id = @Id AND @UtcNow > ExpiresAtTime;',
    );
    expect(command.text.endsWith('SELECT @Written AS Written;')).toBe(true);
    expect(command.text).not.toContain('DROP TABLE');
    expect(command.parameters.map((p) => [p.name, p.type, p.value])).toEqual([
      ['Id', 'NVarChar(449)', "'; DROP TABLE x; --"],
      ['Value', 'VarBinary(MAX)', Uint8Array.of(1)],
      ['Expected', 'VarBinary(MAX)', hash],
      ['SlidingExpirationInSeconds', 'BigInt', 1200],
      ['AbsoluteExpiration', 'DateTimeOffset', null],
      ['UtcNow', 'DateTimeOffset', now],
    ]);
  });

  test('remove deletes one row; the sweep deletes expired rows in bounded batches', () => {
    expect(removeCommand(table, 'k').text).toBe('DELETE FROM [dbo].[SessionCache] WHERE Id = @Id');
    const sweep = deleteExpiredBatchCommand(table, now, 500);
    expect(sweep.text).toBe(
      'DELETE TOP (@BatchSize) FROM [dbo].[SessionCache] WHERE @UtcNow > ExpiresAtTime',
    );
    expect(sweep.parameters).toEqual([
      { name: 'UtcNow', type: 'DateTimeOffset', value: now },
      { name: 'BatchSize', type: 'Int', value: 500 },
    ]);
  });

  test('values are always parameters, never text', () => {
    const command = setCommand(table, "'; DROP TABLE x; --", Uint8Array.of(1), 60, null, now);
    expect(command.text).not.toContain('DROP TABLE');
  });
});

describe('expiration columns (§5.3, §8.9)', () => {
  const at = now.getTime();
  test('a 20-minute session: SlidingExpirationInSeconds 1200, no absolute expiration', () => {
    expect(sqlExpiration(resolveEntryOptions({ slidingExpiration: '20m' }, at), 1_200_000)).toEqual({
      slidingSeconds: 1200,
      absolute: null,
    });
  });
  test('no expiration given: the default sliding expiration applies', () => {
    expect(sqlExpiration(resolveEntryOptions(undefined, at), 600_000)).toEqual({
      slidingSeconds: 600,
      absolute: null,
    });
  });
  test('absolute only: no sliding seconds, the absolute time as given', () => {
    expect(
      sqlExpiration(resolveEntryOptions({ absoluteExpirationRelativeToNow: '1h' }, at), 1_200_000),
    ).toEqual({
      slidingSeconds: null,
      absolute: new Date('2030-01-01T01:00:00Z'),
    });
  });
  test('a sliding window SQL Server cannot renew (over 2^31 - 1 seconds) is refused at set time', () => {
    const seventyYears = 70 * 365 * 24 * 3_600_000;
    expect(() =>
      sqlExpiration(resolveEntryOptions({ slidingExpiration: seventyYears }, at), 1_200_000),
    ).toThrow(/about 68 years/);
  });
  test('sub-second sliding windows become one second (SQL Server keeps whole seconds)', () => {
    expect(sqlExpiration(resolveEntryOptions({ slidingExpiration: 300 }, at), 1_200_000).slidingSeconds).toBe(
      1,
    );
  });
});
