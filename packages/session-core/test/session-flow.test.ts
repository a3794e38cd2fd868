import { inspect } from 'node:util';
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { ManualClock } from '@sharedstate/caching-abstractions/testing';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import {
  aspnetCoreCompat,
  SessionCommitError,
  SessionConfigurationError,
  SessionStateError,
  SessionTooLargeError,
  SessionUnavailableError,
  SessionUsageError,
} from '@sharedstate/session-core';
import { forwardedProto } from '@sharedstate/session-core/adapter';
import { recordingLogger } from '@sharedstate/testing';
import { deserializeSession, type SessionSnapshot, serializeSession } from '../src/session-serialization.ts';
import { cookieFrom, request, sessionKey, setup, setupWithDefaultLogger, thrownBy } from './fixtures.ts';
import { SessionHandler } from './session-handler-for-tests.ts';

/** One request, once the key ring is loaded: begin, run the handler body, compute headers, end. */
async function visit(
  handler: SessionHandler,
  cookie: string | undefined,
  body: (s: Awaited<ReturnType<SessionHandler['begin']>>) => unknown,
) {
  await handler.options.dataProtection.initialize();
  const session = await handler.begin(request(cookie));
  await body(session);
  await handler.end(session);
  const headers = handler.responseHeaders(session);
  return { session, headers };
}

/**
 * Makes a handler with these options on a memory cache, untyped, as a JavaScript app or a spread config
 * object would pass them (for `expect(...).toThrow`).
 */
function withOptions(extra: object): () => SessionHandler {
  const dataProtection = createDataProtection({
    applicationName: 'x',
    repository: new EphemeralXmlRepository(),
  });
  const cache = new MemoryDistributedCache();
  return () =>
    new SessionHandler({ cache, dataProtection, ...extra } as ConstructorParameters<
      typeof SessionHandler
    >[0]);
}

/** What the end of a request rejected with (undefined if it had nothing to save or saved). */
function endFailure(handler: SessionHandler, session: Awaited<ReturnType<SessionHandler['begin']>>) {
  return handler.end(session)?.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('a session across requests', () => {
  test('is established by the first set, sent as a cookie once, and read back', async () => {
    const { handler } = await setup();
    const first = await visit(handler, undefined, (s) => {
      s.setString('user', 'ada');
      s.setInt32('visits', 1);
    });
    expect(first.headers.setCookie).toMatch(/^sharedstate\.sid=CfDJ8[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(first.headers.cacheControl['Cache-Control']).toBe('no-cache,no-store');
    const cookie = cookieFrom(first.headers.setCookie);
    const second = await visit(handler, cookie, (s) => {
      expect(s.getString('user')).toBe('ada');
      expect(s.getInt32('visits')).toBe(1);
      expect(s.id).toBe(first.session.id);
    });
    expect(second.headers.setCookie).toBeUndefined();
  });

  test('getString reads bytes as ASP.NET Core does: a leading BOM kept, invalid UTF-8 as U+FFFD', async () => {
    const { handler } = await setup();
    const first = await visit(handler, undefined, (s) => {
      s.set('bom', Uint8Array.of(0xef, 0xbb, 0xbf, 0x41));
      s.set('invalid', Uint8Array.of(0x41, 0xff, 0x42, 0xc3));
      s.setString('text', 'Grüße, 東京 🎉');
      // Either side of the 32-byte run read byte by byte, and a non-ASCII byte after it.
      s.setString('ascii32', 'a'.repeat(32));
      s.setString('ascii33', 'b'.repeat(33));
      s.setString('late', `${'c'.repeat(40)}ü`);
      // Before a save, the values are the arrays set (not Buffers): decoded the same way.
      expect(s.getString('bom')).toBe('\uFEFFA');
      expect(s.getString('invalid')).toBe('A\uFFFDB\uFFFD');
    });
    await visit(handler, cookieFrom(first.headers.setCookie), (s) => {
      expect(s.getString('bom')).toBe('\uFEFFA');
      expect(s.getString('invalid')).toBe('A\uFFFDB\uFFFD');
      expect(s.getString('text')).toBe('Grüße, 東京 🎉');
      expect(s.getString('ascii32')).toBe('a'.repeat(32));
      expect(s.getString('ascii33')).toBe('b'.repeat(33));
      expect(s.getString('late')).toBe(`${'c'.repeat(40)}ü`);
    });
  });

  test('reading or removing alone never creates a cookie or a cache entry', async () => {
    const { handler, cache } = await setup();
    const { headers, session } = await visit(handler, undefined, (s) => {
      expect(s.getString('nothing')).toBeUndefined();
      s.remove('nothing');
    });
    expect(headers.setCookie).toBeUndefined();
    expect(await cache.get(sessionKey(session))).toBeUndefined();
  });

  test('a tampered, truncated or foreign cookie starts a fresh session', async () => {
    const { handler } = await setup();
    const other = await setup();
    const { headers } = await visit(handler, undefined, (s) => s.setString('k', 'v'));
    const good = cookieFrom(headers.setCookie);
    const foreign = cookieFrom(
      (await visit(other.handler, undefined, (s) => s.setString('k', 'v'))).headers.setCookie,
    );
    // The third character from the end, changed: to 'A', or to 'B' where it is an 'A' (chosen by the last
    // character instead, one run in 64 sent the good cookie unchanged).
    const tampered = `${good.slice(0, -3)}${good.at(-3) === 'A' ? 'B' : 'A'}${good.slice(-2)}`;
    for (const cookie of [
      tampered,
      good.slice(0, 60),
      foreign,
      'sharedstate.sid=%%%',
      `sharedstate.sid=${'A'.repeat(5000)}`,
    ]) {
      const { session } = await visit(handler, cookie, (s) => expect(s.getString('k')).toBeUndefined());
      expect(session.isNew).toBe(true);
    }
  });

  test('renewKey moves the data and the id to a new key and removes the old entry', async () => {
    const { handler, cache } = await setup();
    const { headers, session: before } = await visit(handler, undefined, (s) =>
      s.setString('cart', '3 books'),
    );
    const oldKey = sessionKey(before);
    const id = before.id;
    const after = await visit(handler, cookieFrom(headers.setCookie), async (s) => s.renewKey());
    expect(sessionKey(after.session)).not.toBe(oldKey);
    expect(after.headers.setCookie).toBeDefined();
    expect(await cache.get(oldKey)).toBeUndefined();
    await visit(handler, cookieFrom(after.headers.setCookie), (s) => {
      expect(s.getString('cart')).toBe('3 books');
      expect(s.id).toBe(id);
    });
  });

  test('regenerate, as express-session’s: a new, empty session with a new id, the old entry removed', async () => {
    const { handler, cache } = await setup();
    const { headers, session: before } = await visit(handler, undefined, (s) =>
      s.setString('cart', '3 books'),
    );
    const oldKey = sessionKey(before);
    const id = before.id;
    const after = await visit(handler, cookieFrom(headers.setCookie), async (s) => {
      await s.regenerate();
      expect(s.keys()).toEqual([]);
      s.setString('user', 'ada');
    });
    expect(sessionKey(after.session)).not.toBe(oldKey);
    expect(await cache.get(oldKey)).toBeUndefined();
    await visit(handler, cookieFrom(after.headers.setCookie), (s) => {
      expect([s.getString('cart'), s.getString('user')]).toEqual([undefined, 'ada']);
      expect(s.id).not.toBe(id);
    });
  });

  test('destroy removes the entry and expires the cookie', async () => {
    const { handler, cache } = await setup();
    const { headers, session } = await visit(handler, undefined, (s) => s.setString('k', 'v'));
    const destroyed = await visit(handler, cookieFrom(headers.setCookie), (s) => s.destroy());
    expect(destroyed.headers.setCookie).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(await cache.get(sessionKey(session))).toBeUndefined();
  });

  test('an unchanged, loaded session is not rewritten; an unread one (lazy) is refreshed', async () => {
    const cache = new MemoryDistributedCache();
    const dataProtection = createDataProtection({
      applicationName: 'x',
      repository: new EphemeralXmlRepository(),
    });
    const calls: string[] = [];
    // The real memory cache, with each call recorded on its way through.
    const observed = {
      get: (k: string, o?: object) => {
        calls.push('get');
        return cache.get(k, o);
      },
      set: (k: string, v: Uint8Array, e?: object, o?: object) => {
        calls.push('set');
        return cache.set(k, v, e, o);
      },
      refresh: (k: string, o?: object) => {
        calls.push('refresh');
        return cache.refresh(k, o);
      },
      remove: (k: string, o?: object) => {
        calls.push('remove');
        return cache.remove(k, o);
      },
    };
    const eager = new SessionHandler({ cache: observed, dataProtection });
    const lazy = new SessionHandler({ cache: observed, dataProtection, load: 'lazy' });
    const cookie = cookieFrom(
      (await visit(eager, undefined, (s) => s.setString('k', 'v'))).headers.setCookie,
    );
    calls.length = 0;
    await visit(eager, cookie, (s) => s.getString('k'));
    expect(calls).toEqual(['get']);
    calls.length = 0;
    await visit(lazy, cookie, () => {});
    expect(calls).toEqual(['refresh']);
    calls.length = 0;
    await visit(lazy, cookie, async (s) => {
      expect(() => s.getString('k')).toThrow(SessionStateError);
      await s.load();
      expect(s.getString('k')).toBe('v');
    });
    expect(calls).toEqual(['get']);
  });

  test('requests in flight at once: a reader leaves a writer alone; of two writers the last save wins', async () => {
    const { handler } = await setup();
    const cookie = cookieFrom(
      (await visit(handler, undefined, (s) => s.setString('user', 'ada'))).headers.setCookie,
    );
    // Both requests load before either saves, as two tabs or two parallel fetches of one user do.
    const reader = await handler.begin(request(cookie));
    const writer = await handler.begin(request(cookie));
    writer.setString('cart', '1 book');
    await handler.end(writer);
    expect(reader.getString('cart')).toBeUndefined();
    expect(handler.end(reader)).toBeUndefined();
    await visit(handler, cookie, (s) => expect(s.getString('cart')).toBe('1 book'));

    const first = await handler.begin(request(cookie));
    const second = await handler.begin(request(cookie));
    first.setString('flash', 'saved');
    second.setString('cart', '2 books');
    await handler.end(first);
    await handler.end(second);
    // The session is stored whole: the second save was made from what it loaded, without the flash.
    await visit(handler, cookie, (s) => {
      expect(s.getString('cart')).toBe('2 books');
      expect(s.getString('flash')).toBeUndefined();
      expect(s.getString('user')).toBe('ada');
    });
  });

  test('a cache that cannot be read leaves the session unavailable; set throws a typed error with the cause', async () => {
    const { logger, warnings } = recordingLogger();
    const { handler, cache } = await setup({ logger });
    const cookie = cookieFrom(
      (await visit(handler, undefined, (s) => s.setString('k', 'v'))).headers.setCookie,
    );
    cache.dispose(); // every call now fails, as a cache outage does
    for (let request = 0; request < 3; request++) {
      await visit(handler, cookie, (s) => {
        expect(s.isAvailable).toBe(false);
        expect(s.id).toBe('');
        expect(s.getString('k')).toBeUndefined();
        const thrown = thrownBy(() => s.setString('k', 'new'));
        expect(thrown).toBeInstanceOf(SessionUnavailableError);
        const cause = (thrown as Error).cause as Error;
        expect(cause).toBeInstanceOf(Error);
        expect((thrown as Error).message).toContain(`(${cause.message})`);
      });
    }
    // Logged once, not once per request: an outage must not write a line per request.
    expect(warnings).toEqual([expect.stringMatching(/^Session cache read exception/)]);
  });

  test('a failed commit fails the request by default, or goes to onCommitError', async () => {
    const { handler, cache } = await setup();
    const session = await handler.begin(request());
    session.setString('k', 'v');
    cache.dispose();
    await expect(handler.end(session)).rejects.toThrow(SessionCommitError);
    const seen: unknown[] = [];
    const tolerant = await setup({ onCommitError: (error) => seen.push(error) });
    const s2 = await tolerant.handler.begin(request());
    s2.setString('k', 'v');
    tolerant.cache.dispose();
    await tolerant.handler.end(s2);
    expect(seen[0]).toBeInstanceOf(SessionCommitError);
  });

  test('a failed request still saves its change; a save failing too is logged or goes to onCommitError', async () => {
    const { handler, cache } = await setup();
    const saved = await handler.begin(request());
    saved.setString('k', 'v');
    await handler.endAfterFailure(saved);
    expect(await cache.get(sessionKey(saved))).toBeDefined();

    const { logger, errors } = recordingLogger();
    const logged = await setup({ logger });
    const lost = await logged.handler.begin(request());
    lost.setString('k', 'v');
    logged.cache.dispose();
    await expect(logged.handler.endAfterFailure(lost)).resolves.toBeUndefined();
    expect(errors).toEqual([
      expect.stringMatching(/could not be saved.*\(after the request itself failed\)$/),
    ]);

    const seen: unknown[] = [];
    const tolerant = await setup({ onCommitError: (error) => seen.push(error), logger });
    const taken = await tolerant.handler.begin(request());
    taken.setString('k', 'v');
    tolerant.cache.dispose();
    await tolerant.handler.endAfterFailure(taken);
    expect(seen).toEqual([expect.any(SessionCommitError)]);
    expect(errors).toHaveLength(1);
  });

  test("a property a library assigned (connect-flash's flash) fails with the adapter option that gives the library its session object", async () => {
    const { handler } = await setup();
    const session = await handler.begin(request());
    // connect-flash's req.flash() does `req.session.flash = req.session.flash || {}`.
    Object.assign(session, { flash: {} });
    const failure = await endFailure(handler, session);
    expect((failure as Error).message).toMatch(
      /assigned 'flash' as a property.*connect-flash.*session\(options, \{ properties: true \}\)/,
    );
  });

  test('a value assigned as a property of the session fails the request by name; the method-made change is kept', async () => {
    const { handler, cache } = await setup();
    const session = await handler.begin(request());
    session.setString('kept', 'yes');
    // The express-session / koa-session habit: a plain property, which is not stored.
    Object.assign(session, { user: 'ada', views: 1 });
    const failure = await endFailure(handler, session);
    expect(failure).toBeInstanceOf(SessionCommitError);
    expect((failure as Error).cause).toBeInstanceOf(SessionUsageError);
    expect((failure as Error).message).toMatch(
      /assigned 'user', 'views' as properties of the session object.*setJson\("user", value\)/,
    );
    expect(await cache.get(sessionKey(session))).toBeDefined();

    // An unchanged session with only a stray property fails too (its value would be lost just the same),
    // as does an explicit commit; onCommitError takes it like any failed save.
    const seen: unknown[] = [];
    const tolerant = await setup({ onCommitError: (error) => seen.push(error) });
    const unchanged = await tolerant.handler.begin(request());
    Object.assign(unchanged, { cart: ['book'] });
    await expect(unchanged.commit()).rejects.toThrow(/assigned 'cart' as a property/);
    const ending = tolerant.handler.end(unchanged);
    expect(ending).toBeDefined();
    await ending;
    expect(seen).toEqual([expect.any(SessionCommitError)]);
  });

  test("replaced(): null signs out, another middleware's session is left alone, the app's own values fail", async () => {
    const { handler, cache } = await setup();
    const first = await visit(handler, undefined, (s) => s.setString('user', 'ada'));
    const cookie = cookieFrom(first.headers.setCookie);
    const key = sessionKey(first.session);

    // express-session's Session (a class instance) in the property: not ours to judge.
    class OtherMiddlewaresSession {
      views = 1;
    }
    const beside = await handler.begin(request(cookie));
    handler.replaced(beside, new OtherMiddlewaresSession(), 'req.session');
    expect(handler.end(beside)).toBeUndefined();

    // A plain object or a primitive would be dropped: the end fails, naming the property.
    for (const value of [{ user: 'bob' }, Object.create(null), 'bob']) {
      const replaced = await handler.begin(request(cookie));
      handler.replaced(replaced, value, 'req.session');
      const failure = await endFailure(handler, replaced);
      expect(failure).toBeInstanceOf(SessionCommitError);
      expect((failure as Error).cause).toBeInstanceOf(SessionUsageError);
      expect((failure as Error).message).toMatch(
        /req\.session was replaced by a (plain object|string), which is not stored.*req\.session = null to sign out/,
      );
    }
    expect(await cache.get(key)).toBeDefined();

    // null (cookie-session's sign-out): destroyed, the cookie expired, the entry removed.
    const signedOut = await visit(handler, cookie, (s) => handler.replaced(s, null, 'req.session'));
    expect(signedOut.headers.setCookie).toMatch(/^sharedstate\.sid=; .*Expires=Thu, 01 Jan 1970/);
    expect(await cache.get(key)).toBeUndefined();
  });

  test('a callback passed out of habit (regenerate(cb), destroy(cb)) throws at once instead of hanging', async () => {
    const { handler } = await setup();
    const session = await handler.begin(request());
    const callback = () => {};
    const withCallback = (method: 'regenerate' | 'destroy' | 'commit' | 'load') => () =>
      (session[method] as (this: typeof session, cb: unknown) => unknown).call(session, callback);
    for (const method of ['regenerate', 'destroy', 'commit', 'load'] as const) {
      expect(withCallback(method)).toThrow(SessionUsageError);
    }
    expect(withCallback('regenerate')).toThrow(
      'session.regenerate() takes no arguments and calls no callback: use `await session.regenerate()`, then answer.',
    );
    // None of them acted: the session was neither regenerated nor destroyed, so the end has nothing to do.
    expect(handler.end(session)).toBeUndefined();
  });

  test("express-session's and koa-session's members (save, cookie, maxAge, …) throw at once, saying what to do instead", async () => {
    const { handler } = await setup();
    const session = await handler.begin(request());
    // As an app written for those libraries uses them (untyped: TypeScript rejects each of these).
    const habit = session as unknown as {
      save(done: () => void): void;
      touch(): void;
      reload(done: () => void): void;
      cookie: { maxAge: number };
      maxAge: number | 'session';
      manuallyCommit(): Promise<void>;
    };
    const done = () => {};
    expect(() => habit.save(done)).toThrow(SessionUsageError);
    expect(() => habit.save(done)).toThrow(
      "session.save() is express-session's: the session is saved before the response is sent; to save earlier, " +
        '`await session.commit()`. Libraries written against express-session (Passport, koa-passport, ' +
        'connect-flash) or @fastify/session (@fastify/passport, @fastify/flash) need its session object: with ' +
        'Express or Koa, pass the adapter option session(options, { properties: true }); with Fastify, ' +
        'register the plugin with { properties: true }.',
    );
    expect(() => habit.touch()).toThrow(/renews its idle timeout; remove the call/);
    expect(() => habit.reload(done)).toThrow(/read once per request/);
    expect(() => {
      habit.cookie.maxAge = 30 * 86_400_000;
    }).toThrow(/session\.cookie holds express-session's per-session cookie settings.*idleTimeout/);
    expect(() => {
      habit.maxAge = 'session';
    }).toThrow(/session\.maxAge is koa-session's per-session lifetime/);
    expect(() => habit.manuallyCommit()).toThrow(/use `await session\.commit\(\)`/);
    // None of them left a property behind or counts as a change: the end has nothing to do, and the
    // session still prints and serializes as before.
    expect(Object.keys(session)).toEqual([]);
    expect(handler.end(session)).toBeUndefined();
    expect(() => inspect(session)).not.toThrow();
    expect(JSON.stringify(session)).toBe('{}');
  });

  test('a cache that throws instead of rejecting fails the commit the same way', async () => {
    const cache = new MemoryDistributedCache();
    const throwing = Object.assign(Object.create(cache) as MemoryDistributedCache, {
      set: () => {
        throw new Error('synchronous failure');
      },
    });
    const { handler } = await setup({ cache: throwing });
    const session = await handler.begin(request());
    session.setString('k', 'v');
    await expect(handler.end(session)).rejects.toThrow(SessionCommitError);
    await expect(handler.end(session)).rejects.toThrow('synchronous failure');
  });

  test('a change after the request ended is refused and logged, on an existing session as on a new one', async () => {
    // The route's `fakeDb().then(() => s.setJson('order', 42)); res.redirect('/me')`: the end of the request
    // saves the session before the promise runs, so the change could never be saved.
    const { logger, errors } = recordingLogger();
    const { handler } = await setup({ logger });
    const first = await visit(handler, undefined, (s) => s.setString('cart', 'apples'));
    const existing = await handler.begin(request(cookieFrom(first.headers.setCookie)));
    expect(existing.isNew).toBe(false);
    expect(handler.end(existing)).toBeUndefined();
    expect(() => existing.setJson('order', 42)).toThrow(SessionStateError);
    expect(() => existing.remove('cart')).toThrow(/session\.remove 'cart' came after the request ended/);
    expect(() => existing.destroy()).toThrow(SessionStateError);
    expect(() => existing.update('visits', (n) => ((n as number | undefined) ?? 0) + 1)).toThrow(
      SessionStateError,
    );
    const fresh = await handler.begin(request());
    expect(handler.end(fresh)).toBeUndefined();
    expect(() => fresh.setJson('order', 42)).toThrow(
      /session\.set 'order' came after the request ended and its session was saved: the change would be lost\. Await the work/,
    );
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatch(/^session\.set 'order' came after the request ended/);
    // Nothing of it reached the store: the next request sees the session as it was saved.
    await visit(handler, cookieFrom(first.headers.setCookie), (s) => {
      expect([s.getString('cart'), s.getJson('order')]).toEqual(['apples', undefined]);
    });
  });

  test('without a logger, warnings and errors go to the console; logger: false silences them', async () => {
    const printed = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (const logger of [undefined, false] as const) {
        const { handler } = await (logger === undefined ? setupWithDefaultLogger() : setup({ logger }));
        const session = await handler.begin(request());
        handler.end(session);
        expect(() => session.setString('k', 'v')).toThrow(SessionStateError);
      }
      expect(printed.mock.calls.map(([message]) => message)).toEqual([
        expect.stringMatching(/^session\.set 'k' came after the request ended/),
      ]);
    } finally {
      printed.mockRestore();
    }
    expect(withOptions({ logger: 'console' })).toThrow(
      'logger must have debug, info, warn, error methods (pino, console and most loggers do), or be false for no logging.',
    );
  });

  test('a new session cannot be established after the response started', async () => {
    const { handler } = await setup();
    const req = request();
    const session = await handler.begin(req);
    req.started = true;
    expect(() => session.setString('k', 'v')).toThrow(
      'The session cannot be established after the response has started.',
    );
  });

  test('values over maxSessionSize are refused with a clear error', async () => {
    const { handler } = await setup({ maxSessionSize: 4096 });
    const session = await handler.begin(request());
    session.set('small', new Uint8Array(1000));
    expect(() => session.set('big', new Uint8Array(4000))).toThrow(SessionTooLargeError);
    expect(() => session.set('big', new Uint8Array(4000))).toThrow(/maxSessionSize/);
    expect(session.keys()).toEqual(['small']);
  });

  test('an unreadable stored session starts empty and is overwritten', async () => {
    const { handler, cache } = await setup();
    const { headers, session } = await visit(handler, undefined, (s) => s.setString('k', 'v'));
    await cache.set(sessionKey(session), Uint8Array.of(9, 9, 9));
    await visit(handler, cookieFrom(headers.setCookie), (s) => expect(s.keys()).toEqual([]));
    expect((await cache.get(sessionKey(session)))?.[0]).toBe(2);
  });

  test("time comes from the injected clock: a remembered cookie's Expires, and its renewal past half its lifetime", async () => {
    const day = 86_400_000;
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const { handler } = await setup({ clock });
    const expiresOf = (header: string | undefined) =>
      Date.parse(/Expires=([^;]+)/.exec(header ?? '')?.[1] ?? '');
    const first = await visit(handler, undefined, (s) => {
      s.setString('user', 'ada');
      s.rememberFor('30d');
    });
    expect(expiresOf(first.headers.setCookie)).toBe(Date.UTC(2030, 0, 31));
    const cookie = cookieFrom(first.headers.setCookie);
    clock.advance(14 * day);
    expect((await visit(handler, cookie, (s) => s.getString('user'))).headers.setCookie).toBeUndefined();
    clock.advance(2 * day);
    const renewed = await visit(handler, cookie, (s) => expect(s.getString('user')).toBe('ada'));
    expect(expiresOf(renewed.headers.setCookie)).toBe(Date.UTC(2030, 0, 17) + 30 * day);
  });

  test('cookie.maxAge makes the cookie persistent: set when the session is established, and again when it changes', async () => {
    const { handler } = await setup({ cookie: { maxAge: '30d' } });
    const before = Date.now();
    const first = await visit(handler, undefined, (s) => s.setString('user', 'ada'));
    const header = first.headers.setCookie!;
    expect(header).toMatch(
      /^sharedstate\.sid=CfDJ8[^;]+; Max-Age=2592000; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );
    const expires = Date.parse(/Expires=([^;]+)/.exec(header)![1]!);
    // Expires is whole seconds: within a second of 30 days from now.
    expect(expires).toBeGreaterThanOrEqual(before + 30 * 86_400_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);
    // As express-session does (ASP.NET Core never does): a request that changes the session sends the
    // cookie again with a full lifetime, so a user who keeps using the site keeps it; a read does not.
    const cookie = cookieFrom(header);
    const write = await visit(handler, cookie, (s) => s.setString('user', 'grace'));
    expect(write.headers.setCookie).toMatch(/^sharedstate\.sid=CfDJ8[^;]+; Max-Age=2592000; /);
    expect(cookieFrom(write.headers.setCookie)).toBe(cookie);
    const read = await visit(handler, cookie, (s) => s.getString('user'));
    expect(read.headers.setCookie).toBeUndefined();
    // regenerate() (at sign-in) issues a new one, with a fresh lifetime; destroy() expires it with no Max-Age.
    const regenerated = await visit(handler, cookie, (s) => s.regenerate());
    expect(regenerated.headers.setCookie).toMatch(/; Max-Age=2592000; /);
    const destroyed = await visit(handler, cookieFrom(regenerated.headers.setCookie), (s) => s.destroy());
    expect(destroyed.headers.setCookie).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(destroyed.headers.setCookie).not.toMatch(/Max-Age/);
  });

  test('rolling sends the persistent cookie again on every response, reads included', async () => {
    const { handler } = await setup({ cookie: { maxAge: '1h' }, rolling: true });
    const first = await visit(handler, undefined, (s) => s.setString('user', 'ada'));
    const cookie = cookieFrom(first.headers.setCookie);
    const read = await visit(handler, cookie, (s) => s.getString('user'));
    expect(read.headers.setCookie).toMatch(/^sharedstate\.sid=CfDJ8[^;]+; Max-Age=3600; /);
    // Without cookie.maxAge the cookie lasts as long as the browser: nothing to renew.
    const { handler: browserSession } = await setup({ rolling: true });
    const made = await visit(browserSession, undefined, (s) => s.setString('user', 'ada'));
    const again = await visit(browserSession, cookieFrom(made.headers.setCookie), (s) => s.getString('user'));
    expect(again.headers.setCookie).toBeUndefined();
    expect(withOptions({ rolling: 'yes' })).toThrow('rolling must be true or false; got yes.');
  });

  test('rememberFor keeps one session and its cookie beyond the idle timeout, across later saves, until undone', async () => {
    let now = Date.UTC(2026, 0, 1);
    const day = 86_400_000;
    const cache = new MemoryDistributedCache({ clock: { now: () => now } });
    const { handler } = await setup({ cache, idleTimeout: '20m' });
    // Signed in with "remember me", and (the control) without it.
    const remembered = await visit(handler, undefined, (s) => {
      s.setString('user', 'ada');
      s.rememberFor('30d');
      expect(s.rememberedForMs).toBe(30 * day);
    });
    expect(remembered.headers.setCookie).toMatch(
      /^sharedstate\.sid=CfDJ8[^;]+; Max-Age=2592000; Path=\/; Expires=/,
    );
    const plain = await visit(handler, undefined, (s) => s.setString('user', 'bob'));
    expect(plain.headers.setCookie).not.toMatch(/Max-Age/);
    const cookie = cookieFrom(remembered.headers.setCookie);

    now += day;
    await visit(handler, cookieFrom(plain.headers.setCookie), (s) =>
      expect(s.getString('user')).toBeUndefined(),
    );
    const read = await visit(handler, cookie, (s) => {
      expect(s.getString('user')).toBe('ada');
      expect(s.rememberedForMs).toBe(30 * day);
      // Hidden from the app's own values.
      expect(s.keys()).toEqual(['user']);
      s.setString('cart', 'book');
    });
    // The browser's cookie keeps its lifetime from sign-in: not re-sent on a read or a write.
    expect(read.headers.setCookie).toBeUndefined();

    // The write above was saved with the 30-day window, not the 20-minute default.
    now += 2 * day;
    const undone = await visit(handler, cookie, (s) => {
      expect(s.keys()).toEqual(['user', 'cart']);
      s.rememberFor(false);
      expect(s.rememberedForMs).toBeUndefined();
    });
    // Back to a browser-session cookie, and to the idle timeout.
    expect(undone.headers.setCookie).toMatch(
      /^sharedstate\.sid=CfDJ8[^;]+; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    expect(cookieFrom(undone.headers.setCookie)).toBe(cookie);
    now += 21 * 60_000;
    await visit(handler, cookie, (s) => expect(s.keys()).toEqual([]));
    cache.dispose();
  });

  test('a remembered session in use gets its cookie again, with the full lifetime, once half of it has passed', async () => {
    const { handler, cache } = await setup();
    const day = 86_400_000;
    const first = await visit(handler, undefined, (s) => {
      s.setString('user', 'ada');
      s.rememberFor('30d');
    });
    const cookie = cookieFrom(first.headers.setCookie);
    const key = sessionKey(first.session);
    /** Rewrites the stored session as if its cookie had been sent `daysAgo` days ago. */
    const sentDaysAgo = async (daysAgo: number) => {
      const snapshot = deserializeSession((await cache.get(key))!) as SessionSnapshot;
      const sentAt = Math.floor((Date.now() - daysAgo * day) / 1000);
      snapshot.entries.set('.sharedstate.lifetime', Buffer.from(`2592000:${sentAt}`));
      await cache.set(key, serializeSession(snapshot), { slidingExpiration: 30 * day });
    };
    const storedSentAt = async () => {
      const snapshot = deserializeSession((await cache.get(key))!) as SessionSnapshot;
      return (
        Number(Buffer.from(snapshot.entries.get('.sharedstate.lifetime')!).toString().split(':')[1]) * 1000
      );
    };

    // Within the first half (14 of 30 days): nothing is sent, nothing written.
    await sentDaysAgo(14);
    const early = await visit(handler, cookie, (s) => expect(s.getString('user')).toBe('ada'));
    expect(early.headers.setCookie).toBeUndefined();
    expect(await storedSentAt()).toBeLessThan(Date.now() - 13 * day);

    // Past it (16 days): the same cookie again with 30 days, and the time noted for every instance.
    await sentDaysAgo(16);
    const renewed = await visit(handler, cookie, (s) => expect(s.getString('user')).toBe('ada'));
    expect(renewed.headers.setCookie).toMatch(/; Max-Age=2592000; /);
    expect(cookieFrom(renewed.headers.setCookie)).toBe(cookie);
    expect(await storedSentAt()).toBeGreaterThan(Date.now() - 5_000);
    const after = await visit(handler, cookie, (s) => expect(s.rememberedForMs).toBe(30 * day));
    expect(after.headers.setCookie).toBeUndefined();
  });

  test('rememberFor survives regenerate() and clear(), keeps its entry name to itself, and refuses bad input', async () => {
    const { handler, cache } = await setup({ cookie: { maxAge: '1h' } });
    const first = await visit(handler, undefined, (s) => {
      s.setString('user', 'ada');
      s.rememberFor('7d');
    });
    expect(first.headers.setCookie).toMatch(/; Max-Age=604800; /);
    // Stored as a string value an ASP.NET Core app can read too.
    expect(Buffer.from((await cache.get(sessionKey(first.session)))!).includes('.sharedstate.lifetime')).toBe(
      true,
    );
    const cookie = cookieFrom(first.headers.setCookie);
    const regenerated = await visit(handler, cookie, async (s) => {
      await s.regenerate();
      s.clear();
      expect(s.keys()).toEqual([]);
      expect(s.get('.sharedstate.lifetime')).toBeUndefined();
      expect(() => s.setString('.sharedstate.lifetime', '1')).toThrow(SessionUsageError);
      s.remove('.sharedstate.lifetime');
      for (const bad of ['500ms', '401d', 'soon', 0, -1]) {
        expect(() => s.rememberFor(bad as string)).toThrow(SessionUsageError);
      }
    });
    // The new cookie carries the session's own lifetime, not cookie.maxAge.
    expect(regenerated.headers.setCookie).toMatch(/; Max-Age=604800; /);
    await visit(handler, cookieFrom(regenerated.headers.setCookie), (s) => {
      expect(s.rememberedForMs).toBe(7 * 86_400_000);
      // Undone, the cookie goes back to cookie.maxAge.
      s.rememberFor(false);
    }).then(({ headers }) => expect(headers.setCookie).toMatch(/; Max-Age=3600; /));

    const req = request(cookieFrom(regenerated.headers.setCookie));
    const late = await handler.begin(req);
    req.started = true;
    expect(() => late.rememberFor('30d')).toThrow(
      "The session's lifetime cannot change after the response has started: its cookie goes out with the headers.",
    );
    const destroyed = await handler.begin(request());
    destroyed.destroy();
    expect(() => destroyed.rememberFor('30d')).toThrow(SessionStateError);
  });

  test('secure: auto follows the request scheme; the compat preset uses ASP.NET Core’s cookie name', async () => {
    const { handler } = await setup({ ...aspnetCoreCompat });
    const session = await handler.begin(request(undefined, true));
    session.setString('k', 'v');
    expect(handler.responseHeaders(session).setCookie).toMatch(
      /^\.AspNetCore\.Session=.*; Secure; SameSite=Lax$/,
    );
  });

  test('a cookie written without Secure behind a proxy that reports https warns once, naming the setting', async () => {
    const { logger, warnings } = recordingLogger();
    const establish = async (handler: SessionHandler, proxied: string | undefined, secure = false) => {
      const session = await handler.begin({ ...request(undefined, secure), forwardedProto: proxied });
      session.setString('k', 'v');
      return handler.responseHeaders(session).setCookie;
    };
    const { handler } = await setup({ logger });
    // Not behind a proxy, or behind one the framework trusts: nothing to say.
    expect(await establish(handler, undefined)).not.toMatch(/Secure/);
    expect(await establish(handler, 'https', true)).toMatch(/; Secure;/);
    expect(await establish(handler, 'http')).not.toMatch(/Secure/);
    expect(warnings).toEqual([]);
    // A proxy terminates HTTPS and the framework does not trust it.
    expect(await establish(handler, 'https')).not.toMatch(/Secure/);
    expect(await establish(handler, 'https')).not.toMatch(/Secure/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/X-Forwarded-Proto says https/);
    expect(warnings[0]).toMatch(/app\.set\('trust proxy', 1\).*app\.proxy = true.*trustProxy: true/);
    // A SameSite=None or partitioned cookie is always Secure under 'auto' (browsers take it only so).
    for (const cookie of [{ sameSite: 'none' as const }, { partitioned: true }]) {
      const always = await setup({ logger, cookie });
      expect(await establish(always.handler, 'https')).toMatch(/; Secure;/);
      expect(await establish(always.handler, undefined)).toMatch(/; Secure;/);
    }
    // secure: false is the app's own choice.
    const plain = await setup({ logger, cookie: { secure: false } });
    await establish(plain.handler, 'https');
    expect(warnings).toHaveLength(1);
  });

  test('forwardedProto reads the first scheme of X-Forwarded-Proto', () => {
    expect(forwardedProto('https')).toBe('https');
    expect(forwardedProto(' HTTPS , http')).toBe('https');
    expect(forwardedProto(['https', 'http'])).toBe('https');
    expect(forwardedProto('')).toBeUndefined();
    expect(forwardedProto(undefined)).toBeUndefined();
  });

  test('a __Host- or __Secure- cookie is written Secure even over plain HTTP, as browsers require', async () => {
    for (const name of ['__Host-sid', '__Secure-sid']) {
      const { handler } = await setup({ cookie: { name } });
      const session = await handler.begin(request(undefined, false));
      session.setString('k', 'v');
      expect(handler.responseHeaders(session).setCookie).toMatch(new RegExp(`^${name}=.*; Secure;`));
    }
    // Without a prefix, 'auto' follows the request.
    const { handler } = await setup({ cookie: { name: 'sid' } });
    const session = await handler.begin(request(undefined, false));
    session.setString('k', 'v');
    expect(handler.responseHeaders(session).setCookie).not.toMatch(/Secure/);
  });

  test('typed JSON values without declaration merging', async () => {
    interface Data {
      cart: { sku: string; qty: number }[];
      user: { name: string };
    }
    const { handler } = await setup();
    const session = (await handler.begin(
      request(),
    )) as unknown as import('@sharedstate/session-core').Session<Data>;
    session.setJson('cart', [{ sku: 'b1', qty: 2 }]);
    const cart = session.getJson('cart');
    expect(cart?.[0]?.qty).toBe(2);
  });

  test('misconfiguration fails when the middleware is created', () => {
    const dataProtection = createDataProtection({
      applicationName: 'x',
      repository: new EphemeralXmlRepository(),
    });
    const cache = new MemoryDistributedCache();
    expect(() => new SessionHandler({ cache, dataProtection, idleTimeout: 'never' })).toThrow(/idleTimeout/);
    expect(() => new SessionHandler({ cache: {} as never, dataProtection })).toThrow(
      SessionConfigurationError,
    );
    expect(() => new SessionHandler({ cache, dataProtection: undefined as never })).toThrow(/dataProtection/);
    expect(
      () => new SessionHandler({ cache, dataProtection, cookie: { sameSite: 'none', secure: false } }),
    ).toThrow(/secure/);
    expect(() => new SessionHandler({ cache, dataProtection, cookie: { name: 'bad name' } })).toThrow(
      /cookie.name/,
    );
  });

  test('cookie attributes the cookie writer or browsers would not take fail at creation', () => {
    const withCookie = (cookie: object) => withOptions({ cookie });
    // Accepted by the cookie writer, ignored by browsers (the cookie would stay in one folder).
    expect(withCookie({ path: 'shop' })).toThrow(SessionConfigurationError);
    expect(withCookie({ path: 'shop' })).toThrow(
      `cookie.path must start with '/', such as '/' or '/shop'; got "shop"`,
    );
    expect(withCookie({ path: '' })).toThrow(/cookie\.path must start with '\/'/);
    expect(withCookie({ path: 42 })).toThrow(/cookie\.path must start with '\/'.*; got 42 /);
    // Refused by the cookie writer, until now only when the first session was established.
    expect(withCookie({ path: '/a;b' })).toThrow(/cookie\.path "\/a;b" has a character/);
    expect(withCookie({ path: '/bücher' })).toThrow(/percent-encode it/);
    for (const domain of [
      'https://example.com',
      'example.com:8443',
      'example.com/shop',
      'bücher.example',
      7,
    ]) {
      expect(withCookie({ domain })).toThrow(/cookie\.domain must be a host name alone/);
    }
    // Browsers ignore a Path or Domain over 1,024 bytes: the cookie would not be scoped as configured.
    expect(withCookie({ path: `/${'a'.repeat(1024)}` })).toThrow(
      "cookie.path is 1025 characters; browsers ignore a cookie's Path longer than 1024",
    );
    expect(withCookie({ domain: `${`${'a'.repeat(60)}.`.repeat(17)}com` })).toThrow(
      /cookie\.domain is 1040 characters; browsers ignore a cookie's Domain/,
    );
    expect(withCookie({ path: `/${'a'.repeat(1023)}` })).not.toThrow();
    expect(withCookie({ maxAge: '401d' })).toThrow(
      "cookie.maxAge can be at most 400 days (browsers cap a cookie's lifetime there); got 401d.",
    );
    expect(withCookie({ maxAge: '400d' })).not.toThrow();
    expect(withCookie({ httpOnly: 'false' })).toThrow('cookie.httpOnly must be true or false; got "false".');
    expect(withCookie({ partitioned: 1, secure: true })).toThrow(/cookie\.partitioned must be true or false/);
    // Cookie name prefixes: browsers drop a cookie whose attributes break its prefix's rules.
    expect(withCookie({ name: '__Host-sid', secure: false })).toThrow(
      "cookie.name '__Host-sid': browsers drop a __Host- cookie that is not Secure",
    );
    expect(withCookie({ name: '__secure-sid', secure: false })).toThrow(
      /a __secure- cookie that is not Secure/,
    );
    expect(withCookie({ name: '__Host-sid', domain: 'example.com' })).toThrow(
      /a __Host- cookie with a Domain or with a Path other than '\/'/,
    );
    expect(withCookie({ name: '__HOST-sid', path: '/shop', secure: true })).toThrow(
      /__HOST- cookie with a Domain/,
    );
    for (const cookie of [
      { name: '__Host-sid' },
      { name: '__Host-sid', secure: true, path: '/' },
      { name: '__Secure-sid', path: '/shop', domain: 'example.com' },
      { name: '_Host-sid', secure: false, path: '/shop' },
      { path: '/shop', domain: 'example.com' },
      { domain: '.example.com' },
      { domain: 'localhost', httpOnly: false },
      { domain: 'xn--bcher-kva.example', partitioned: true, secure: true },
      { path: '/a%20b', domain: undefined },
    ]) {
      expect(withCookie(cookie)).not.toThrow();
    }
  });

  test("the longest cookie name accepted still fits browsers' 4,096 bytes with the longest protected value", async () => {
    expect(withOptions({ cookie: { name: 'n'.repeat(3440) } })).toThrow(
      'cookie.name is 3440 characters; browsers drop a cookie whose name and value pass 4,096 bytes, and the value takes up to 657: use a name of at most 3439.',
    );
    const name = 'n'.repeat(3439);
    // AES-256-CBC with HMACSHA512 makes the longest protected session key.
    const dataProtection = createDataProtection({
      applicationName: 'x',
      repository: new EphemeralXmlRepository(),
      algorithms: { encryption: 'AES_256_CBC', validation: 'HMACSHA512' },
    });
    const handler = new SessionHandler({
      cache: new MemoryDistributedCache(),
      dataProtection,
      cookie: { name },
    });
    const { headers } = await visit(handler, undefined, (s) => s.setString('k', 'v'));
    const pair = cookieFrom(headers.setCookie);
    expect(decodeURIComponent(pair.slice(name.length + 1))).toHaveLength(219);
    expect(Buffer.byteLength(pair)).toBeLessThanOrEqual(4096);
  });

  test('options from express-session or koa-session fail with what to use instead, never silently ignored', () => {
    expect(withOptions({ secret: 'keyboard cat' })).toThrow(SessionConfigurationError);
    expect(withOptions({ secret: 'keyboard cat' })).toThrow(
      "Unknown session option 'secret': the cookie is protected by `dataProtection`",
    );
    expect(withOptions({ store: {} })).toThrow(/'store': use `cache`/);
    // Hono's adapter option, given with the session's options.
    expect(withOptions({ trustProxy: true })).toThrow(
      /'trustProxy': the Hono adapter takes it as its second argument/,
    );
    // koa-session's cookie attributes sit at the top level.
    expect(withOptions({ sameSite: 'strict' })).toThrow(
      "Unknown session option 'sameSite': use `cookie.sameSite`.",
    );
    expect(withOptions({ maxAge: 86_400_000 })).toThrow(/'maxAge': use `idleTimeout`/);
    expect(withOptions({ cookie: { expires: new Date() } })).toThrow(
      /'cookie\.expires': use `cookie\.maxAge`/,
    );
    expect(withOptions({ cookie: { maxAge: 500 } })).toThrow(/cookie\.maxAge must be at least one second/);
    expect(withOptions({ cookie: { maxAge: 500 } })).toThrow(/got 500 \(a number is milliseconds/);
    // idleTimeout: 20 meant as minutes (or connect-redis's ttl in seconds) is 20 ms: every request a new session.
    expect(withOptions({ idleTimeout: 20 })).toThrow(
      "idleTimeout must be at least one second, or every request would start a new session; got 20 (a number is milliseconds: write '20m', '1d', or 20 * 60_000).",
    );
    expect(withOptions({ idleTimeout: '500ms' })).toThrow(/idleTimeout must be at least one second/);
    expect(withOptions({ idleTimeout: 1000 })).not.toThrow();
    expect(withOptions({ cookie: { maxAge: 'forever' } })).toThrow(/cookie\.maxAge/);
    expect(withOptions({ idleTimout: '5m' })).toThrow(
      "Unknown session option 'idleTimout': the options are cache, dataProtection, idleTimeout, ioTimeout, keyRingWait, cookie, load, maxSessionSize, onCommitError, logger, clock, concurrentUpdates, rolling, userSessions.",
    );
    expect(withOptions({ cookie: { sameSite: 'lax', sameSitee: 'strict' } })).toThrow(
      /'cookie\.sameSitee': the options are name, path, domain/,
    );
    expect(withOptions({ cookie: 'sid' })).toThrow(/cookie must be an object/);
    // A field present but undefined asks for nothing, and the presets pass.
    expect(
      withOptions({ logger: undefined, secret: undefined, cookie: { expires: undefined } }),
    ).not.toThrow();
    expect(withOptions({ ...aspnetCoreCompat, idleTimeout: '5m' })).not.toThrow();
  });
});
