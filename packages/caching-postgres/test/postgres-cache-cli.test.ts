import { runPostgresCacheCli } from '@sharedstate/caching-postgres';
import { capturedOutput as capture } from '@sharedstate/testing';

test('script prints the idempotent DDL of the table, its index and schema', async () => {
  const io = capture();
  expect(await runPostgresCacheCli(['script', '--schema', 'Cache', '--table', 'DistributedCache'], io)).toBe(
    0,
  );
  expect(io.stdout).toBe(
    [
      'CREATE SCHEMA IF NOT EXISTS "cache";',
      'CREATE TABLE IF NOT EXISTS "cache"."distributedcache" (',
      '  id VARCHAR(449) COLLATE "C" PRIMARY KEY,',
      '  value BYTEA NOT NULL,',
      '  expiresattime TIMESTAMPTZ NOT NULL,',
      '  slidingexpirationinseconds BIGINT NULL,',
      '  absoluteexpiration TIMESTAMPTZ NULL',
      ');',
      'DO $$',
      'BEGIN',
      `  IF NOT EXISTS (SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = '"cache"."distributedcache"'::regclass AND a.attname = 'expiresattime') THEN`,
      '    CREATE INDEX ix_distributedcache_expiresattime ON "cache"."distributedcache" (expiresattime);',
      '  END IF;',
      'END $$;',
      '',
    ].join('\n'),
  );
  const unlogged = capture();
  await runPostgresCacheCli(['script', '--unlogged'], unlogged);
  expect(unlogged.stdout).toContain('CREATE UNLOGGED TABLE IF NOT EXISTS "public"."distributed_cache"');
});

test('create without a connection, a bad name or an unknown command fails with the reason and exit code 2', async () => {
  const io = capture();
  expect(await runPostgresCacheCli(['create'], io, {})).toBe(2);
  expect(io.stderr).toContain('create needs --connection');
  expect(await runPostgresCacheCli(['script', '--table', 'a-b'], io)).toBe(2);
  expect(io.stderr).toContain('tableName must be a plain PostgreSQL name');
  expect(await runPostgresCacheCli(['drop'], io)).toBe(2);
  expect(io.stderr).toContain("Unknown command 'drop'");
});

test('a connection that is not a PostgreSQL URL, or an unknown flag, is refused in one line that says what to give', async () => {
  for (const [argv, env, line] of [
    [
      ['create', '--connection', 'not a url'],
      {},
      "--connection 'not a url' is not a URL; give postgres://user:password@host:5432/database.",
    ],
    [
      ['create'],
      { DATABASE_URL: 'mysql://root@localhost/test' },
      "DATABASE_URL 'mysql://…' is not a PostgreSQL URL; give postgres://user:password@host:5432/database.",
    ],
    [['create', '--conection', 'postgres://x'], {}, "Unknown option '--conection'."],
  ] as const) {
    const io = capture();
    expect(await runPostgresCacheCli([...argv], io, env)).toBe(2);
    expect(io.stderr.split('\n')[0]).toBe(line);
  }
});
