/** What the DDL helper needs of a node-postgres Pool (shared-helpers does not depend on pg). */
export interface PostgresPoolLike {
  connect(): Promise<{ query(text: string, values?: unknown[]): Promise<unknown>; release(): void }>;
}

/**
 * Runs `statements` (CREATE … IF NOT EXISTS) in one transaction under a transaction-level advisory lock, so
 * instances creating the same table at first start do not race each other into a duplicate-name error.
 */
export async function runLockedDdl(
  pool: PostgresPoolLike,
  lockKey: number,
  statements: readonly string[],
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
    for (const statement of statements) await client.query(statement);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
