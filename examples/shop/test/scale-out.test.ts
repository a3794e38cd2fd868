// The product's promise, proven with real processes: a session survives when the instance that created it
// disappears, for every framework, when sessions and keys are shared (Redis). The negative controls show
// the test can fail: without a shared key ring, or without a shared cache, the session is lost.
import { describeWithService, services } from '@sharedstate/testing';
import { Redis } from 'ioredis';
import { Browser, type ShopInstance, startShop } from './shop-instances.ts';

const frameworks = ['express', 'koa', 'hono'] as const;

describe.each(frameworks)('%s behind several instances', (framework) => {
  describeWithService(services.redis({ spawn: true }), 'with Redis', (redis) => {
    const started: ShopInstance[] = [];
    const start = async (name: string, env: Record<string, string>) => {
      const instance = await startShop(framework, name, { REDIS_URL: redis().url, ...env });
      started.push(instance);
      return instance;
    };
    afterAll(async () => {
      await Promise.all(started.map((instance) => instance.process.stop()));
    });

    test('a session made on A is seen on B, and on a brand-new C after A is killed', async () => {
      const shared = { SHOP_CACHE: 'redis', SHOP_KEYS: 'redis' };
      const [a, b] = await Promise.all([start('A', shared), start('B', shared)]);
      const browser = new Browser();
      expect((await browser.post(`${a!.url}/sign-in?user=ada`)).status).toBe(303);
      await browser.post(`${b!.url}/cart?item=tea`);
      await browser.post(`${a!.url}/cart?item=biscuits`);
      for (const instance of [a!, b!, a!, b!]) {
        expect(await browser.state(instance.url)).toMatchObject({ user: 'ada', cart: ['tea', 'biscuits'] });
      }
      await a!.process.kill('SIGKILL');
      const c = await start('C', shared);
      expect(await browser.state(c.url)).toEqual({
        user: 'ada',
        cart: ['tea', 'biscuits'],
        remembered: false,
        instance: 'C',
      });
      await browser.post(`${c.url}/cart?item=coffee`);
      expect((await browser.state(b!.url)).cart).toEqual(['tea', 'biscuits', 'coffee']);
    }, 90_000);

    test('"remember me" on A gives a 30-day cookie, and the entry keeps 30 days through a save on B', async () => {
      const shared = { SHOP_CACHE: 'redis', SHOP_KEYS: 'redis' };
      const [a, b] = await Promise.all([start('A-remember', shared), start('B-remember', shared)]);
      const client = new Redis(redis().url);
      try {
        /** The TTL in ms of each session entry the steps since `before` created. */
        const newEntries = async (before: Set<string>) => {
          const keys = (await client.keys('shop:*')).filter((key) => !before.has(key));
          const sessions = [];
          for (const key of keys) if ((await client.type(key)) === 'hash') sessions.push(key);
          return Promise.all(sessions.map((key) => client.pttl(key)));
        };
        const before = new Set(await client.keys('shop:*'));
        const remembered = new Browser();
        await remembered.post(`${a!.url}/sign-in?user=ada&remember=1`);
        expect(remembered.lastSetCookie).toMatch(/; Max-Age=2592000; /);
        // B never saw the sign-in: it learns the lifetime from the stored session, and saves with it.
        await remembered.post(`${b!.url}/cart?item=tea`);
        expect(await remembered.state(b!.url)).toMatchObject({
          user: 'ada',
          cart: ['tea'],
          remembered: true,
        });
        const [rememberedTtl] = await newEntries(before);
        expect(rememberedTtl).toBeGreaterThan(29 * 86_400_000);

        // The control: the same steps without the box ticked keep the 20-minute idle timeout.
        const alsoBefore = new Set(await client.keys('shop:*'));
        const plain = new Browser();
        await plain.post(`${a!.url}/sign-in?user=bob`);
        expect(plain.lastSetCookie).not.toMatch(/Max-Age/);
        await plain.post(`${b!.url}/cart?item=tea`);
        expect(await plain.state(b!.url)).toMatchObject({ user: 'bob', remembered: false });
        const [plainTtl] = await newEntries(alsoBefore);
        expect(plainTtl).toBeGreaterThan(0);
        expect(plainTtl).toBeLessThanOrEqual(20 * 60_000);
      } finally {
        client.disconnect();
      }
    }, 90_000);

    test('control: with a key ring per instance, B cannot read A’s cookie and the session is lost', async () => {
      const perInstanceKeys = { SHOP_CACHE: 'redis', SHOP_KEYS: 'ephemeral' };
      const [a, b] = await Promise.all([
        start('A-ephemeral', perInstanceKeys),
        start('B-ephemeral', perInstanceKeys),
      ]);
      const browser = new Browser();
      await browser.post(`${a!.url}/sign-in?user=ada`);
      expect((await browser.state(a!.url)).user).toBe('ada');
      const onB = await browser.state(b!.url);
      expect(onB.user).toBeUndefined();
      expect(onB.cart).toEqual([]);
    }, 90_000);

    test('control: with a memory cache per instance, B does not have A’s session data', async () => {
      const perInstanceCache = { SHOP_CACHE: 'memory', SHOP_KEYS: 'redis' };
      const [a, b] = await Promise.all([
        start('A-memory', perInstanceCache),
        start('B-memory', perInstanceCache),
      ]);
      const browser = new Browser();
      await browser.post(`${a!.url}/sign-in?user=ada`);
      expect((await browser.state(a!.url)).user).toBe('ada');
      expect((await browser.state(b!.url)).user).toBeUndefined();
    }, 90_000);
  });
});
