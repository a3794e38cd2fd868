import { writeFile } from 'node:fs/promises';
import { type CliOutput, readCommandLine } from '@sharedstate/shared-helpers';
import mssql from 'mssql';
import { createTableScript, createTableStatements, sqlTable, tableExistsQuery } from './sql-table.ts';

const USAGE = `Usage:
  sharedstate-sql-cache create --connection <connection string> --schema <schema> --table <table>
  sharedstate-sql-cache script --schema <schema> --table <table> [--idempotent] [--output <file>]

create   makes the cache table and its index (the same DDL as \`dotnet sql-cache create\`), in one
         transaction; fails if the table exists.
script   prints that DDL (--idempotent: only if the table does not exist yet).`;

export type { CliOutput };

const OPTIONS = {
  connection: { type: 'string', short: 'c' },
  schema: { type: 'string', short: 's' },
  table: { type: 'string', short: 't' },
  idempotent: { type: 'boolean', short: 'i' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs the CLI; returns the exit code. */
export async function runSqlCacheCli(argv: string[], io: CliOutput): Promise<number> {
  const parsed = readCommandLine(argv, OPTIONS, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const { command, values } = parsed;
  if (!values.schema || !values.table) {
    io.err(`--schema and --table are required.\n\n${USAGE}\n`);
    return 2;
  }
  let table: ReturnType<typeof sqlTable>;
  try {
    table = sqlTable(values.schema, values.table);
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 2;
  }
  if (command === 'script') {
    const script = createTableScript(table, values.idempotent === true);
    if (values.output) await writeFile(values.output, script);
    else io.out(script);
    return 0;
  }
  if (command === 'create') {
    if (!values.connection) {
      io.err(`create needs --connection (an ADO.NET or mssql connection string).\n`);
      return 2;
    }
    const pool = new mssql.ConnectionPool(values.connection);
    try {
      await pool.connect();
      const existing = await pool.request().query(tableExistsQuery(table));
      if (existing.recordset.length > 0) {
        io.err(`Table and index were not created because ${table.qualified} already exists.\n`);
        return 1;
      }
      const transaction = new mssql.Transaction(pool);
      await transaction.begin();
      try {
        for (const statement of createTableStatements(table))
          await new mssql.Request(transaction).query(statement);
        await transaction.commit();
      } catch (error) {
        await transaction.rollback().catch(() => {});
        throw error;
      }
      io.out(`Table ${table.qualified} and index Index_ExpiresAtTime were created successfully.\n`);
      return 0;
    } catch (error) {
      io.err(`An error occurred: ${(error as Error).message}\n`);
      return 1;
    } finally {
      await pool.close();
    }
  }
  io.err(`Unknown command '${command}'.\n\n${USAGE}\n`);
  return 2;
}
