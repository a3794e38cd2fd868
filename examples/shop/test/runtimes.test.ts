// Hono on three runtimes at once: instance A on Node, B on Bun, C on Deno, each on its runtime's own HTTP
// server, serve one session through one Redis (RedisCache and RedisXmlRepository over ioredis). Bun and Deno
// come from the npm packages `bun` and `deno`. The controls show the test can fail: with a key ring per
// instance, or a cache per instance, the session does not cross runtimes.
import { describeWithService, services } from '@sharedstate/testing';
import { Browser, type Runtime, type ShopInstance, startHonoOn } from './shop-instances.ts';

describeWithService(services.redis({ spawn: true }), 'Hono on Node, Bun and Deno sharing Redis', (redis) => {
  const started: ShopInstance[] = [];
  const start = async (runtime: Runtime, name: string, env: Record<string, string>) => {
    const instance = await startHonoOn(runtime, name, { REDIS_URL: redis().url, DATABASE_URL: '', ...env });
    started.push(instance);
    return instance;
  };
  afterAll(async () => {
    await Promise.all(started.map((instance) => instance.process.stop()));
  });
  const shared = { SHOP_CACHE: 'redis', SHOP_KEYS: 'redis' };

  test('a session made on A (Node) is served by B (Bun) and C (Deno), and lives on when A is killed', async () => {
    const [a, b, c] = await Promise.all([
      start('node', 'A', shared),
      start('bun', 'B', shared),
      start('deno', 'C', shared),
    ]);
    expect(a!.process.output).toMatch(/hono on Node v/);
    expect(b!.process.output).toMatch(/hono on Bun \d/);
    expect(c!.process.output).toMatch(/hono on Deno \d/);
    const browser = new Browser();
    expect((await browser.post(`${a!.url}/sign-in?user=ada&remember=1`)).status).toBe(303);
    expect(browser.lastSetCookie).toMatch(/; Max-Age=2592000; /);
    await browser.post(`${b!.url}/cart?item=tea`);
    await browser.post(`${c!.url}/cart?item=biscuits`);
    for (const [instance, name] of [
      [a!, 'A'],
      [b!, 'B'],
      [c!, 'C'],
    ] as const) {
      expect(await browser.state(instance.url)).toEqual({
        user: 'ada',
        cart: ['tea', 'biscuits'],
        remembered: true,
        instance: name,
      });
    }
    // Each runtime signs in too, and regenerates the key the others then read.
    const second = new Browser();
    await second.post(`${c!.url}/sign-in?user=bob`);
    await second.post(`${b!.url}/cart?item=ink`);
    expect(await second.state(a!.url)).toMatchObject({ user: 'bob', cart: ['ink'] });
    await a!.process.kill('SIGKILL');
    await browser.post(`${c!.url}/cart?item=coffee`);
    expect((await browser.state(b!.url)).cart).toEqual(['tea', 'biscuits', 'coffee']);
  }, 120_000);

  test('control: with a key ring per instance, Bun cannot read the cookie Node wrote', async () => {
    const perInstanceKeys = { SHOP_CACHE: 'redis', SHOP_KEYS: 'ephemeral' };
    const [a, b] = await Promise.all([
      start('node', 'A-ephemeral', perInstanceKeys),
      start('bun', 'B-ephemeral', perInstanceKeys),
    ]);
    const browser = new Browser();
    await browser.post(`${a!.url}/sign-in?user=ada`);
    expect((await browser.state(a!.url)).user).toBe('ada');
    expect(await browser.state(b!.url)).toMatchObject({ cart: [], instance: 'B-ephemeral' });
    expect((await browser.state(b!.url)).user).toBeUndefined();
  }, 120_000);

  test('control: with a memory cache per instance, Deno does not have the session Node made', async () => {
    const perInstanceCache = { SHOP_CACHE: 'memory', SHOP_KEYS: 'redis' };
    const [a, c] = await Promise.all([
      start('node', 'A-memory', perInstanceCache),
      start('deno', 'C-memory', perInstanceCache),
    ]);
    const browser = new Browser();
    await browser.post(`${a!.url}/sign-in?user=ada`);
    expect((await browser.state(a!.url)).user).toBe('ada');
    expect((await browser.state(c!.url)).user).toBeUndefined();
  }, 120_000);
});
