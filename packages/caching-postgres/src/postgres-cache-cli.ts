import { writeFile } from 'node:fs/promises';
import { type CliOutput, postgresUrlProblem, readCommandLine } from '@sharedstate/shared-helpers';
import pg from 'pg';
import {
  createTableScript,
  createTableStatements,
  INDEX_ON_EXPIRATION,
  postgresTable,
} from './postgres-table.ts';

const USAGE = `Usage:
  sharedstate-pg-cache create --connection <postgres URL> [--schema <schema>] [--table <table>] [--unlogged]
  sharedstate-pg-cache script [--schema <schema>] [--table <table>] [--unlogged] [--output <file>]

create   makes the schema (if missing), the cache table and its index, in one transaction; fails if the
         table exists. The connection may also come from DATABASE_URL.
script   prints that DDL (idempotent: IF NOT EXISTS) for a migration tool.
Defaults: schema public, table distributed_cache. --unlogged makes an UNLOGGED table (PostgreSQL empties it
after a crash).`;

export type { CliOutput };

const OPTIONS = {
  connection: { type: 'string', short: 'c' },
  schema: { type: 'string', short: 's' },
  table: { type: 'string', short: 't' },
  unlogged: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs the CLI; returns the exit code. */
export async function runPostgresCacheCli(
  argv: string[],
  io: CliOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const parsed = readCommandLine(argv, OPTIONS, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const { command, values } = parsed;
  let table: ReturnType<typeof postgresTable>;
  try {
    table = postgresTable(values.schema ?? 'public', values.table ?? 'distributed_cache');
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 2;
  }
  const unlogged = values.unlogged === true;
  if (command === 'script') {
    const script = createTableScript(table, unlogged);
    if (values.output) await writeFile(values.output, script);
    else io.out(script);
    return 0;
  }
  if (command !== 'create') {
    io.err(`Unknown command '${command}'.\n\n${USAGE}\n`);
    return 2;
  }
  const connectionString = values.connection ?? env.DATABASE_URL;
  if (!connectionString) {
    io.err('create needs --connection (a postgres:// URL) or DATABASE_URL.\n');
    return 2;
  }
  const problem = postgresUrlProblem(
    connectionString,
    values.connection === undefined ? 'DATABASE_URL' : '--connection',
  );
  if (problem !== undefined) {
    io.err(`${problem}\n`);
    return 2;
  }
  const client = new pg.Client({ connectionString });
  try {
    await client.connect();
    const existing = await client.query('SELECT to_regclass($1) AS found', [table.qualified]);
    if (existing.rows[0]?.found !== null) {
      io.err(`The table was not created because ${table.qualified} already exists.\n`);
      return 1;
    }
    await client.query('BEGIN');
    for (const statement of createTableStatements(table, unlogged)) await client.query(statement);
    await client.query('COMMIT');
    // Said from the database itself, not from the statements sent.
    const indexes = await client.query<{ relname: string }>(INDEX_ON_EXPIRATION, [table.qualified]);
    const index = indexes.rows[0]?.relname;
    if (index === undefined) {
      io.err(`The table ${table.qualified} was created, but it has no index on expiresattime.\n`);
      return 1;
    }
    io.out(`Table ${table.qualified} and index ${index} were created.\n`);
    return 0;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    io.err(`An error occurred: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await client.end().catch(() => {});
  }
}
