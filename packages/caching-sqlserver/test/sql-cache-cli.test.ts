import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTableScript, runSqlCacheCli, sqlTable } from '@sharedstate/caching-sqlserver';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runSqlCacheCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('sharedstate-sql-cache', () => {
  test('script prints the DDL, and --idempotent guards it', async () => {
    const plain = await run('script', '--schema', 'dbo', '--table', 'Cache');
    expect(plain).toEqual({ code: 0, out: createTableScript(sqlTable('dbo', 'Cache'), false), err: '' });
    const guarded = await run('script', '-s', 'dbo', '-t', 'Cache', '--idempotent');
    expect(guarded.out.startsWith('IF NOT EXISTS (')).toBe(true);
  });

  test('script --output writes a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sql-cli-'));
    try {
      expect((await run('script', '-s', 'dbo', '-t', 'Cache', '-o', join(dir, 'cache.sql'))).code).toBe(0);
      expect(readFileSync(join(dir, 'cache.sql'), 'utf8')).toContain('CREATE TABLE [dbo].[Cache]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('mistakes exit 2 with a message that says what is missing', async () => {
    expect(await run('script', '--schema', 'dbo')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--schema and --table are required/),
    });
    expect(await run('create', '--schema', 'dbo', '--table', 'Cache')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--connection/),
    });
    expect(await run('drop', '--schema', 'dbo', '--table', 'Cache')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/Unknown command/),
    });
    expect(await run('script', '--bogus')).toMatchObject({ code: 2 });
  });
});
