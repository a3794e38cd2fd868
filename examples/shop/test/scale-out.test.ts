// The product's promise, proven with real processes: a session survives when the instance that created it
// disappears, for every framework, when sessions and keys are shared (in Redis, or in PostgreSQL alone).
// The negative controls show the test can fail: without a shared key ring, or without a shared cache, the
// session is lost.
import {
  describeWithService,
  type LocalPostgresServer,
  type RedisServer,
  services,
  type TestService,
} from '@sharedstate/testing';
import { Redis } from 'ioredis';
import { Browser, type ShopInstance, startShop } from './shop-instances.ts';

const frameworks = ['express', 'koa', 'hono', 'fastify'] as const;

/** A shared store the shop's instances can use: how to reach it, and how long each session entry has left. */
interface SharedStore<T> {
  name: string;
  service: TestService<T>;
  /** The environment that points an instance at the store, and at nothing else shared. */
  env(server: T): Record<string, string>;
  /** SHOP_CACHE / SHOP_KEYS value naming this store. */
  kind: string;
  /** Milliseconds left for each stored session, by its cache key. */
  entryLifetimes(server: T): Promise<Map<string, number>>;
}

const redisStore: SharedStore<RedisServer> = {
  name: 'Redis',
  service: services.redis({ spawn: true }),
  env: (server) => ({ REDIS_URL: server.url, DATABASE_URL: '' }),
  kind: 'redis',
  async entryLifetimes(server) {
    const client = new Redis(server.url);
    try {
      const lifetimes = new Map<string, number>();
      for (const key of await client.keys('shop:*'))
        if ((await client.type(key)) === 'hash') lifetimes.set(key, await client.pttl(key));
      return lifetimes;
    } finally {
      client.disconnect();
    }
  },
};

const postgresStore: SharedStore<LocalPostgresServer> = {
  name: 'PostgreSQL alone (no Redis)',
  service: services.postgres(),
  env: (server) => ({ DATABASE_URL: server.url, REDIS_URL: '' }),
  kind: 'postgres',
  async entryLifetimes(server) {
    const rows = await server.psql(
      `SELECT id || '|' || (EXTRACT(EPOCH FROM expiresattime - now()) * 1000)::bigint FROM shop_sessions`,
    );
    return new Map(
      rows
        .split('\n')
        .filter(Boolean)
        .map((row) => row.split('|') as [string, string])
        .map(([id, left]) => [id, Number(left)]),
    );
  },
};

function describeScaleOut<T>(framework: (typeof frameworks)[number], store: SharedStore<T>): void {
  describeWithService(store.service, `sharing ${store.name}`, (server) => {
    const started: ShopInstance[] = [];
    const start = async (name: string, env: Record<string, string>) => {
      const instance = await startShop(framework, name, { ...store.env(server()), ...env });
      started.push(instance);
      return instance;
    };
    afterAll(async () => {
      await Promise.all(started.map((instance) => instance.process.stop()));
    });
    const shared = { SHOP_CACHE: store.kind, SHOP_KEYS: store.kind };

    test('a session made on A is seen on B, and on a brand-new C after A is killed', async () => {
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
      const [a, b] = await Promise.all([start('A-remember', shared), start('B-remember', shared)]);
      /** The lifetime in ms of each session entry the steps since `before` created (not users' lists). */
      const newEntries = async (before: Map<string, number>) =>
        [...(await store.entryLifetimes(server())).entries()]
          .filter(([key]) => !before.has(key) && !key.includes('sharedstate:user-sessions:'))
          .map(([, left]) => left);
      const before = await store.entryLifetimes(server());
      const remembered = new Browser();
      await remembered.post(`${a!.url}/sign-in?user=ada&remember=1`);
      expect(remembered.lastSetCookie).toMatch(/; Max-Age=2592000; /);
      // B never saw the sign-in: it learns the lifetime from the stored session, and saves with it.
      await remembered.post(`${b!.url}/cart?item=tea`);
      expect(await remembered.state(b!.url)).toMatchObject({ user: 'ada', cart: ['tea'], remembered: true });
      const [rememberedLifetime] = await newEntries(before);
      expect(rememberedLifetime).toBeGreaterThan(29 * 86_400_000);

      // The control: the same steps without the box ticked keep the 20-minute idle timeout.
      const alsoBefore = await store.entryLifetimes(server());
      const plain = new Browser();
      await plain.post(`${a!.url}/sign-in?user=bob`);
      expect(plain.lastSetCookie).not.toMatch(/Max-Age/);
      await plain.post(`${b!.url}/cart?item=tea`);
      expect(await plain.state(b!.url)).toMatchObject({ user: 'bob', remembered: false });
      const [plainLifetime] = await newEntries(alsoBefore);
      expect(plainLifetime).toBeGreaterThan(0);
      expect(plainLifetime).toBeLessThanOrEqual(20 * 60_000);
    }, 90_000);

    test('parallel cart adds on A, A killed -9 in the middle: every add A confirmed is kept, and B carries on', async () => {
      const [a, b] = await Promise.all([start('A-kill', shared), start('B-kill', shared)]);
      const browser = new Browser();
      await browser.post(`${a!.url}/sign-in?user=ada`);
      const items = Array.from({ length: 40 }, (_, i) => `item-${i}`);
      let firstConfirmed: () => void = () => {};
      const oneConfirmed = new Promise<void>((resolve) => {
        firstConfirmed = resolve;
      });
      const adds = items.map((item) =>
        browser.post(`${a!.url}/cart?item=${item}`).then(
          (response) => {
            if (response.status === 303) firstConfirmed();
            return response.status === 303;
          },
          () => false,
        ),
      );
      // Killed as soon as it has answered one add: the others are queued, running or committing.
      await oneConfirmed;
      await a!.process.kill('SIGKILL');
      const outcomes = await Promise.all(adds);
      const confirmed = items.filter((_, i) => outcomes[i]);
      const kept = (await browser.state(b!.url)).cart;
      // What A answered 303 for was committed before the answer: none of it is lost.
      expect(confirmed.filter((item) => !kept.includes(item))).toEqual([]);
      expect(kept.every((item) => items.includes(item))).toBe(true);
      // The session is usable at once on B, and overlapping adds there lose nothing either.
      await Promise.all(
        ['b-1', 'b-2', 'b-3', 'b-4', 'b-5'].map((item) => browser.post(`${b!.url}/cart?item=${item}`)),
      );
      const after = (await browser.state(b!.url)).cart;
      expect(after.length).toBe(kept.length + 5);
      expect(after).toEqual(expect.arrayContaining(['b-1', 'b-2', 'b-3', 'b-4', 'b-5', ...kept]));
    }, 90_000);

    test('control: with a key ring per instance, B cannot read A’s cookie and the session is lost', async () => {
      const perInstanceKeys = { SHOP_CACHE: store.kind, SHOP_KEYS: 'ephemeral' };
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
      const perInstanceCache = { SHOP_CACHE: 'memory', SHOP_KEYS: store.kind };
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
}

describe.each(frameworks)('%s behind several instances', (framework) => {
  describeScaleOut(framework, redisStore);
  describeScaleOut(framework, postgresStore);
});
