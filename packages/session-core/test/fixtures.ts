import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import type { Session, SessionOptions } from '@sharedstate/session-core';
import type { SessionRequest } from '@sharedstate/session-core/adapter';
import { SessionHandler, stateOf } from './session-handler-for-tests.ts';

/** A request as an adapter would describe it, with a response that has or has not started. */
export function request(cookieHeader?: string, secure = false): SessionRequest & { started: boolean } {
  const req = { cookieHeader, secure, started: false, responseStarted: () => req.started };
  return req;
}

/** What `run` throws (undefined when it does not), for assertions on the error's message and cause. */
export function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Turns a Set-Cookie header into the Cookie header a browser would send back. */
export function cookieFrom(setCookie: string | undefined): string {
  if (!setCookie) throw new Error('no Set-Cookie');
  return setCookie.split(';')[0]!;
}

/**
 * A handler on a memory cache over a key ring that is loaded already, as it is moments after an app starts
 * (before that, a new session's cookie is made when it is saved, not when it is established). Quiet unless
 * a test passes its own logger: the default (the console) has tests of its own.
 */
export function setup(overrides: Partial<SessionOptions> = {}) {
  return setupWith({ logger: false, ...overrides });
}

/** As setup(), with the default logger (the console). */
export function setupWithDefaultLogger() {
  return setupWith({});
}

async function setupWith(options: Partial<SessionOptions>) {
  const cache = new MemoryDistributedCache();
  // The key ring's own warnings (keys kept unencrypted) are not these tests' subject.
  const dataProtection = createDataProtection({
    logger: false,
    applicationName: 'tests',
    repository: new EphemeralXmlRepository(),
  });
  await dataProtection.initialize();
  const handler = new SessionHandler({ cache, dataProtection, ...options });
  return { cache, dataProtection, handler };
}

/** The cache key a session is stored under (internal to the package, read here to inspect the cache). */
export function sessionKey(session: Session<object>): string {
  return stateOf(session).key;
}
