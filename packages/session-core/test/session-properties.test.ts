import {
  PropertySession,
  type Session,
  SessionCommitError,
  SessionTooLargeError,
  SessionUsageError,
} from '@sharedstate/session-core';
import { createPropertySession } from '@sharedstate/session-core/adapter';
import { SESSION_ID_FORMAT } from '@sharedstate/testing';
import { deserializeSession, serializeSession } from '../src/session-serialization.ts';
import { cookieFrom, request, sessionKey, setup } from './fixtures.ts';
import { type SessionHandler, stateOf } from './session-handler-for-tests.ts';

type Values = Record<string, unknown>;

/**
 * One request through a property view, as the Express adapter's `properties` option runs it: the view is
 * made when the session has loaded, and `place` stands for req.session.
 */
async function visit(
  handler: SessionHandler,
  cookie: string | undefined,
  body: (view: PropertySession & Values, place: { current: PropertySession | undefined }) => unknown,
) {
  const session = await handler.begin(request(cookie));
  const place: { current: PropertySession | undefined } = { current: undefined };
  place.current = createPropertySession(stateOf(session), (next) => {
    place.current = next;
  });
  await body(place.current as PropertySession & Values, place);
  await handler.end(session as Session<object>);
  const headers = handler.responseHeaders(session as Session<object>);
  return { session, headers, view: place.current as (PropertySession & Values) | undefined };
}

/** Calls a callback-taking method and resolves (or rejects) when it calls back. */
const called = (start: (done: (error?: unknown) => void) => unknown) =>
  new Promise<void>((resolve, reject) => {
    start((error) => (error === undefined ? resolve() : reject(error)));
  });

describe("a session as express-session's object (properties)", () => {
  test('properties are stored as JSON under their names; nested changes, deletes and non-JSON values', async () => {
    const { handler, cache } = await setup();
    const first = await visit(handler, undefined, (view) => {
      view.passport = { user: 'ada' };
      view.flash = { info: ['welcome'] };
    });
    // A property on a new session establishes it: the cookie goes out with these headers.
    expect(first.headers.setCookie).toMatch(/^sharedstate\.sid=CfDJ8/);
    const cookie = cookieFrom(first.headers.setCookie);
    const typed = await visit(handler, cookie, (view) => {
      expect(view.passport).toEqual({ user: 'ada' });
      (view.flash as { info: string[] }).info.pop();
      delete view.passport;
    });
    expect(typed.headers.setCookie).toBeUndefined();
    const stored = await visit(handler, cookie, (view) => {
      expect(Object.keys(view)).toEqual(['flash']);
      expect(view.flash).toEqual({ info: [] });
    });
    // The same values through the typed API: JSON under the property's name.
    const { session } = stored;
    expect(session.getJson('flash')).toEqual({ info: [] });
    expect(session.keys()).toEqual(['flash']);
    expect(await cache.get(sessionKey(session))).toBeDefined();
  });

  test('an unchanged view writes nothing; values from the typed API are kept, and non-JSON ones stay hidden', async () => {
    const { handler } = await setup();
    const direct = await handler.begin(request());
    direct.setString('raw', 'not json');
    direct.set('bytes', Uint8Array.of(0xff, 0x00));
    direct.setJson('count', 1);
    direct.setJson('spaced', { a: 1 });
    direct.setString('loose', '{ "a" : 1 }');
    await handler.end(direct);
    const headers = handler.responseHeaders(direct);
    const cookie = cookieFrom(headers.setCookie);

    await visit(handler, cookie, (view) => {
      expect(Object.keys(view).sort()).toEqual(['count', 'loose', 'spaced']);
      expect(view.loose).toEqual({ a: 1 });
    });
    // Loaded and left alone: nothing to save (the end returns at once), not even the loosely spaced JSON.
    const read = await handler.begin(request(cookie));
    createPropertySession(stateOf(read), () => {});
    expect(handler.end(read as Session<object>)).toBeUndefined();

    // The view writes only the properties it changed: a value set through the session's methods in the
    // same request is kept.
    const both = await handler.begin(request(cookie));
    const view = createPropertySession(stateOf(both), () => {}) as PropertySession & Values;
    both.setJson('spaced', { a: 2 });
    view.count = 2;
    await handler.end(both as Session<object>);
    const after = await handler.begin(request(cookie));
    expect(after.getJson('count')).toBe(2);
    expect(after.getJson('spaced')).toEqual({ a: 2 });
    expect(after.getString('raw')).toBe('not json');
    expect(after.get('bytes')).toEqual(Uint8Array.of(0xff, 0x00));
  });
  test("stored names that are the object's members ('id', 'cookie', '__proto__') stay values, not properties", async () => {
    const { handler } = await setup();
    const direct = await handler.begin(request());
    for (const name of ['id', 'cookie', 'maxAge', 'save', '__proto__', 'constructor'])
      direct.setJson(name, 1);
    direct.setJson('user', 'ada');
    await handler.end(direct);
    const headers = handler.responseHeaders(direct);
    const loaded = await visit(handler, cookieFrom(headers.setCookie), (view) => {
      expect(Object.keys(view)).toEqual(['user']);
      expect(Object.getPrototypeOf(view)).toBe(PropertySession.prototype);
      expect(typeof view.save).toBe('function');
    });
    expect(loaded.headers.setCookie).toBeUndefined();
    const after = await handler.begin(request(cookieFrom(headers.setCookie)));
    expect(after.getJson('__proto__' as never)).toBe(1);
    expect(after.getJson('id' as never)).toBe(1);
  });

  test('regenerate(cb) gives a new, empty session in a new view; the old view keeps its values to copy', async () => {
    const { handler, cache } = await setup();
    const first = await visit(handler, undefined, (view) => {
      view.returnTo = '/cart';
    });
    const cookie = cookieFrom(first.headers.setCookie);
    const oldKey = sessionKey(first.session);
    let previous: (PropertySession & Values) | undefined;
    let newId = '';
    const signedIn = await visit(handler, cookie, async (view, place) => {
      previous = view;
      const oldId = view.id;
      await called((done) => view.regenerate(done));
      const next = place.current as PropertySession & Values;
      expect(next).not.toBe(view);
      expect(Object.keys(next)).toEqual([]);
      // A new session has a new id, as with express-session.
      newId = next.id;
      expect(newId).toMatch(SESSION_ID_FORMAT);
      expect(newId).not.toBe(oldId);
      // Passport's keepSessionInfo copies the old view's values into the new one (utils-merge: for…in).
      for (const name in previous) next[name] = previous[name];
      next.passport = { user: 'ada' };
      await called((done) => next.save(done));
      // Changes to the old view after regenerate no longer reach the session.
      view.stale = true;
    });
    expect(signedIn.headers.setCookie).toBeDefined();
    expect(cookieFrom(signedIn.headers.setCookie)).not.toBe(cookie);
    expect(await cache.get(oldKey)).toBeUndefined();
    await visit(handler, cookieFrom(signedIn.headers.setCookie), (view) => {
      expect({ ...view }).toEqual({ returnTo: '/cart', passport: { user: 'ada' } });
      expect(view.id).toBe(newId);
    });
    // The old cookie names nothing any more.
    await visit(handler, cookie, (view) => expect(Object.keys(view)).toEqual([]));
  });

  test('destroy(cb) ends the session and takes the view away; save(cb) reports a failure', async () => {
    const { handler, cache } = await setup({ maxSessionSize: 1024 });
    const first = await visit(handler, undefined, (view) => {
      view.user = 'ada';
    });
    const cookie = cookieFrom(first.headers.setCookie);
    const destroyed = await visit(handler, cookie, async (view, place) => {
      await called((done) => view.destroy(done));
      expect(place.current).toBeUndefined();
    });
    expect(destroyed.headers.setCookie).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(await cache.get(sessionKey(first.session))).toBeUndefined();

    // Too large for the session: save(cb) calls back with the error; the end of the request fails too.
    const session = await handler.begin(request());
    const view = createPropertySession(stateOf(session), () => {}) as PropertySession & Values;
    view.big = 'x'.repeat(2000);
    const failure = await called((done) => view.save(done)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SessionCommitError);
    expect((failure as Error).cause).toBeInstanceOf(SessionTooLargeError);
    await expect(handler.end(session as Session<object>)).rejects.toThrow(SessionCommitError);
  });

  test("an error thrown by the app's callback after a regenerate or save goes to callbackFailed, also from the regenerated view", async () => {
    const { handler } = await setup();
    const session = (await handler.begin(request())) as Session<object>;
    const failures: unknown[] = [];
    let view = createPropertySession(
      stateOf(session),
      (next) => {
        view = next!;
      },
      (error) => failures.push(error),
    );
    const callingBack = (method: 'regenerate' | 'save', message: string) =>
      new Promise<void>((resolve) => {
        view[method](() => {
          resolve();
          throw new Error(message);
        });
      });
    const first = view;
    await callingBack('regenerate', 'in the regenerate callback');
    expect(view).not.toBe(first);
    await callingBack('save', 'in the save callback');
    expect(failures.map((error) => (error as Error).message)).toEqual([
      'in the regenerate callback',
      'in the save callback',
    ]);
  });

  test("express-session's cookie.maxAge and koa-session's maxAge are the session's rememberFor()", async () => {
    const { handler } = await setup();
    const day = 86_400_000;
    type Habits = PropertySession &
      Values & {
        cookie: {
          maxAge: number | null;
          originalMaxAge: number | null;
          expires: Date | false | null;
          path: string;
        };
      };
    const first = await visit(handler, undefined, (view) => {
      const habits = view as Habits;
      habits.user = 'ada';
      // express-session's "remember me".
      habits.cookie.maxAge = 30 * day;
      // As in express-session: maxAge is the time left (all of it, just set), originalMaxAge the lifetime.
      expect(habits.cookie.maxAge).toBeGreaterThan(30 * day - 1000);
      expect(habits.cookie.maxAge).toBeLessThanOrEqual(30 * day);
      expect(habits.cookie.originalMaxAge).toBe(30 * day);
      expect(Math.abs(habits.cookie.expires!.getTime() - (Date.now() + 30 * day))).toBeLessThan(1000);
      expect(() => {
        habits.cookie.originalMaxAge = day;
      }).toThrow(/set session.cookie.maxAge/);
      expect(() => {
        habits.cookie.path = '/shop';
      }).toThrow(/set it in the middleware's cookie options/);
    });
    expect(first.headers.setCookie).toMatch(/; Max-Age=2592000; /);
    const cookie = cookieFrom(first.headers.setCookie);
    // koa-session's: a number, or 'session' to forget.
    const forgotten = await visit(handler, cookie, (view) => {
      expect(view.maxAge).toBe(30 * day);
      view.maxAge = 'session';
      expect((view as Habits).cookie.maxAge).toBeNull();
    });
    expect(forgotten.headers.setCookie).not.toMatch(/Max-Age/);
    const until = await visit(handler, cookie, (view) => {
      (view as Habits).cookie.expires = new Date(Date.now() + 7 * day);
    });
    expect(until.headers.setCookie).toMatch(/; Max-Age=(604800|60479\d); /);
    // maxAge = 0, express-session's way to drop the cookie at sign-out, ends the session.
    const ended = await visit(handler, cookie, (view) => {
      (view as Habits).cookie.maxAge = 0;
    });
    expect(ended.headers.setCookie).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect((await handler.begin(request(cookie))).keys()).toEqual([]);
  });

  test("express-session's cookie.maxAge counts down from when the cookie was sent, on every instance", async () => {
    const { handler, cache } = await setup();
    const day = 86_400_000;
    type Cookie = { maxAge: number | null; originalMaxAge: number | null; expires: Date | null };
    const cookieOf = (view: PropertySession) => (view as unknown as { cookie: Cookie }).cookie;
    const first = await visit(handler, undefined, (view) => {
      view.user = 'ada';
      cookieOf(view).maxAge = 30 * day;
    });
    const cookie = cookieFrom(first.headers.setCookie);
    // The stored session says its cookie went out ten days ago (as another instance would have written it).
    const key = sessionKey(first.session as Session<object>);
    const stored = deserializeSession((await cache.get(key))!);
    if (typeof stored === 'string') throw new Error(stored);
    const sentAt = Math.floor((Date.now() - 10 * day) / 1000);
    stored.entries.set('.sharedstate.lifetime', Buffer.from(`${30 * 86_400}:${sentAt}`, 'latin1'));
    await cache.set(key, serializeSession(stored), { slidingExpiration: 30 * day });
    const later = await visit(handler, cookie, (view) => {
      const read = cookieOf(view);
      expect(read.originalMaxAge).toBe(30 * day);
      const expires = sentAt * 1000 + 30 * day;
      expect(read.expires!.getTime()).toBe(expires);
      // The time left, counted from the stored second: bracketed by the clock, as the second's fraction and the
      // time the read takes would make any fixed tolerance fail now and then.
      const before = Date.now();
      const left = read.maxAge!;
      expect(left).toBeLessThanOrEqual(expires - before);
      expect(left).toBeGreaterThanOrEqual(expires - Date.now());
      expect(Math.abs(left - 20 * day)).toBeLessThan(60_000);
    });
    // Ten of thirty days have passed: not yet time to send the cookie again.
    expect(later.headers.setCookie).toBeUndefined();
    // regenerate() sends a new cookie with the whole lifetime: the count starts again.
    const regenerated = await visit(handler, cookie, async (view, place) => {
      await called((done) => (view as unknown as { regenerate(cb: typeof done): void }).regenerate(done));
      expect(cookieOf(place.current!).maxAge).toBeGreaterThan(30 * day - 1000);
    });
    expect(regenerated.headers.setCookie).toMatch(/; Max-Age=2592000; /);
    const forgotten = await visit(handler, cookieFrom(regenerated.headers.setCookie), (view) => {
      cookieOf(view).maxAge = null;
      expect(cookieOf(view)).toMatchObject({ maxAge: null, originalMaxAge: null, expires: null });
    });
    expect(forgotten.headers.setCookie).not.toMatch(/Max-Age/);
  });

  test("koa-session's manuallyCommit() saves now", async () => {
    const { handler, cache } = await setup();
    const session = await handler.begin(request());
    const view = createPropertySession(stateOf(session), () => {}) as PropertySession & Values;
    view.views = 1;
    await (view as unknown as { manuallyCommit(): Promise<void> }).manuallyCommit();
    expect(await cache.get(sessionKey(session))).toBeDefined();
    expect(handler.end(session as Session<object>)).toBeUndefined();
  });

  test('express-session members that do not apply throw, saying what to do; regenerate needs a callback; renewing is a no-op', async () => {
    const { handler } = await setup();
    const session = await handler.begin(request());
    const view = createPropertySession(stateOf(session), () => {}) as unknown as {
      regenerate(): void;
      reload(): void;
      cookie: { maxAge: number };
      touch(): unknown;
      resetMaxAge(): unknown;
    };
    expect(() => view.regenerate()).toThrow(SessionUsageError);
    expect(() => view.reload()).toThrow(/read once per request/);
    expect(() => {
      view.cookie.maxAge = 1;
    }).toThrow(/from one second to 400 days/);
    // express-session's ways to renew: every load renews here, so they are kept only for code that calls them.
    expect(view.touch()).toBe(view);
    expect(view.resetMaxAge()).toBe(view);
    // None of them is a value: nothing to save.
    expect(Object.keys(view)).toEqual([]);
    expect(handler.end(session as Session<object>)).toBeUndefined();
  });
});
