import type { Session } from '@sharedstate/session-core';
import type { SessionRequest } from '@sharedstate/session-core/adapter';
import { cookieFrom, request, sessionKey, setup } from './fixtures.ts';
import type { SessionHandler } from './session-handler-for-tests.ts';

/** What beginThen handed to its receiver: the session, or the failure (whichever came first). */
function beginThen(
  handler: SessionHandler,
  req: SessionRequest,
  onReady: (session: Session) => void = () => {},
): Promise<{ session?: Session; failure?: unknown; calls: string[] }> {
  return new Promise((resolve) => {
    const calls: string[] = [];
    handler.beginThen(req, {
      sessionReady(session) {
        calls.push('ready');
        onReady(session);
        resolve({ session, calls });
      },
      sessionFailed(failure) {
        calls.push('failed');
        resolve({ failure, calls });
      },
    });
  });
}

/** A cookie for a stored session holding k=v. */
async function storedSession(handler: SessionHandler): Promise<string> {
  const session = await handler.begin(request());
  session.setString('k', 'v');
  await handler.end(session);
  const cookie = cookieFrom(handler.responseHeaders(session).setCookie);
  return cookie;
}

describe('beginThen (begin() for adapters that carry on in a callback)', () => {
  test('hands over the session begin() resolves with: new, returning (loaded), and a cookie not seen before', async () => {
    const { handler, dataProtection, cache } = await setup();
    const fresh = await beginThen(handler, request());
    expect(fresh.session?.isNew).toBe(true);
    expect(fresh.session?.isLoaded).toBe(true);

    const cookie = await storedSession(handler);
    const returning = await beginThen(handler, request(cookie));
    expect(returning.session?.isNew).toBe(false);
    expect(returning.session?.getString('k')).toBe('v');

    // Another instance with the same keys and cache: the cookie is unprotected there first.
    const other = (await setup({ cache, dataProtection })).handler;
    const elsewhere = await beginThen(other, request(cookie));
    expect(elsewhere.session?.getString('k')).toBe('v');
    expect(sessionKey(elsewhere.session as Session<object>)).toBe(
      sessionKey(returning.session as Session<object>),
    );
  });

  test('lazy mode hands over an unloaded session; a tampered cookie a fresh one, not a failure', async () => {
    const { handler, dataProtection, cache } = await setup();
    const cookie = await storedSession(handler);
    const lazy = (await setup({ cache, dataProtection, load: 'lazy' })).handler;
    const unloaded = await beginThen(lazy, request(cookie));
    expect(unloaded.session?.isLoaded).toBe(false);
    await unloaded.session?.load();
    expect(unloaded.session?.getString('k')).toBe('v');

    const tampered = await beginThen(handler, request(`${cookie.slice(0, -4)}AAAA`));
    expect(tampered.calls).toEqual(['ready']);
    expect(tampered.session?.isNew).toBe(true);
  });

  test('a cache that fails the read still hands over the session, unavailable', async () => {
    const { handler, cache } = await setup();
    const cookie = await storedSession(handler);
    cache.dispose();
    const outage = await beginThen(handler, request(cookie));
    expect(outage.calls).toEqual(['ready']);
    expect(outage.session?.isAvailable).toBe(false);
  });

  test('a receiver that throws gets its error back as a failure, once, for a returning and a new visitor', async () => {
    const { handler } = await setup();
    const cookie = await storedSession(handler);
    const thrown = new Error('the adapter broke');
    for (const cookieHeader of [cookie, undefined]) {
      const result = await new Promise<{ calls: string[]; failure?: unknown }>((resolve) => {
        const calls: string[] = [];
        handler.beginThen(request(cookieHeader), {
          sessionReady() {
            calls.push('ready');
            throw thrown;
          },
          sessionFailed(failure) {
            calls.push('failed');
            resolve({ calls, failure });
          },
        });
      });
      expect(result).toEqual({ calls: ['ready', 'failed'], failure: thrown });
    }
  });

  test('a request that cannot be read fails, as begin() rejects', async () => {
    const { handler } = await setup();
    const broken = {
      get cookieHeader(): string {
        throw new Error('no headers');
      },
      secure: false,
      responseStarted: () => false,
    };
    const result = await beginThen(handler, broken);
    expect(result.calls).toEqual(['failed']);
    expect(result.failure).toEqual(new Error('no headers'));
    await expect(handler.begin(broken)).rejects.toThrow('no headers');
  });
});
