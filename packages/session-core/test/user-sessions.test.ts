// session.signIn and the per-user index on the memory cache: binding, listing, ending, the cap, last-seen,
// and what the index costs a session nobody signed in to (nothing).
import {
  type CacheEntryOptions,
  type DistributedCache,
  MemoryDistributedCache,
} from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { SessionConfigurationError, SessionStateError, SessionUsageError } from '@sharedstate/session-core';
import { cookieFrom, request, sessionKey, setup } from './fixtures.ts';
import { SessionHandler } from './session-handler-for-tests.ts';
import { describeUserSessions, signInOn, twoInstances, whoIs } from './user-sessions-suite.ts';

const memory = new MemoryDistributedCache();
afterAll(() => memory.dispose());
describeUserSessions('the memory cache', () => memory);

/** A clock the test moves. */
function manualClock(start = Date.parse('2026-12-01T10:00:00Z')) {
  const clock = { nowMs: start, now: () => clock.nowMs };
  return clock;
}

describe('session.signIn', () => {
  test('moves the session to a new key and cookie, keeps its values, and records the user and device', async () => {
    const { handler, cache } = await setup();
    const visitor = await handler.begin(request());
    visitor.setString('cart', 'socks');
    await handler.end(visitor);
    const before = cookieFrom(handler.responseHeaders(visitor).setCookie);
    const beforeKey = sessionKey(visitor);

    const session = await handler.begin(request(before));
    await session.signIn('42', { device: 'Firefox on Linux' });
    await handler.end(session);
    const after = cookieFrom(handler.responseHeaders(session).setCookie);
    expect(after).not.toBe(before);
    expect(sessionKey(session)).not.toBe(beforeKey);
    expect(await cache.get(beforeKey)).toBeUndefined();
    expect(await whoIs(handler, after)).toEqual({ userId: '42', cart: 'socks', isNew: false });

    // The planted cookie names nothing any more.
    expect((await whoIs(handler, before)).cart).toBeUndefined();
    const [listed] = await handler.handler.userSessions.listSessions('42', { current: session.handle });
    expect(listed).toMatchObject({ handle: session.handle, device: 'Firefox on Linux', current: true });
    // The handle is neither the key nor the cookie.
    expect(session.handle).not.toContain(sessionKey(session));
    expect(after).not.toContain(session.handle!.split('.')[0]);
  });

  test("keeps whose session it is out of the app's values, where ASP.NET Core reads one more string", async () => {
    const { handler } = await setup();
    const session = await handler.begin(request());
    session.setString('cart', 'socks');
    await session.signIn('42');
    expect(session.keys()).toEqual(['cart']);
    expect(session.getString('.sharedstate.user')).toBeUndefined();
    expect(() => session.setString('.sharedstate.user', 'me')).toThrow(SessionUsageError);
    session.clear();
    expect(session.userId).toBe('42');
  });

  test('refuses what cannot be a user id or a device label, and a sign-in after the response started', async () => {
    const { handler } = await setup();
    const session = await handler.begin(request());
    await expect(session.signIn('')).rejects.toThrow(/1 to 200 characters/);
    await expect(session.signIn(42 as unknown as string)).rejects.toThrow(/String\(id\)/);
    await expect(session.signIn('x'.repeat(201))).rejects.toThrow(SessionUsageError);
    await expect(session.signIn('42', { device: 'd'.repeat(201) })).rejects.toThrow(/device/);
    const started = request();
    const late = await handler.begin(started);
    started.started = true;
    await expect(late.signIn('42')).rejects.toThrow(SessionStateError);
  });

  test("signing in to another user leaves the first one's list; signOut leaves the list and renews the key", async () => {
    const { handler } = await setup();
    const session = await handler.begin(request());
    await session.signIn('alice');
    await session.signIn('bob');
    const users = handler.handler.userSessions;
    expect(await users.listSessions('alice')).toEqual([]);
    expect(await users.listSessions('bob')).toHaveLength(1);
    const key = sessionKey(session);
    await session.signOut();
    expect(session.userId).toBeUndefined();
    expect(sessionKey(session)).not.toBe(key);
    expect(await users.listSessions('bob')).toEqual([]);
    await handler.end(session);
  });

  test("regenerate() and destroy() take a signed-in session out of its user's list", async () => {
    const { handler } = await setup();
    const users = handler.handler.userSessions;
    const first = await signInOn(handler, 'carol', 'phone');
    const second = await signInOn(handler, 'carol', 'laptop');

    const regenerating = await handler.begin(request(first.cookie));
    await regenerating.regenerate();
    expect(regenerating.userId).toBeUndefined();
    await handler.end(regenerating);

    const destroying = await handler.begin(request(second.cookie));
    destroying.destroy();
    expect(destroying.userId).toBeUndefined();
    await handler.end(destroying);
    expect(await users.listSessions('carol')).toEqual([]);
  });

  test('a cache without conditional writes: signIn says what it needs, and the userSessions option fails at startup', async () => {
    const memoryCache = new MemoryDistributedCache();
    // A cache of the app's own that has no setIfUnchanged.
    const plain: DistributedCache = {
      get: (key: string) => memoryCache.get(key),
      set: (key: string, value: Uint8Array, options?: CacheEntryOptions) =>
        memoryCache.set(key, value, options),
      refresh: (key: string) => memoryCache.refresh(key),
      remove: (key: string) => memoryCache.remove(key),
    };
    const dataProtection = createDataProtection({
      logger: false,
      applicationName: 'plain',
      repository: new EphemeralXmlRepository(),
    });
    const handler = new SessionHandler({ cache: plain, dataProtection, logger: false });
    const session = await handler.begin(request());
    await expect(session.signIn('42')).rejects.toThrow(SessionConfigurationError);
    await expect(session.signIn('42')).rejects.toThrow(/conditional writes \(setIfUnchanged\)/);
    expect(() => new SessionHandler({ cache: plain, dataProtection, userSessions: {} })).toThrow(
      /userSessions needs a cache with conditional writes/,
    );
    memoryCache.dispose();
  });

  test('the userSessions option is checked at startup', async () => {
    const { cache, dataProtection } = await setup();
    const make = (userSessions: object) => () =>
      new SessionHandler({ cache, dataProtection, userSessions: userSessions as never });
    expect(make({ maxPerUser: 0 })).toThrow(/maxPerUser must be a whole number from 1 to 1000/);
    expect(make({ lastSeenInterval: '10ms' })).toThrow(/at least one second/);
    expect(make({ maxSessions: 3 })).toThrow(/Unknown session option 'maxSessions'/);
  });
});

describe('what a signed-in session costs', () => {
  /** The memory cache, with each call the middleware makes written down (a cache of the app's own). */
  function recordedCache() {
    const inner = new MemoryDistributedCache();
    const calls: string[] = [];
    const cache = {
      get(key: string) {
        calls.push(`get ${key}`);
        return inner.get(key);
      },
      set(key: string, value: Uint8Array, options?: CacheEntryOptions) {
        calls.push(`set ${key}`);
        return inner.set(key, value, options);
      },
      refresh(key: string) {
        calls.push(`refresh ${key}`);
        return inner.refresh(key);
      },
      remove(key: string) {
        calls.push(`remove ${key}`);
        return inner.remove(key);
      },
      setIfUnchanged(
        key: string,
        value: Uint8Array,
        expected: Uint8Array | undefined,
        options?: CacheEntryOptions,
      ) {
        calls.push(`setIfUnchanged ${key}`);
        return inner.setIfUnchanged(key, value, expected, options);
      },
    };
    return { cache, calls, dispose: () => inner.dispose() };
  }

  test('a read is one cache read; once per lastSeenInterval it also writes the session and its list', async () => {
    const clock = manualClock();
    const recorded = recordedCache();
    const { handler } = await setup({
      cache: recorded.cache,
      clock,
      userSessions: { lastSeenInterval: '5m' },
    });
    const { cookie, key } = await signInOn(handler, 'joy');
    recorded.calls.length = 0;
    await whoIs(handler, cookie);
    expect(recorded.calls).toEqual([`get ${key}`]);

    recorded.calls.length = 0;
    clock.nowMs += 5 * 60_000;
    await whoIs(handler, cookie);
    expect(recorded.calls).toEqual([
      `get ${key}`,
      'get sharedstate:user-sessions:joy',
      'setIfUnchanged sharedstate:user-sessions:joy',
      `setIfUnchanged ${key}`,
    ]);
    recorded.dispose();
  });
});

describe("a user's list", () => {
  test('gives created, last seen and expiry, and updates last seen at most once per lastSeenInterval', async () => {
    const clock = manualClock();
    const { handler } = await setup({ clock, idleTimeout: '20m', userSessions: { lastSeenInterval: '5m' } });
    const users = handler.handler.userSessions;
    const { cookie } = await signInOn(handler, 'dave', 'phone');
    const signedInAt = clock.nowMs;
    const [entry] = await users.listSessions('dave');
    expect(entry).toMatchObject({
      createdAt: new Date(signedInAt),
      lastSeenAt: new Date(signedInAt),
      // At the latest: last seen, the interval in which a read goes unrecorded, and the idle timeout.
      expiresAt: new Date(signedInAt + 5 * 60_000 + 20 * 60_000),
    });

    clock.nowMs += 4 * 60_000;
    await whoIs(handler, cookie);
    expect((await users.listSessions('dave'))[0]!.lastSeenAt).toEqual(new Date(signedInAt));

    clock.nowMs += 2 * 60_000;
    await whoIs(handler, cookie);
    const [seen] = await users.listSessions('dave');
    expect(seen!.lastSeenAt).toEqual(new Date(clock.nowMs));
    expect(seen!.createdAt).toEqual(new Date(signedInAt));
  });

  test('a signed-in session its list no longer holds (a sign-out whose save failed) ends at its next write', async () => {
    const clock = manualClock();
    const { handler, cache } = await setup({ clock, userSessions: { lastSeenInterval: '1m' } });
    const { cookie, key } = await signInOn(handler, 'kim');
    // The list loses the entry while the stored session keeps its user.
    await cache.remove('sharedstate:user-sessions:kim');
    clock.nowMs += 60_000;
    expect((await whoIs(handler, cookie)).userId).toBe('kim');
    expect(await cache.get(key)).toBeUndefined();
    expect(await whoIs(handler, cookie)).toEqual({ userId: undefined, cart: undefined, isNew: false });
  });

  test('drops sessions past their expiry when read', async () => {
    const clock = manualClock();
    const { handler } = await setup({ clock, idleTimeout: '20m', userSessions: { lastSeenInterval: '1m' } });
    await signInOn(handler, 'erin');
    clock.nowMs += 20 * 60_000 + 60_000 - 1;
    expect(await handler.handler.userSessions.listSessions('erin')).toHaveLength(1);
    clock.nowMs += 1;
    expect(await handler.handler.userSessions.listSessions('erin')).toEqual([]);
  });

  test('past maxPerUser, signing in again ends the session seen least recently', async () => {
    const clock = manualClock();
    const { handler } = await setup({ clock, userSessions: { maxPerUser: 3, lastSeenInterval: '1s' } });
    const sessions = [];
    for (const device of ['one', 'two', 'three']) {
      sessions.push(await signInOn(handler, 'fay', device));
      clock.nowMs += 10_000;
    }
    // 'one' is used again: 'two' is now the least recently seen.
    await whoIs(handler, sessions[0]!.cookie);
    clock.nowMs += 10_000;
    await signInOn(handler, 'fay', 'four');
    const listed = await handler.handler.userSessions.listSessions('fay');
    expect(listed.map((entry) => entry.device).sort()).toEqual(['four', 'one', 'three']);
    expect((await whoIs(handler, sessions[1]!.cookie)).userId).toBeUndefined();
    expect((await whoIs(handler, sessions[0]!.cookie)).userId).toBe('fay');
  });

  test("endSession with something that is not a handle, or with another user's id, ends nothing", async () => {
    const { handler } = await setup();
    const { key, handle } = await signInOn(handler, 'gus');
    const users = handler.handler.userSessions;
    expect(await users.endSession('not a handle')).toBe(false);
    expect(await users.endSession(key)).toBe(false);
    expect(await users.endSession(handle, { userId: 'mallory' })).toBe(false);
    expect(await users.listSessions('gus')).toHaveLength(1);
    expect(await users.endSession(handle, { userId: 'gus' })).toBe(true);
    expect(await users.listSessions('gus')).toEqual([]);
  });
});

describe("concurrentUpdates: 'merge' with signed-in sessions", () => {
  test('overlapping updates of a signed-in session lose none, and an ended one stays ended', async () => {
    const cache = new MemoryDistributedCache();
    const dataProtection = createDataProtection({
      logger: false,
      applicationName: 'merge-users',
      repository: new EphemeralXmlRepository(),
    });
    const handler = new SessionHandler({ cache, dataProtection, logger: false, concurrentUpdates: 'merge' });
    const { cookie, key } = await signInOn(handler, 'hal');
    const visits = Array.from({ length: 20 }, async () => {
      const session = await handler.begin(request(cookie));
      await new Promise((resolve) => setTimeout(resolve, 5));
      session.update<'count'>('count' as never, (n: unknown) => ((n as number | undefined) ?? 0) + 1);
      await handler.end(session);
    });
    await Promise.all(visits);
    const after = await handler.begin(request(cookie));
    expect(after.getJson('count' as never)).toBe(20);
    expect(after.userId).toBe('hal');
    await handler.end(after);

    const inFlight = await handler.begin(request(cookie));
    await handler.handler.userSessions.endUserSessions('hal');
    inFlight.update<'count'>('count' as never, (n: unknown) => ((n as number | undefined) ?? 0) + 1);
    await handler.end(inFlight);
    expect(await cache.get(key)).toBeUndefined();
    cache.dispose();
  });
});

test('two instances share one list', async () => {
  const cache = new MemoryDistributedCache();
  const { a, b } = twoInstances(cache);
  await signInOn(a, 'ivy', 'phone');
  await signInOn(b, 'ivy', 'laptop');
  expect((await a.handler.userSessions.listSessions('ivy')).map((entry) => entry.device).sort()).toEqual([
    'laptop',
    'phone',
  ]);
  cache.dispose();
});
