// concurrentUpdates: 'merge' against last-write-wins, on the real memory cache: overlapping requests of one
// session, as a double-click or a single-page app's parallel fetches make them.
import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { type Session, SessionConfigurationError } from '@sharedstate/session-core';
import { cookieFrom, request } from './fixtures.ts';
import { SessionHandler } from './session-handler-for-tests.ts';

type Counter = { count: number; a: string; b: string; list: string[] };

function handlerWith(concurrentUpdates: 'merge' | 'last-write-wins') {
  const cache = new MemoryDistributedCache();
  const dataProtection = createDataProtection({
    applicationName: 'merge',
    repository: new EphemeralXmlRepository(),
  });
  return { cache, handler: new SessionHandler({ cache, dataProtection, concurrentUpdates }) };
}

/** One request with the cookie: loads, lets `body` change the session after a turn of the event loop, saves. */
async function visit(handler: SessionHandler, cookie: string, body: (s: Session<Counter>) => void) {
  const session = (await handler.begin(request(cookie))) as unknown as Session<Counter>;
  // Every request has loaded before any saves: the overlap a burst of parallel requests makes.
  await new Promise((resolve) => setTimeout(resolve, 5));
  body(session);
  await handler.end(session as unknown as Session<object>);
}

async function startSession(handler: SessionHandler): Promise<string> {
  const first = await handler.begin(request());
  first.setString('started', 'yes');
  await handler.end(first);
  const cookie = cookieFrom(handler.responseHeaders(first).setCookie);
  return cookie;
}

async function countAfter(handler: SessionHandler, cookie: string): Promise<number | undefined> {
  const session = (await handler.begin(request(cookie))) as unknown as Session<Counter>;
  return session.getJson('count');
}

describe("concurrentUpdates: 'merge'", () => {
  test('50 overlapping increments through update() lose none; last-write-wins loses most (the control)', async () => {
    for (const mode of ['merge', 'last-write-wins'] as const) {
      const { handler, cache } = handlerWith(mode);
      const cookie = await startSession(handler);
      await Promise.all(
        Array.from({ length: 50 }, () =>
          visit(handler, cookie, (s) => s.update('count', (n) => (n ?? 0) + 1)),
        ),
      );
      const count = await countAfter(handler, cookie);
      if (mode === 'merge') expect(count).toBe(50);
      else expect(count).toBeLessThan(50);
      cache.dispose();
    }
  });

  test('overlapping requests that set different values keep both; the same value, the last one', async () => {
    const { handler, cache } = handlerWith('merge');
    const cookie = await startSession(handler);
    await Promise.all([
      visit(handler, cookie, (s) => s.setJson('a', 'from A')),
      visit(handler, cookie, (s) => {
        s.setJson('b', 'from B');
        s.remove('started');
      }),
      visit(handler, cookie, (s) => s.update('list', (list) => [...(list ?? []), 'x'])),
      visit(handler, cookie, (s) => s.update('list', (list) => [...(list ?? []), 'y'])),
    ]);
    const session = (await handler.begin(request(cookie))) as unknown as Session<Counter>;
    expect(session.getJson('a')).toBe('from A');
    expect(session.getJson('b')).toBe('from B');
    expect(session.getString('started')).toBeUndefined();
    expect([...(session.getJson('list') ?? [])].sort()).toEqual(['x', 'y']);
    cache.dispose();
  });

  test('update() returns the value stored, and removes the value when its function answers undefined', async () => {
    const { handler, cache } = handlerWith('last-write-wins');
    const session = (await handler.begin(request())) as unknown as Session<Counter>;
    expect(session.update('count', (n) => (n ?? 41) + 1)).toBe(42);
    expect(session.getJson('count')).toBe(42);
    expect(session.update('count', () => undefined)).toBeUndefined();
    expect(session.keys()).toEqual([]);
    cache.dispose();
  });

  test('a cache without conditional writes is refused at startup, saying what to use', () => {
    const memory = new MemoryDistributedCache();
    const withoutConditionalWrites = {
      get: memory.get.bind(memory),
      set: memory.set.bind(memory),
      refresh: memory.refresh.bind(memory),
      remove: memory.remove.bind(memory),
    };
    const dataProtection = createDataProtection({
      applicationName: 'x',
      repository: new EphemeralXmlRepository(),
    });
    expect(
      () =>
        new SessionHandler({ cache: withoutConditionalWrites, dataProtection, concurrentUpdates: 'merge' }),
    ).toThrow(SessionConfigurationError);
    expect(
      () =>
        new SessionHandler({ cache: withoutConditionalWrites, dataProtection, concurrentUpdates: 'merge' }),
    ).toThrow(/needs a cache with conditional writes \(setIfUnchanged\)/);
    expect(
      () => new SessionHandler({ cache: memory, dataProtection, concurrentUpdates: 'mergge' as 'merge' }),
    ).toThrow("concurrentUpdates must be 'last-write-wins' or 'merge'; got \"mergge\".");
    memory.dispose();
  });
});
