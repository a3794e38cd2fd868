import { CacheArgumentError } from '@sharedstate/caching-abstractions';

/** SQL Server identifiers are at most 128 characters. */
const MAX_IDENTIFIER = 128;

/** Bracket-quotes an identifier, doubling ']' as SQL Server requires; rejects what no table can be named. */
export function quoteIdentifier(name: string, option: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_IDENTIFIER) {
    throw new CacheArgumentError(
      `${option} must be a name of 1 to ${MAX_IDENTIFIER} characters; got '${String(name)}'.`,
    );
  }
  if ([...name].some((c) => c.charCodeAt(0) < 0x20)) {
    throw new CacheArgumentError(`${option} must not contain control characters.`);
  }
  return `[${name.replaceAll(']', ']]')}]`;
}

/** A string literal, with quotes doubled. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The cache table, validated and quoted once. */
export interface SqlTable {
  schema: string;
  table: string;
  /** `[schema].[table]` */
  qualified: string;
}

export function sqlTable(schemaName: string, tableName: string): SqlTable {
  return {
    schema: schemaName,
    table: tableName,
    qualified: `${quoteIdentifier(schemaName, 'schemaName')}.${quoteIdentifier(tableName, 'tableName')}`,
  };
}

/** ASP.NET Core's cache table (FORMATS §5.1), as `dotnet sql-cache create` makes it. */
export function createTableStatements(table: SqlTable): [string, string] {
  return [
    `CREATE TABLE ${table.qualified}(Id nvarchar(449) COLLATE SQL_Latin1_General_CP1_CS_AS NOT NULL, Value varbinary(MAX) NOT NULL, ExpiresAtTime datetimeoffset NOT NULL, SlidingExpirationInSeconds bigint NULL,AbsoluteExpiration datetimeoffset NULL, PRIMARY KEY (Id))`,
    `CREATE NONCLUSTERED INDEX Index_ExpiresAtTime ON ${table.qualified}(ExpiresAtTime)`,
  ];
}

export function tableExistsQuery(table: SqlTable): string {
  return `SELECT TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ${quoteLiteral(table.schema)} AND TABLE_NAME = ${quoteLiteral(table.table)}`;
}

/** The script `dotnet sql-cache script` prints; idempotent wraps it in IF NOT EXISTS. */
export function createTableScript(table: SqlTable, idempotent: boolean): string {
  const [create, index] = createTableStatements(table);
  if (!idempotent) return `${create}\n${index}\n`;
  return `IF NOT EXISTS (${tableExistsQuery(table)})\nBEGIN\n${create}\n${index}\nEND\n`;
}
