import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { protectingKeyId } from '../src/session-key-protection.ts';
import { cookieFrom, request } from './fixtures.ts';
import { SessionHandler } from './session-handler-for-tests.ts';

/** Two instances of one app: one cache, one stored key ring, each with its own provider and middleware. */
function twoInstances() {
  const cache = new MemoryDistributedCache();
  const storage = new EphemeralXmlRepository();
  const instance = () => {
    const dataProtection = createDataProtection({
      applicationName: 'shop',
      repository: storage,
      keyRingChangeCheckInterval: false,
    });
    return { dataProtection, handler: new SessionHandler({ cache, dataProtection }) };
  };
  return { a: instance(), b: instance() };
}

test('a cookie whose key another instance revoked starts a new session on a running instance after its check', async () => {
  const { a, b } = twoInstances();
  const first = await a.handler.begin(request());
  first.setString('user', 'ada');
  await a.handler.end(first);
  const cookie = cookieFrom(a.handler.responseHeaders(first).setCookie);
  // Instance B reads the session, and remembers what the cookie unprotected to.
  const read = await b.handler.begin(request(cookie));
  expect(read.getString('user')).toBe('ada');

  await a.dataProtection.keyManager.revokeKey(protectingKeyId(cookie.split('=')[1]!));
  expect(await b.dataProtection.checkForKeyRingChanges()).toBe(true);

  const after = await b.handler.begin(request(cookie));
  expect(after.isNew).toBe(true);
  expect(after.getString('user')).toBeUndefined();
  // The new session's cookie is protected with a key that is not the revoked one.
  after.setString('user', 'ada');
  const renewed = cookieFrom(b.handler.responseHeaders(after).setCookie);
  expect(protectingKeyId(renewed.split('=')[1]!)).not.toBe(protectingKeyId(cookie.split('=')[1]!));
});
