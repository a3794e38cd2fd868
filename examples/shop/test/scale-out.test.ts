// The product's promise, proven with real processes: a session survives when the instance that created it
// disappears, for every framework, when sessions and keys are shared (Redis). The negative controls show
// the test can fail: without a shared key ring, or without a shared cache, the session is lost.
import { describeWithService, services } from '@sharedstate/testing';
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
      expect(await browser.state(c.url)).toEqual({ user: 'ada', cart: ['tea', 'biscuits'], instance: 'C' });
      await browser.post(`${c.url}/cart?item=coffee`);
      expect((await browser.state(b!.url)).cart).toEqual(['tea', 'biscuits', 'coffee']);
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
