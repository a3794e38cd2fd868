// The session middleware's diagnostics_channel events: loads, commits and cookie unprotects, on the memory
// cache, with the key ring in memory; and what readiness says of the latest failure.
import {
  COOKIE_UNPROTECT_CHANNEL,
  type CookieUnprotectEvent,
} from '@sharedstate/dataprotection-abstractions';
import {
  SESSION_COMMIT_CHANNEL,
  SESSION_LOAD_CHANNEL,
  type SessionCommitEvent,
  type SessionLoadEvent,
} from '@sharedstate/session-core';
import { recordChannel, recordTracingChannel } from '@sharedstate/testing';
import { protectingKeyId } from '../src/session-key-protection.ts';
import { cookieFrom, request, sessionKey, setup } from './fixtures.ts';
import type { SessionHandler } from './session-handler-for-tests.ts';
import { signInOn, twoInstances } from './user-sessions-suite.ts';

const recordings: { stop(): void }[] = [];
afterEach(() => {
  for (const recording of recordings.splice(0)) recording.stop();
});

function watch() {
  const loads = recordTracingChannel<SessionLoadEvent>(SESSION_LOAD_CHANNEL);
  const commits = recordTracingChannel<SessionCommitEvent>(SESSION_COMMIT_CHANNEL);
  const unprotects = recordChannel<CookieUnprotectEvent>(COOKIE_UNPROTECT_CHANNEL);
  recordings.push(loads, commits, unprotects);
  return { loads, commits, unprotects };
}

/** A visitor's first request: sets a value; resolves with the cookie. */
async function establish(handler: SessionHandler): Promise<string> {
  const session = await handler.begin(request());
  session.setString('cart', 'socks');
  await handler.end(session);
  return cookieFrom(handler.responseHeaders(session).setCookie);
}

async function visit(handler: SessionHandler, cookie: string, change?: 'set' | 'destroy') {
  const session = await handler.begin(request(cookie));
  if (change === 'set') session.setString('cart', 'shoes');
  if (change === 'destroy') session.destroy();
  await handler.end(session);
  return session;
}

describe('session loads', () => {
  test('are published with their outcome: loaded, new, unreadable, unavailable', async () => {
    const { handler, cache } = await setup();
    const cookie = await establish(handler);
    const key = sessionKey(await visit(handler, cookie));
    const { loads } = watch();

    await visit(handler, cookie);
    await cache.remove(key);
    await visit(handler, cookie);
    await cache.set(key, Uint8Array.of(9, 9, 9));
    await visit(handler, cookie);
    cache.dispose();
    const unavailable = await visit(handler, cookie);

    expect(loads.ended().map((event) => event.outcome)).toEqual([
      'loaded',
      'new',
      'unreadable',
      'unavailable',
    ]);
    expect(unavailable.isAvailable).toBe(false);
    expect(loads.ended()[3]?.error).toBeInstanceOf(Error);
    expect(loads.messages.filter(({ phase }) => phase === 'start')).toHaveLength(4);
    // Never the key, the cookie or a value.
    const published = JSON.stringify(loads.messages.map(({ message }) => ({ ...message, error: undefined })));
    expect(published).not.toContain(key);
    expect(published).not.toContain('socks');
  });

  test('a request without a cookie loads nothing and publishes no load', async () => {
    const { handler } = await setup();
    const { loads } = watch();
    await handler.end(await handler.begin(request()));
    expect(loads.messages).toEqual([]);
  });
});

describe('session commits', () => {
  test('are published with what they did: save, refresh, remove, and a failure as error', async () => {
    const { handler, cache } = await setup({ load: 'lazy' });
    const { commits } = watch();
    const cookie = await establish(handler);
    await visit(handler, cookie); // never read (lazy): its idle timeout is refreshed
    await visit(handler, cookie, 'destroy');
    await establish(handler);
    cache.dispose();
    const failing = await handler.begin(request());
    failing.setString('cart', 'hats');
    await expect(handler.end(failing)).rejects.toThrow();

    expect(commits.ended().map(({ action, outcome }) => `${action} ${outcome}`)).toEqual([
      'save committed',
      'refresh committed',
      'remove committed',
      'save committed',
      'save error',
    ]);
    expect(commits.ended()[4]?.error).toBeInstanceOf(Error);
    expect(commits.messages.filter(({ phase }) => phase === 'error')).toHaveLength(1);
    expect(commits.ended().every((event) => event.conflictRetries === 0)).toBe(true);
  });

  test("a session that cannot be stored (a name past the format's limit) commits as too-large", async () => {
    const { handler } = await setup();
    const { commits } = watch();
    const session = await handler.begin(request());
    session.setString('n'.repeat(70_000), 'value');
    await expect(handler.end(session)).rejects.toThrow(/over \d+ bytes/);
    expect(commits.ended().map(({ action, outcome }) => `${action} ${outcome}`)).toEqual(['save too-large']);
  });

  test('a failure an onCommitError option takes is still published as error', async () => {
    const taken: unknown[] = [];
    const { handler, cache } = await setup({ onCommitError: (error) => taken.push(error) });
    const { commits } = watch();
    cache.dispose();
    const session = await handler.begin(request());
    session.setString('cart', 'socks');
    await handler.end(session);
    expect(taken).toHaveLength(1);
    expect(commits.ended().map((event) => event.outcome)).toEqual(['error']);
  });

  test("in the merge mode, a save that found another request's save first counts its retries", async () => {
    const { handler } = await setup({ concurrentUpdates: 'merge' });
    const cookie = await establish(handler);
    const { commits } = watch();
    const first = await handler.begin(request(cookie));
    const second = await handler.begin(request(cookie));
    first.setString('a', '1');
    second.setString('b', '2');
    await handler.end(first);
    await handler.end(second);
    expect(commits.ended().map((event) => event.conflictRetries)).toEqual([0, 1]);
    expect(commits.ended().map((event) => event.outcome)).toEqual(['committed', 'committed']);
  });

  test('a signed-in session ended elsewhere while a request ran commits nothing, as ended', async () => {
    const { cache } = await setup();
    const { a, b } = twoInstances(cache);
    const { cookie, handle } = await signInOn(a, 'ada');
    const { commits } = watch();
    const inFlight = await a.begin(request(cookie));
    expect(await b.handler.userSessions.endSession(handle)).toBe(true);
    inFlight.setString('cart', 'shoes');
    await a.end(inFlight);
    expect(commits.ended().map(({ action, outcome }) => `${action} ${outcome}`)).toEqual(['save ended']);
  });
});

describe('cookie unprotects', () => {
  test('are published with their outcome, and whether a remembered cookie saved the work', async () => {
    const { handler, dataProtection } = await setup();
    const cookie = await establish(handler);
    const { unprotects } = watch();
    await visit(handler, cookie);
    const [name, value] = cookie.split('=') as [string, string];
    const tampered = `${name}=${value.slice(0, -4)}AAAA`;
    await visit(handler, tampered);
    // A cookie from another app's key ring: a key this ring does not hold.
    const other = await setup({ cookie: { name } });
    await visit(handler, await establish(other.handler));
    // A key revoked here: the remembered cookie is forgotten once the ring reloads.
    const revokedCookie = await establish(handler);
    await dataProtection.keyManager.revokeKey(protectingKeyId(revokedCookie.split('=')[1]!), 'test');
    await dataProtection.initialize();
    await visit(handler, revokedCookie);

    expect(
      unprotects.messages.map(({ outcome, cached }) => `${outcome}${cached ? ' (cached)' : ''}`),
    ).toEqual([expect.stringMatching(/^ok/), 'tampered', 'unknown-key', 'revoked-key']);
    expect(unprotects.messages.every((event) => event.cookie === 'session')).toBe(true);
    expect(JSON.stringify(unprotects.messages)).not.toContain(value);
  });
});

describe('readiness', () => {
  test('says what failed last, and when, while the cache answers again', async () => {
    const { handler, cache } = await setup();
    const cookie = await establish(handler);
    expect((await handler.readiness()).lastFailure).toBeUndefined();
    const get = cache.get.bind(cache);
    cache.get = () => Promise.reject(new Error('connection reset'));
    await visit(handler, cookie);
    cache.get = get;
    const readiness = await handler.readiness();
    expect(readiness.ready).toBe(true);
    expect(readiness.lastFailure).toEqual({
      operation: 'load',
      message: 'connection reset',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });
});
