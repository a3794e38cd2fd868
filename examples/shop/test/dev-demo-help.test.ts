// `./dev demo --help` says how the demo is set up (PORT, REDIS_URL, DATABASE_URL) and starts nothing.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const DEV = fileURLToPath(new URL('../../../dev', import.meta.url));

test.each(['--help', '-h'])('./dev demo %s prints the settings and exits', async (flag) => {
  const { stdout } = await promisify(execFile)('bash', [DEV, 'demo', flag], { timeout: 15_000 });
  expect(stdout).toMatch(/PORT/);
  expect(stdout).toMatch(/REDIS_URL/);
  expect(stdout).toMatch(/DATABASE_URL/);
});

test('./dev demo with an argument it does not know refuses it, naming it', async () => {
  const run = promisify(execFile)('bash', [DEV, 'demo', '--port=4000'], { timeout: 15_000 });
  await expect(run).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--port=4000/) });
});
