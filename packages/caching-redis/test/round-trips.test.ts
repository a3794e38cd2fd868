// A sliding get is one round trip (DESIGN: performance points), counted with MONITOR on a real server:
// commands a script runs are reported with source "lua", so only what the client sent counts.
import { RedisCache } from '@sharedstate/caching-redis';
import { describeWithService, services } from '@sharedstate/testing';
import { Redis } from 'ioredis';

async function commandsSentBy(server: string, run: () => Promise<unknown>): Promise<string[]> {
  // No ready check (INFO): its echo could reach the monitor connection before ioredis switches it to monitor mode.
  const watcher = new Redis(server, { enableReadyCheck: false });
  const monitor = await watcher.monitor();
  const marker = new Redis(server, { enableReadyCheck: false });
  await marker.ping();
  const seen: string[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua') seen.push(args.join(' ').toLowerCase());
  });
  try {
    await marker.ping('start-of-run');
    await run();
    // MONITOR output trails the replies a little; a PING from another client marks the end.
    await marker.ping('end-of-run');
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    // Closed whatever happened: an open connection would keep jest from exiting after a failure.
    monitor.disconnect();
    watcher.disconnect();
    marker.disconnect();
  }
  const start = seen.indexOf('ping start-of-run');
  const end = seen.indexOf('ping end-of-run');
  return seen.slice(start + 1, end).map((command) => command.split(' ')[0]!);
}

describeWithService(services.redis({ spawn: true }), 'round trips per operation', (server) => {
  let client: Redis;
  beforeAll(async () => {
    client = new Redis(server().url);
    const warm = new RedisCache({ redis: client, renewalSkipFraction: 0 });
    // Load the scripts once, so the counted calls are the steady state (EVALSHA, no NOSCRIPT retry).
    await warm.set('warm', Buffer.from('x'), { slidingExpiration: '1m' });
    await warm.get('warm');
    await warm.refresh('warm');
  });
  afterAll(() => client.quit());

  test('a sliding get sends one command', async () => {
    await new RedisCache({ redis: client }).set('k', Buffer.from('v'), { slidingExpiration: '20m' });
    // A cache that has not renewed the entry itself: the get renews it, in the same script call.
    const cache = new RedisCache({ redis: client });
    expect(await commandsSentBy(server().url, () => cache.get('k'))).toEqual(['evalsha']);
  });

  test('a get right after this client renewed the entry is a plain HGET; a refresh sends nothing', async () => {
    const cache = new RedisCache({ redis: client });
    await cache.set('k4', Buffer.from('v'), { slidingExpiration: '20m' });
    const sent = await commandsSentBy(server().url, async () => {
      await cache.get('k4');
      await cache.refresh('k4');
      await cache.get('k4');
    });
    expect(sent).toEqual(['hget', 'hget']);
  });

  test('with renewalSkipFraction 0 every get renews, as in ASP.NET Core', async () => {
    const cache = new RedisCache({ redis: client, renewalSkipFraction: 0 });
    await cache.set('k5', Buffer.from('v'), { slidingExpiration: '20m' });
    const sent = await commandsSentBy(server().url, async () => {
      await cache.get('k5');
      await cache.get('k5');
      await cache.refresh('k5');
    });
    expect(sent).toEqual(['evalsha', 'evalsha', 'evalsha']);
  });

  test('a set of an entry this client has not touched lately is one transaction of ASP.NET Core 8’s commands, with or without scripts', async () => {
    for (const useScripts of [true, false]) {
      const cache = new RedisCache({ redis: client, useScripts });
      const sent = await commandsSentBy(server().url, () =>
        cache.set('k', Buffer.from('v'), { slidingExpiration: '20m' }),
      );
      expect(sent).toEqual(['multi', 'hset', 'pexpire', 'exec']);
      expect(await client.pttl('k')).toBeGreaterThan(19 * 60_000);
      // A cache that renews on every read tracks no entries, so every set is a transaction.
      const exact = new RedisCache({ redis: client, useScripts, renewalSkipFraction: 0 });
      await exact.set('k', Buffer.from('v'), { slidingExpiration: '20m' });
      const persisted = await commandsSentBy(server().url, () => exact.set('k', Buffer.from('v')));
      expect(persisted).toEqual(['multi', 'hset', 'persist', 'exec']);
      expect(await client.pttl('k')).toBe(-1);
    }
  });

  test('an update of an entry this client wrote or renewed moments ago is HSET and PEXPIRE pipelined, with or without scripts', async () => {
    for (const useScripts of [true, false]) {
      await new RedisCache({ redis: client }).set('k6', Buffer.from('v'), { slidingExpiration: '20m' });
      const cache = new RedisCache({ redis: client, useScripts });
      // Renewed by this client's read (a script, or HMGET and PEXPIRE), then updated twice.
      const sent = await commandsSentBy(server().url, async () => {
        await cache.get('k6');
        await cache.set('k6', Buffer.from('v2'), { slidingExpiration: '20m' });
        await cache.set('k6', Buffer.from('v3'), { slidingExpiration: '30m' });
      });
      expect(sent).toEqual([
        ...(useScripts ? ['evalsha'] : ['hmget', 'pexpire']),
        'hset',
        'pexpire',
        'hset',
        'pexpire',
      ]);
      expect(await client.pttl('k6')).toBeGreaterThan(29 * 60_000);
      expect(Buffer.from((await cache.get('k6'))!).toString()).toBe('v3');
      const persisted = await commandsSentBy(server().url, () => cache.set('k6', Buffer.from('v4')));
      expect(persisted).toEqual(['hset', 'persist']);
      expect(await client.pttl('k6')).toBe(-1);
      // An entry without expiry is not tracked: the next set is a transaction again.
      const again = await commandsSentBy(server().url, () => cache.set('k6', Buffer.from('v5')));
      expect(again).toEqual(['multi', 'hset', 'persist', 'exec']);
    }
  });

  test('a server that lost the scripts (SCRIPT FLUSH, restart) is sent them again', async () => {
    for (const autoPipelining of [false, true]) {
      const own = new Redis(server().url, { enableAutoPipelining: autoPipelining });
      const cache = new RedisCache({ redis: own });
      await cache.set('k3', Buffer.from('v3'), { slidingExpiration: '20m' });
      await client.script('FLUSH');
      expect(Buffer.from((await cache.get('k3'))!).toString()).toBe('v3');
      await client.script('FLUSH');
      await cache.set('k3', Buffer.from('v4'), { slidingExpiration: '20m' });
      await client.script('FLUSH');
      await cache.refresh('k3');
      expect(Buffer.from((await cache.get('k3'))!).toString()).toBe('v4');
      await own.quit();
    }
  });

  test('without scripts, a sliding get takes ASP.NET Core 8’s two commands', async () => {
    await new RedisCache({ redis: client }).set('k2', Buffer.from('v'), { slidingExpiration: '20m' });
    const cache = new RedisCache({ redis: client, useScripts: false });
    const sent = await commandsSentBy(server().url, async () => {
      await cache.get('k2');
      await cache.get('k2');
    });
    expect(sent).toEqual(['hmget', 'pexpire', 'hget']);
  });
});
