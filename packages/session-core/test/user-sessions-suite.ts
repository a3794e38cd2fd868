// The user-sessions index on a real cache: the same cases on every cache that has conditional writes
// (memory, Redis standalone and Cluster, PostgreSQL, SQL Server), two middleware instances sharing it.
import type { DistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import type { Session } from '@sharedstate/session-core';
import { cookieFrom, request } from './fixtures.ts';
import { SessionHandler, stateOf } from './session-handler-for-tests.ts';

/** Two instances of an app (two middlewares) on one cache and one key ring. */
export function twoInstances(cache: DistributedCache) {
  const dataProtection = createDataProtection({
    logger: false,
    applicationName: 'user-sessions',
    repository: new EphemeralXmlRepository(),
  });
  const make = () => new SessionHandler({ cache, dataProtection, logger: false });
  return { a: make(), b: make(), dataProtection };
}

/** A sign-in request: a visitor's new session is signed in to `userId`; resolves with its cookie and handle. */
export async function signInOn(handler: SessionHandler, userId: string, device?: string) {
  const session = await handler.begin(request());
  session.setString('cart', 'socks');
  await session.signIn(userId, device === undefined ? {} : { device });
  const handle = session.handle!;
  await handler.end(session);
  return {
    cookie: cookieFrom(handler.responseHeaders(session).setCookie),
    handle,
    key: stateOf(session).key,
  };
}

/** A request with `cookie`: who it is signed in as, and the session (ended, unchanged). */
export async function whoIs(handler: SessionHandler, cookie: string) {
  const session = await handler.begin(request(cookie));
  const result = { userId: session.userId, cart: session.getString('cart'), isNew: session.isNew };
  await handler.end(session);
  return result;
}

export function describeUserSessions(name: string, cache: () => DistributedCache, userPrefix = '') {
  describe(`user sessions on ${name}`, () => {
    let user = 0;
    const newUser = () => `${userPrefix}user-${process.pid}-${++user}`;

    test('50 parallel sign-ins of one user on two instances are all listed', async () => {
      const { a, b } = twoInstances(cache());
      const userId = newUser();
      const signedIn = await Promise.all(
        Array.from({ length: 50 }, (_, i) => signInOn(i % 2 === 0 ? a : b, userId, `device ${i}`)),
      );
      const listed = await b.handler.userSessions.listSessions(userId);
      expect(listed).toHaveLength(50);
      expect(new Set(listed.map((entry) => entry.handle))).toEqual(
        new Set(signedIn.map((entry) => entry.handle)),
      );
      expect(new Set(listed.map((entry) => entry.device))).toEqual(
        new Set(Array.from({ length: 50 }, (_, i) => `device ${i}`)),
      );
    }, 60_000);

    test('endUserSessions on one instance signs every other device out on the other; the asking one stays', async () => {
      const { a, b } = twoInstances(cache());
      const userId = newUser();
      const phone = await signInOn(a, userId, 'phone');
      const laptop = await signInOn(a, userId, 'laptop');
      const desk = await signInOn(b, userId, 'desk');
      expect(await b.handler.userSessions.endUserSessions(userId, { except: desk.handle })).toBe(2);
      for (const ended of [phone, laptop]) {
        expect(await whoIs(a, ended.cookie)).toEqual({ userId: undefined, cart: undefined, isNew: false });
        expect(await cache().get(ended.key)).toBeUndefined();
      }
      expect(await whoIs(a, desk.cookie)).toMatchObject({ userId, cart: 'socks' });
      const listed = await a.handler.userSessions.listSessions(userId, { current: desk.handle });
      expect(listed.map(({ handle, current }) => ({ handle, current }))).toEqual([
        { handle: desk.handle, current: true },
      ]);
    });

    test('endSession ends that device only, on every instance', async () => {
      const { a, b } = twoInstances(cache());
      const userId = newUser();
      const phone = await signInOn(a, userId, 'phone');
      const laptop = await signInOn(b, userId, 'laptop');
      expect(await b.handler.userSessions.endSession(phone.handle)).toBe(true);
      expect(await b.handler.userSessions.endSession(phone.handle)).toBe(false);
      expect((await whoIs(a, phone.cookie)).userId).toBeUndefined();
      expect((await whoIs(a, laptop.cookie)).userId).toBe(userId);
      expect((await a.handler.userSessions.listSessions(userId)).map((entry) => entry.device)).toEqual([
        'laptop',
      ]);
    });

    test('a request in flight when its session is ended cannot bring it back by saving', async () => {
      const { a, b } = twoInstances(cache());
      const userId = newUser();
      const phone = await signInOn(a, userId, 'phone');
      // Loaded before the ending, saved after it.
      const inFlight: Session = await a.begin(request(phone.cookie));
      expect(inFlight.userId).toBe(userId);
      expect(await b.handler.userSessions.endUserSessions(userId)).toBe(1);
      inFlight.setString('cart', 'shoes');
      await a.end(inFlight);
      expect(await cache().get(phone.key)).toBeUndefined();
      expect(await whoIs(b, phone.cookie)).toEqual({ userId: undefined, cart: undefined, isNew: false });
      expect(await b.handler.userSessions.listSessions(userId)).toEqual([]);
    });
  });
}
