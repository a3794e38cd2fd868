// The README's first command, `pnpm demo`, on the embedded default: one process, memory cache, key ring in
// a folder. Run here as the script itself, on a free port and a temporary key folder.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithService, freePort, ManagedProcess, services, waitUntil } from '@sharedstate/testing';
import { Browser } from './shop-instances.ts';

const DEMO = fileURLToPath(new URL('../src/demo.ts', import.meta.url));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('pnpm demo serves the shop on the embedded default and keeps a session', async () => {
  const keys = mkdtempSync(join(tmpdir(), 'demo-keys-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), SHOP_KEY_DIR: keys };
  delete env.REDIS_URL;
  const demo = new ManagedProcess(process.execPath, ['--conditions=source', DEMO], {
    description: 'pnpm demo',
    env,
  });
  try {
    await waitUntil(
      async () => demo.output.includes(`http://127.0.0.1:${port}`),
      'the demo to print its URL',
      { timeoutMs: 30_000 },
    );
    expect(demo.output).toContain('this process’s memory');
    const browser = new Browser();
    await browser.post(`http://127.0.0.1:${port}/sign-in?user=ada`);
    await browser.post(`http://127.0.0.1:${port}/cart?item=tea`);
    expect(await browser.state(`http://127.0.0.1:${port}`)).toEqual({
      user: 'ada',
      cart: ['tea'],
      remembered: false,
      instance: 'embedded',
    });
    const page = await (
      await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie: browser.cookie! } })
    ).text();
    expect(page).toContain('Signed in as <strong>ada</strong>');
    const keyFiles = readdirSync(keys).filter((name) => name.startsWith('key-'));
    expect(keyFiles).toHaveLength(1);
    // Under the shop, the page tells the story: the session's entries and the key protecting its cookie.
    const keyId = keyFiles[0]!.slice('key-'.length, -'.xml'.length);
    expect(page).toContain(`Your session cookie is protected with key <code>${keyId}</code>`);
    expect(page).toContain('<code>cart</code></td><td><code>[&quot;tea&quot;]</code>');
    expect(page).not.toContain('id="instances"');
    // A tampered cookie, not even valid percent-encoding, starts a fresh session: the page still answers.
    const tampered = await fetch(`http://127.0.0.1:${port}/`, {
      headers: { cookie: 'sharedstate.sid=%E0%A4%A' },
    });
    expect(tampered.status).toBe(200);
    expect(await tampered.text()).toContain('Your cart is empty.');
    // For operators: the page links to the metrics Prometheus scrapes, and to readiness.
    expect(page).toContain('<a href="/metrics">metrics</a>');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(
      /^sharedstate_session_commit_duration_count\{.*sharedstate_session_outcome="committed".*\} [1-9]/m,
    );
    expect(metrics).toMatch(
      /^sharedstate_cookie_unprotect_total\{.*sharedstate_cookie_outcome="ok".*\} [1-9]/m,
    );
    expect(metrics).toMatch(
      /^sharedstate_cookie_unprotect_total\{.*sharedstate_cookie_outcome="tampered".*\} 1/m,
    );
    expect(metrics).toMatch(/^sharedstate_key_ring_keys\{.*sharedstate_key_ring_key_state="active".*\} 1/m);
    expect(metrics).toMatch(/^sharedstate_key_ring_age\{/m);
    expect(metrics).toMatch(/^db_client_operation_duration_count\{.*db_system_name="memory".*\} [1-9]/m);
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({
      status: 200,
      body: { ready: true, keyRing: 'loaded', cache: 'ok', reasons: [] },
    });
  } finally {
    await demo.stop();
    rmSync(keys, { recursive: true, force: true });
  }
});

/** `pnpm demo` with REDIS_URL or DATABASE_URL on a free port, once it has printed its URL. */
async function startSharedDemo(
  store: { REDIS_URL: string } | { DATABASE_URL: string },
): Promise<{ demo: ManagedProcess; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const demo = new ManagedProcess(process.execPath, ['--conditions=source', DEMO], {
    description: `pnpm demo with ${Object.keys(store)[0]}`,
    env: { ...process.env, REDIS_URL: '', DATABASE_URL: '', PORT: String(port), ...store },
  });
  try {
    await waitUntil(async () => demo.output.includes(base), 'the demo to print its URL', {
      timeoutMs: 30_000,
    });
  } catch (error) {
    await demo.stop();
    throw error;
  }
  return { demo, base };
}

describeWithService(services.redis({ spawn: true }), 'with REDIS_URL', (redis) => {
  test('the page can stop instances, but not the last one, which serves the button to start another', async () => {
    const { demo, base } = await startSharedDemo({ REDIS_URL: redis().url });
    try {
      const stop = (name: string) =>
        fetch(`${base}/_demo/stop`, {
          method: 'POST',
          body: new URLSearchParams({ name }),
          redirect: 'manual',
        });
      expect((await stop('instance-A')).status).toBe(303);
      const last = await stop('instance-B');
      expect(last.status).toBe(409);
      expect(await last.text()).toContain('instance-B is the last instance running');
      expect((await stop('instance-Z')).status).toBe(404);
      const page = await (await fetch(`${base}/`)).text();
      expect(page).toContain('Served by instance <strong>instance-B</strong>');
    } finally {
      await demo.stop();
    }
  });

  test.each(['SIGINT', 'SIGTERM'] as const)(
    '%s to the demo stops both instances it started, then the demo',
    async (signal) => {
      const { demo } = await startSharedDemo({ REDIS_URL: redis().url });
      try {
        const pids = [...demo.output.matchAll(/pid (\d+);/g)].map((match) => Number(match[1]));
        expect(pids).toHaveLength(2);
        expect(pids.every(isAlive)).toBe(true);
        await demo.kill(signal);
        expect(demo.hasExited).toBe(true);
        // The instances were stopped before the demo exited, not left running without a parent.
        expect(pids.filter(isAlive)).toEqual([]);
      } finally {
        await demo.stop();
      }
    },
  );
});

describeWithService(services.postgres(), 'with DATABASE_URL (PostgreSQL, no Redis)', (postgres) => {
  test('two instances share sessions and keys in PostgreSQL: the cart outlives the instance that served it', async () => {
    const { demo, base } = await startSharedDemo({ DATABASE_URL: postgres().url });
    try {
      expect(demo.output).toContain('sessions and keys in PostgreSQL');
      const browser = new Browser();
      await browser.post(`${base}/sign-in?user=ada`);
      await browser.post(`${base}/cart?item=tea`);
      const served = (await browser.state(base)).instance;
      const stopped = await fetch(`${base}/_demo/stop`, {
        method: 'POST',
        body: new URLSearchParams({ name: served }),
        redirect: 'manual',
      });
      expect(stopped.status).toBe(303);
      const started = await fetch(`${base}/_demo/start`, { method: 'POST', redirect: 'manual' });
      expect(started.status).toBe(303);
      for (let i = 0; i < 4; i++) {
        const state = await browser.state(base);
        expect(state).toMatchObject({ user: 'ada', cart: ['tea'] });
        expect(state.instance).not.toBe(served);
      }
      expect(await postgres().psql('SELECT count(*) > 0 FROM shop_sessions')).toBe('t');
      // Two instances starting on an empty ring may each create a key; both are in the shared ring.
      expect(
        Number(await postgres().psql('SELECT count(*) FROM "DataProtectionKeys"')),
      ).toBeGreaterThanOrEqual(1);
      const page = await (await fetch(`${base}/`, { headers: { cookie: browser.cookie! } })).text();
      expect(page).toContain('Sessions live in PostgreSQL');
    } finally {
      await demo.stop();
    }
  }, 60_000);
});
