import pg from 'pg';

/** A node-postgres Pool that keeps the text of every statement asked of it, so a test can count them. */
export type CountingPool = pg.Pool & { readonly statements: string[] };

export function countingPool(config: pg.PoolConfig): CountingPool {
  const pool = new pg.Pool(config) as pg.Pool & { statements: string[] };
  pool.statements = [];
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  Object.assign(pool, {
    query: (...args: unknown[]) => {
      const first = args[0] as string | { text: string };
      pool.statements.push(typeof first === 'string' ? first : first.text);
      return query(...args);
    },
  });
  return pool;
}
