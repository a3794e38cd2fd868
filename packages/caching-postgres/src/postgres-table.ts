import { CacheArgumentError } from '@sharedstate/caching-abstractions';

/** PostgreSQL truncates identifiers past 63 bytes; a longer name would silently become another one. */
const MAX_IDENTIFIER_BYTES = 63;
/** What PostgreSQL accepts unquoted; anything else is refused rather than quoted into a surprising name. */
const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * A schema or table name as PostgreSQL reads it unquoted: folded to lower case. Microsoft's package writes
 * the names into its SQL unquoted, so `DistributedCache` there is the table `distributedcache`; folding here
 * makes the same option name the same table. Quoted afterwards, so no name is read as SQL.
 */
function identifier(name: unknown, option: string): string {
  if (typeof name !== 'string' || !PLAIN_IDENTIFIER.test(name)) {
    throw new CacheArgumentError(
      `${option} must be a plain PostgreSQL name (letters, digits, _ and $, not starting with a digit); got ${JSON.stringify(name)}.`,
    );
  }
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    throw new CacheArgumentError(
      `${option} must be at most ${MAX_IDENTIFIER_BYTES} characters; got '${name}'.`,
    );
  }
  return name.toLowerCase();
}

/** The cache table, validated, folded and quoted once. */
export interface PostgresTable {
  schema: string;
  table: string;
  /** `"schema"."table"` */
  qualified: string;
  /** The index on the expiration column, as Microsoft's package names it. */
  index: string;
}

export function postgresTable(schemaName: unknown, tableName: unknown): PostgresTable {
  const schema = identifier(schemaName, 'schemaName');
  const table = identifier(tableName, 'tableName');
  return { schema, table, qualified: `"${schema}"."${table}"`, index: 'ix_expiresattime' };
}

/**
 * The table of Microsoft.Extensions.Caching.Postgres, with its index. Logged unless `unlogged`: PostgreSQL
 * empties an UNLOGGED table after a crash, and with it every session (Microsoft's default is UNLOGGED).
 */
export function createTableStatements(table: PostgresTable, unlogged: boolean): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS "${table.schema}"`,
    `CREATE ${unlogged ? 'UNLOGGED ' : ''}TABLE IF NOT EXISTS ${table.qualified} (
  id VARCHAR(449) COLLATE "C" PRIMARY KEY,
  value BYTEA NOT NULL,
  expiresattime TIMESTAMPTZ NOT NULL,
  slidingexpirationinseconds BIGINT NULL,
  absoluteexpiration TIMESTAMPTZ NULL
)`,
    `CREATE INDEX IF NOT EXISTS ${table.index} ON ${table.qualified} (expiresattime)`,
  ];
}

/** The DDL as a script for a migration tool: idempotent statements, each ended with a semicolon. */
export function createTableScript(table: PostgresTable, unlogged: boolean): string {
  return `${createTableStatements(table, unlogged)
    .map((statement) => `${statement};`)
    .join('\n')}\n`;
}
