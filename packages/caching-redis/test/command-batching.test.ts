// The commands a cache sends in one turn of the event loop leave the process together, on every client the
// package accepts: ioredis 5 and 6 (whose connection's socket is corked for the turn, whatever the client's
// enableAutoPipelining, and written every 64 commands) and node-redis (which writes a turn's commands at
// once itself). The ioredis client's own settings (keyPrefix, the offline queue) still apply. Observed on
// the real sockets, with a real server.
import { CacheEntryConflictError } from '@sharedstate/caching-abstractions';
import { RedisCache } from '@sharedstate/caching-redis';
import {
  describeWithService,
  redisClientKinds,
  services,
  socketWritesDuring,
  type TestRedisClient,
} from '@sharedstate/testing';
import { Redis, type RedisOptions } from 'ioredis';

const text = (value: Uint8Array | undefined) =>
  value === undefined ? undefined : Buffer.from(value).toString();
const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

describeWithService(services.redis({ spawn: true }), 'RedisCache command batching', (server) => {
  const clients: Redis[] = [];
  const client = (options: RedisOptions = {}): Redis => {
    const created = new Redis(server().url, options);
    clients.push(created);
    return created;
  };
  afterAll(async () => {
    await Promise.all(clients.map((created) => created.quit()));
  });

  test.each([false, true])(
    'with enableAutoPipelining %s, the reads of one turn wait in the corked socket, then leave together',
    async (enableAutoPipelining) => {
      const redis = client({ enableAutoPipelining });
      const cache = new RedisCache({ redis });
      await cache.set('batch', Buffer.from('v'), { slidingExpiration: '20m' });
      const reads = Array.from({ length: 10 }, () => cache.get('batch'));
      const held = { corked: redis.stream.writableCorked, waiting: redis.stream.writableLength > 0 };
      await endOfTurn();
      const afterTurn = { corked: redis.stream.writableCorked, waiting: redis.stream.writableLength };
      expect({ held, afterTurn }).toEqual({
        held: { corked: 1, waiting: true },
        afterTurn: { corked: 0, waiting: 0 },
      });
      expect((await Promise.all(reads)).map(text)).toEqual(Array(10).fill('v'));
    },
  );

  test('a long turn leaves in writes of 64 commands, so the server starts on the first while the rest are made', async () => {
    const redis = client();
    const cache = new RedisCache({ redis });
    await cache.set('batch', Buffer.from('v'), { slidingExpiration: '20m' });
    // The socket is corked at the first command of the turn, uncorked (written) at the 64th, corked again
    // at the 65th, and uncorked at the end of the turn.
    const corkedAfter: number[] = [];
    const reads = Array.from({ length: 65 }, () => {
      const read = cache.get('batch');
      corkedAfter.push(redis.stream.writableCorked);
      return read;
    });
    expect(corkedAfter).toEqual([...Array(63).fill(1), 0, 1]);
    await endOfTurn();
    expect(redis.stream.writableCorked).toBe(0);
    expect((await Promise.all(reads)).map(text)).toEqual(Array(65).fill('v'));
  });

  test('control: the same client’s own methods, without auto-pipelining, write at once', async () => {
    const redis = client();
    await redis.ping();
    const reads = Array.from({ length: 10 }, () => redis.get('nothing-here'));
    expect(redis.stream.writableCorked).toBe(0);
    expect(await Promise.all(reads)).toEqual(Array(10).fill(null));
  });

  test.each([true, false])(
    "the client's keyPrefix applies to every command (useScripts %s)",
    async (useScripts) => {
      const plain = client();
      const prefixed = client({ keyPrefix: 'tenant7:' });
      // renewalSkipFraction 0: every get goes through the script (its key is prefixed by ioredis like any other).
      const renewing = new RedisCache({
        redis: prefixed,
        instanceName: 'app:',
        useScripts,
        renewalSkipFraction: 0,
      });
      const skipping = new RedisCache({ redis: prefixed, instanceName: 'app:', useScripts });
      await renewing.set('k', Buffer.from('v'), { slidingExpiration: '20m' });
      expect(await plain.hget('tenant7:app:k', 'data')).toBe('v');
      expect(await plain.exists('app:k')).toBe(0);
      expect(text(await renewing.get('k'))).toBe('v');
      await skipping.refresh('k');
      expect(text(await skipping.get('k'))).toBe('v');
      expect(await plain.pttl('tenant7:app:k')).toBeGreaterThan(19 * 60_000);
      await skipping.remove('k');
      expect(await plain.exists('tenant7:app:k')).toBe(0);
    },
  );

  test('commands sent while the client is still connecting wait in its offline queue, then succeed', async () => {
    const redis = client({ lazyConnect: true });
    const cache = new RedisCache({ redis });
    const write = cache.set('early', Buffer.from('v'), { slidingExpiration: '20m' });
    const read = cache.get('early');
    // The first command of a lazyConnect client starts the connection.
    expect(redis.status).not.toBe('ready');
    await write;
    expect(text(await read)).toBe('v');
  });
});

/** The most socket writes a turn of `operations` may take: the corked socket is written every 64 commands. */
const batched = (operations: number) => Math.ceil(operations / 64);

describe.each(redisClientKinds)('RedisCache command batching on every client: $name', (kind) => {
  describeWithService(services.redis({ spawn: true }), `a standalone Redis (${kind.name})`, (server) => {
    let made: TestRedisClient;
    let cache: RedisCache;
    beforeAll(async () => {
      made = await kind.standalone(server().url);
      cache = new RedisCache({ redis: made.client, instanceName: 'batching:' });
      await cache.set('k', Buffer.from('v'), { slidingExpiration: '20m' });
    });
    afterAll(() => made.close());
    const writesOf = (operations: () => Promise<unknown>[]) =>
      socketWritesDuring(server().port, () => Promise.all(operations()));
    const ten = <T>(operation: (i: number) => Promise<T>) =>
      Array.from({ length: 10 }, (_, i) => operation(i));

    test.each([
      ['get', () => ten(() => cache.get('k'))],
      ['set', () => ten((i) => cache.set(`k${i}`, Buffer.from('v'), { slidingExpiration: '20m' }))],
      ['refresh', () => ten(() => cache.refresh('k'))],
      ['remove', () => ten((i) => cache.remove(`gone${i}`))],
      ['setIfUnchanged', () => ten((i) => cache.setIfUnchanged!(`c${i}`, Buffer.from('v'), undefined))],
    ] as const)(
      'ten %s operations of one turn leave the process in one socket write',
      async (_, operations) => {
        // Once before counting: a script's first use on a connection may load it (NOSCRIPT, then EVAL).
        await Promise.all(operations());
        const { writes } = await writesOf(operations);
        expect(writes).toBeLessThanOrEqual(batched(10));
      },
    );

    test('control: the client’s own commands, one per call, are counted one write each', async () => {
      const { writes } = await writesOf(() => ten(() => made.commandOn(undefined, ['GET', 'nothing'])));
      // node-redis batches its own commands of one turn too; both ioredis copies write each at once.
      expect(writes).toBe(kind.name.startsWith('node-redis') ? 1 : 10);
    });

    test('a set is a transaction: the hash and its TTL; a key another app holds as a string is refused as a conflict', async () => {
      await cache.set('tx', Buffer.from('v'), { slidingExpiration: '20m' });
      expect(await made.commandOn(undefined, ['PTTL', 'batching:tx'])).toBeGreaterThan(19 * 60_000);
      await made.commandOn(undefined, ['SET', 'batching:string', 'x']);
      await expect(cache.set('string', Buffer.from('v'), { slidingExpiration: '20m' })).rejects.toThrow(
        CacheEntryConflictError,
      );
      expect(await made.commandOn(undefined, ['GET', 'batching:string'])).toBe('x');
    });

    test('commands of one turn keep their order: a set then a get of the same key reads the new value', async () => {
      await cache.set('order', Buffer.from('old'), { slidingExpiration: '20m' });
      const write = cache.set('order', Buffer.from('new'), { slidingExpiration: '20m' });
      const read = cache.get('order');
      const removal = cache.remove('order');
      const afterRemoval = cache.get('order');
      await Promise.all([write, removal]);
      expect({ read: text(await read), afterRemoval: text(await afterRemoval) }).toEqual({
        read: 'new',
        afterRemoval: undefined,
      });
    });
  });
});
