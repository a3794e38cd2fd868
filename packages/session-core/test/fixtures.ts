import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { SessionHandler, type SessionOptions, type SessionRequest } from '@sharedstate/session-core';

/** A request as an adapter would describe it, with a response that has or has not started. */
export function request(cookieHeader?: string, secure = false): SessionRequest & { started: boolean } {
  const req = { cookieHeader, secure, started: false, responseStarted: () => req.started };
  return req;
}

/** Turns a Set-Cookie header into the Cookie header a browser would send back. */
export function cookieFrom(setCookie: string | undefined): string {
  if (!setCookie) throw new Error('no Set-Cookie');
  return setCookie.split(';')[0]!;
}

export function setup(overrides: Partial<SessionOptions> = {}) {
  const cache = new MemoryDistributedCache();
  const dataProtection = createDataProtection({
    applicationName: 'tests',
    repository: new EphemeralXmlRepository(),
  });
  const handler = new SessionHandler({ cache, dataProtection, ...overrides });
  return { cache, dataProtection, handler };
}
