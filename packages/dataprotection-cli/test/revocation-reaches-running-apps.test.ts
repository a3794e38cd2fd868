// End to end, as an operator would do it: two app processes share sessions and a key ring in Redis; the
// sharedstate-keys command, a third process, revokes the key that protects a signed-in user's cookie.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bytesToGuid } from '@sharedstate/dataprotection-core';
import { cookieOf, describeWithService, services, waitUntil } from '@sharedstate/testing';
import { startApp, whoami } from './fixtures/app-process.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const CHECK_MS = 1_000;

describeWithService(services.redis({ spawn: true }), 'a revocation by sharedstate-keys', (server) => {
  test('reaches both running app processes within the change-check interval', async () => {
    const ringKey = `e2e-keys-${Date.now()}`;
    const flags = ['--redis', server().url, '--redis-key', ringKey];
    const apps = await Promise.all(['A', 'B'].map((name) => startApp(name, server().url, CHECK_MS, flags)));
    try {
      const [a, b] = apps as [(typeof apps)[0], (typeof apps)[0]];
      const cookie = cookieOf(await fetch(`${a.url}/login`, { method: 'POST' }))!;
      expect(await whoami(a.url, cookie)).toEqual({ user: 'ada', isNew: false });
      expect(await whoami(b.url, cookie)).toEqual({ user: 'ada', isNew: false });

      const cli = (...args: string[]) =>
        promisify(execFile)(process.execPath, [
          '--conditions=source',
          CLI,
          ...args,
          '--redis',
          server().url,
          '--redis-key',
          ringKey,
        ]);
      // The key that protects this cookie (payload bytes 4 to 20): two apps starting on an empty ring may each
      // have made a key, so the first one listed need not be it.
      const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
      const key = { id: bytesToGuid(Buffer.from(value, 'base64').subarray(4, 20)) };
      const listedBefore = JSON.parse((await cli('list', '--json')).stdout) as { id: string }[];
      expect(listedBefore.map(({ id }) => id)).toContain(key.id);
      const revokedAt = performance.now();
      await cli('revoke', key.id, '--reason', 'end-to-end test');
      const refusedAfter = await Promise.all(
        apps.map(async ({ url }) => {
          await waitUntil(
            async () => (await whoami(url, cookie)).user === null,
            `${url} to refuse the cookie`,
            {
              timeoutMs: CHECK_MS + 10_000,
              intervalMs: 50,
            },
          );
          return performance.now() - revokedAt;
        }),
      );
      // One interval, plus the re-read and the CLI's own exit; a machine under load gets a few seconds more.
      for (const ms of refusedAfter) expect(ms).toBeLessThan(CHECK_MS + 5_000);

      // Signing in again works everywhere, under a key that is not the revoked one.
      const renewed = cookieOf(await fetch(`${b.url}/login`, { method: 'POST' }))!;
      expect(await whoami(a.url, renewed)).toEqual({ user: 'ada', isNew: false });
      const listed = JSON.parse((await cli('list', '--json')).stdout) as { id: string; status: string }[];
      expect(listed.find(({ id }) => id === key.id)?.status).toBe('revoked');
      expect(listed.some(({ status }) => status === 'active')).toBe(true);
    } finally {
      await Promise.all(apps.map(({ process }) => process.stop()));
    }
  }, 60_000);
});
