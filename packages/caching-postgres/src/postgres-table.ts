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
  /**
   * The name the index on the expiration column gets when this package creates it: after its table, as an
   * index name is unique within a schema (Microsoft's package calls every table's index ix_expiresattime,
   * so a second table in the schema would get none).
   */
  index: string;
}

/** An index name after its table, cut to PostgreSQL's 63 bytes (table names here are ASCII). */
const indexName = (table: string) =>
  `ix_${table.slice(0, MAX_IDENTIFIER_BYTES - 'ix__expiresattime'.length)}_expiresattime`;

export function postgresTable(schemaName: unknown, tableName: unknown): PostgresTable {
  const schema = identifier(schemaName, 'schemaName');
  const table = identifier(tableName, 'tableName');
  return { schema, table, qualified: `"${schema}"."${table}"`, index: indexName(table) };
}

/** The indexes of a table ($1, a regclass) whose first column is expiresattime: their names. */
export const INDEX_ON_EXPIRATION =
  "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = $1::regclass AND a.attname = 'expiresattime'";

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
    // Only if the table has no index on expiresattime yet, whatever its name (Microsoft's package and
    // earlier versions of this one made ix_expiresattime): one index per table, never a second.
    `DO $$
BEGIN
  IF NOT EXISTS (${INDEX_ON_EXPIRATION.replace('$1', `'${table.qualified}'`)}) THEN
    CREATE INDEX ${table.index} ON ${table.qualified} (expiresattime);
  END IF;
END $$`,
  ];
}

/** The DDL as a script for a migration tool: idempotent statements, each ended with a semicolon. */
export function createTableScript(table: PostgresTable, unlogged: boolean): string {
  return `${createTableStatements(table, unlogged)
    .map((statement) => `${statement};`)
    .join('\n')}\n`;
}
