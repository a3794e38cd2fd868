import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { SessionUsageError } from '@sharedstate/session-core';
import { SessionHandler } from '@sharedstate/session-core/adapter';
import {
  createFastifyPropertySession,
  type FastifyPropertySession,
} from '../src/fastify-property-session.ts';

type View = FastifyPropertySession & Record<string, unknown>;

/** A handler on a memory cache over a loaded key ring, as moments after an app starts. */
async function setup() {
  const dataProtection = createDataProtection({
    applicationName: 'tests',
    repository: new EphemeralXmlRepository(),
  });
  await dataProtection.initialize();
  return {
    handler: new SessionHandler({ cache: new MemoryDistributedCache(), dataProtection, logger: false }),
  };
}

/** Turns a Set-Cookie header into the Cookie header a browser would send back. */
function cookieFrom(setCookie: string | undefined): string {
  if (!setCookie) throw new Error('no Set-Cookie');
  return setCookie.split(';')[0]!;
}

/** One request through a @fastify/session-style view; `place` stands for request.session. */
async function visit(
  handler: SessionHandler,
  cookie: string | undefined,
  body: (place: { current: View | undefined }) => unknown,
) {
  const state = await handler.begin({ cookieHeader: cookie, secure: false, responseStarted: () => false });
  const place: { current: View | undefined } = { current: undefined };
  place.current = createFastifyPropertySession(state, (next) => {
    place.current = next as View | undefined;
  }) as View;
  await body(place);
  await handler.end(state);
  const headers = handler.responseHeaders(state);
  return { session: state.session, headers, place };
}

describe("a session as @fastify/session's object", () => {
  test('get and set read and write the same JSON values as the properties and the typed API; undefined removes', async () => {
    const { handler } = await setup();
    const first = await visit(handler, undefined, ({ current }) => {
      current!.set('passport', 'ada');
      current!.flash = { error: ['wrong password'] };
      expect(current!.get('flash')).toEqual({ error: ['wrong password'] });
    });
    const cookie = cookieFrom(first.headers.setCookie);
    const second = await visit(handler, cookie, ({ current }) => {
      expect(current!.get('passport')).toBe('ada');
      expect(current!.sessionId).toBe(first.session.id);
      current!.set('flash', undefined);
    });
    expect(second.session.getJson('passport' as never)).toBe('ada');
    expect(second.session.keys()).toEqual(['passport']);
  });

  test('regenerate(keep) gives a new key and id, keeps only the values named, and replaces request.session', async () => {
    const { handler } = await setup();
    const first = await visit(handler, undefined, ({ current }) => {
      current!.set('passport', 'ada');
      current!.set('cart', ['tea']);
      current!.set('csrf', 'secret');
    });
    const cookie = cookieFrom(first.headers.setCookie);
    const renewed = await visit(handler, cookie, async (place) => {
      const before = place.current!;
      await before.regenerate(['passport', 'cart', 'absent']);
      expect(place.current).not.toBe(before);
      expect({ ...place.current! }).toEqual({ passport: 'ada', cart: ['tea'] });
      // Values set on the replaced object after regenerate are not the session's.
      before.set('late', 1);
    });
    expect(renewed.headers.setCookie).toMatch(/^sharedstate\.sid=/);
    expect(cookieFrom(renewed.headers.setCookie)).not.toBe(cookie);
    expect(renewed.session.id).not.toBe(first.session.id);
    expect(renewed.session.keys().sort()).toEqual(['cart', 'passport']);
    // The old cookie names nothing now.
    await visit(handler, cookie, ({ current }) => {
      expect(Object.keys(current!)).toEqual([]);
    });
  });

  test('callbacks instead of promises: regenerate(cb), regenerate(keep, cb), save(cb), destroy(cb)', async () => {
    const { handler } = await setup();
    const calls: string[] = [];
    const first = await visit(handler, undefined, async (place) => {
      place.current!.set('a', 1);
      await new Promise<void>((resolve) =>
        place.current!.save(() => {
          calls.push('saved');
          resolve();
        }),
      );
      await new Promise<void>((resolve) =>
        place.current!.regenerate(['a'], () => {
          calls.push(`regenerated with a=${String(place.current!.get('a'))}`);
          resolve();
        }),
      );
      await new Promise<void>((resolve) =>
        place.current!.regenerate(() => {
          calls.push(`regenerated with ${Object.keys(place.current!).length} values`);
          resolve();
        }),
      );
      await new Promise<void>((resolve) =>
        place.current!.destroy(() => {
          calls.push('destroyed');
          resolve();
        }),
      );
      expect(place.current).toBeUndefined();
    });
    expect(calls).toEqual(['saved', 'regenerated with a=1', 'regenerated with 0 values', 'destroyed']);
    // The browser never had a cookie of this request's sessions: none to expire.
    expect(first.headers.setCookie).toBeUndefined();
    expect(first.session.keys()).toEqual([]);
  });

  test("set() refuses the object's own member names; reload() says why it is not needed", async () => {
    const { handler } = await setup();
    await visit(handler, undefined, ({ current }) => {
      expect(() => current!.set('regenerate', 1)).toThrow(SessionUsageError);
      expect(() => current!.set('sessionId', 'x')).toThrow(/'sessionId' is a member of the session/);
      expect(() => current!.set('__proto__', {})).toThrow(SessionUsageError);
      expect(() => current!.reload()).toThrow(/read once per request/);
      expect(() => current!.regenerate('passport' as unknown as string[])).toThrow(/names of values to keep/);
      expect(Object.keys(current!)).toEqual([]);
    });
  });
});
