import type { SqlTable } from './sql-table.ts';

/** The parameter types ASP.NET Core's SqlServerCache binds (FORMATS §5.2). */
export type SqlParameterType = 'NVarChar(449)' | 'VarBinary(MAX)' | 'BigInt' | 'DateTimeOffset' | 'Int';

export interface SqlParameter {
  name: string;
  type: SqlParameterType;
  value: string | Uint8Array | number | Date | null;
}

/** One batch to send: its text and its typed parameters. Built as data, so it can be tested without a server. */
export interface SqlCommand {
  text: string;
  parameters: SqlParameter[];
}

const id = (key: string): SqlParameter => ({ name: 'Id', type: 'NVarChar(449)', value: key });
const utcNow = (now: Date): SqlParameter => ({ name: 'UtcNow', type: 'DateTimeOffset', value: now });

/**
 * ASP.NET Core's statement, with DATEDIFF_BIG (SQL Server 2016+) for its DATEDIFF: an int, which overflows
 * (error 535) on every refresh of an entry whose absolute expiration is more than about 68 years away.
 */
function refreshText(table: SqlTable): string {
  return (
    `UPDATE ${table.qualified} SET ExpiresAtTime = (CASE WHEN DATEDIFF_BIG(SECOND, @UtcNow, AbsoluteExpiration) <= SlidingExpirationInSeconds THEN AbsoluteExpiration ELSE DATEADD(SECOND, SlidingExpirationInSeconds, @UtcNow) END) ` +
    'WHERE Id = @Id AND @UtcNow <= ExpiresAtTime AND SlidingExpirationInSeconds IS NOT NULL AND (AbsoluteExpiration IS NULL OR AbsoluteExpiration <> ExpiresAtTime) ;'
  );
}

/** Extends a sliding entry, never past its absolute expiration. */
export function refreshCommand(table: SqlTable, key: string, now: Date): SqlCommand {
  return { text: refreshText(table), parameters: [id(key), utcNow(now)] };
}

/** The refresh and the read in one batch: one round trip, as ASP.NET Core does. */
export function getCommand(table: SqlTable, key: string, now: Date): SqlCommand {
  return {
    text: `${refreshText(table)}SELECT Value FROM ${table.qualified} WHERE Id = @Id AND @UtcNow <= ExpiresAtTime;`,
    parameters: [id(key), utcNow(now)],
  };
}

/** Upsert: update the row, insert it if there was none. */
export function setCommand(
  table: SqlTable,
  key: string,
  value: Uint8Array,
  slidingSeconds: number | null,
  absolute: Date | null,
  now: Date,
): SqlCommand {
  return {
    text:
      'DECLARE @ExpiresAtTime DATETIMEOFFSET;' +
      'SET @ExpiresAtTime = (CASE WHEN (@SlidingExpirationInSeconds IS NUll) THEN @AbsoluteExpiration ELSE DATEADD(SECOND, Convert(bigint, @SlidingExpirationInSeconds), @UtcNow) END);' +
      `UPDATE ${table.qualified} SET Value = @Value, ExpiresAtTime = @ExpiresAtTime, SlidingExpirationInSeconds = @SlidingExpirationInSeconds, AbsoluteExpiration = @AbsoluteExpiration WHERE Id = @Id ` +
      `IF (@@ROWCOUNT = 0) BEGIN INSERT INTO ${table.qualified} (Id, Value, ExpiresAtTime, SlidingExpirationInSeconds, AbsoluteExpiration) VALUES (@Id, @Value, @ExpiresAtTime, @SlidingExpirationInSeconds, @AbsoluteExpiration); END `,
    parameters: [
      id(key),
      { name: 'Value', type: 'VarBinary(MAX)', value },
      { name: 'SlidingExpirationInSeconds', type: 'BigInt', value: slidingSeconds },
      { name: 'AbsoluteExpiration', type: 'DateTimeOffset', value: absolute },
      utcNow(now),
    ],
  };
}

/**
 * The conditional write (ConditionalSet) in one batch: with @Expected (the SHA-256 of the bytes read), an
 * update of the live row holding them; without, an insert where no live row is (an expired one is deleted
 * first). Answers one row, Written: 1 when it wrote, 0 when the entry had changed. Two inserts racing for a
 * new key end with one duplicate-key error, which the cache reads as "changed".
 */
export function setIfUnchangedCommand(
  table: SqlTable,
  key: string,
  value: Uint8Array,
  expectedHash: Uint8Array | null,
  slidingSeconds: number | null,
  absolute: Date | null,
  now: Date,
): SqlCommand {
  const columns =
    'Value = @Value, ExpiresAtTime = @ExpiresAtTime, SlidingExpirationInSeconds = @SlidingExpirationInSeconds, AbsoluteExpiration = @AbsoluteExpiration';
  return {
    text:
      'DECLARE @ExpiresAtTime DATETIMEOFFSET; DECLARE @Written INT = 0;' +
      'SET @ExpiresAtTime = (CASE WHEN (@SlidingExpirationInSeconds IS NUll) THEN @AbsoluteExpiration ELSE DATEADD(SECOND, Convert(bigint, @SlidingExpirationInSeconds), @UtcNow) END);' +
      'IF (@Expected IS NULL) BEGIN ' +
      `DELETE FROM ${table.qualified} WHERE Id = @Id AND @UtcNow > ExpiresAtTime; ` +
      `IF NOT EXISTS (SELECT 1 FROM ${table.qualified} WHERE Id = @Id) BEGIN ` +
      `INSERT INTO ${table.qualified} (Id, Value, ExpiresAtTime, SlidingExpirationInSeconds, AbsoluteExpiration) VALUES (@Id, @Value, @ExpiresAtTime, @SlidingExpirationInSeconds, @AbsoluteExpiration); ` +
      'SET @Written = @@ROWCOUNT; END END ELSE BEGIN ' +
      `UPDATE ${table.qualified} SET ${columns} WHERE Id = @Id AND @UtcNow <= ExpiresAtTime AND HASHBYTES('SHA2_256', Value) = @Expected; ` +
      'SET @Written = @@ROWCOUNT; END ' +
      'SELECT @Written AS Written;',
    parameters: [
      id(key),
      { name: 'Value', type: 'VarBinary(MAX)', value },
      { name: 'Expected', type: 'VarBinary(MAX)', value: expectedHash },
      { name: 'SlidingExpirationInSeconds', type: 'BigInt', value: slidingSeconds },
      { name: 'AbsoluteExpiration', type: 'DateTimeOffset', value: absolute },
      utcNow(now),
    ],
  };
}

export function removeCommand(table: SqlTable, key: string): SqlCommand {
  return { text: `DELETE FROM ${table.qualified} WHERE Id = @Id`, parameters: [id(key)] };
}

/**
 * One batch of the expired-row sweep. ASP.NET Core deletes every expired row in one statement, which
 * escalates to a table lock on big tables and blocks every instance; deleting TOP (n) at a time keeps
 * each statement's locks small.
 */
export function deleteExpiredBatchCommand(table: SqlTable, now: Date, batchSize: number): SqlCommand {
  return {
    text: `DELETE TOP (@BatchSize) FROM ${table.qualified} WHERE @UtcNow > ExpiresAtTime`,
    parameters: [utcNow(now), { name: 'BatchSize', type: 'Int', value: batchSize }],
  };
}
