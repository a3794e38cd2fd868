import { MemoryDistributedCache } from '@sharedstate/caching-abstractions';
import {
  createDataProtection,
  EphemeralXmlRepository,
  RepositoryUnavailableError,
  type XmlRepository,
} from '@sharedstate/dataprotection-core';
import { SessionCommitError, SessionUnavailableError } from '@sharedstate/session-core';
import { recordingLogger } from '@sharedstate/testing';
import { cookieFrom, request, thrownBy } from './fixtures.ts';
import { SessionHandler } from './session-handler-for-tests.ts';

/** A key ring store that can be taken down and brought back; the elements stay in memory. */
class SwitchableRepository implements XmlRepository {
  readonly description = 'SwitchableRepository';
  down = false;
  readonly #inner = new EphemeralXmlRepository();
  #check(): void {
    if (this.down) throw new RepositoryUnavailableError('the key ring store is down');
  }
  async getAllElements() {
    this.#check();
    return this.#inner.getAllElements();
  }
  async storeElement(element: string, name: string) {
    this.#check();
    return this.#inner.storeElement(element, name);
  }
}

function start(repository: SwitchableRepository) {
  const recorded = recordingLogger();
  const dataProtection = createDataProtection({ applicationName: 'shop', repository });
  const handler = new SessionHandler({
    cache: new MemoryDistributedCache(),
    dataProtection,
    logger: recorded.logger,
  });
  return { handler, recorded };
}

/** Lets the ring's first load, started with the handler, fail against a repository that is down. */
const firstLoadSettled = () => new Promise((resolve) => setTimeout(resolve, 20));

test('with the key ring down from the start, a request gets an unavailable session instead of an error', async () => {
  const repository = new SwitchableRepository();
  repository.down = true;
  const { handler, recorded } = start(repository);
  await firstLoadSettled();
  const session = await handler.begin(request());
  expect(session.isAvailable).toBe(false);
  expect(session.getString('user')).toBeUndefined();
  const thrown = thrownBy(() => session.setString('user', 'ada'));
  // The error says why, and carries the repository's error as its cause.
  expect(thrown).toBeInstanceOf(SessionUnavailableError);
  expect((thrown as Error).message).toMatch(
    /could not be reached when this request began \(.*the key ring store is down\)/,
  );
  expect((thrown as Error).cause).toBeInstanceOf(RepositoryUnavailableError);
  expect(handler.responseHeaders(session).setCookie).toBeUndefined();
  expect(handler.end(session)).toBeUndefined();
  expect(recorded.errors.join('\n')).toMatch(/key ring could not be loaded/);
});

test('a cookie that cannot be checked while the ring is down is kept, not replaced by a new session', async () => {
  const repository = new SwitchableRepository();
  const first = start(repository);
  const session = await first.handler.begin(request());
  session.setString('user', 'ada');
  await first.handler.end(session);
  const cookie = cookieFrom(first.handler.responseHeaders(session).setCookie);

  repository.down = true;
  const { handler } = start(repository);
  const during = await handler.begin(request(cookie));
  expect(during.isAvailable).toBe(false);
  expect(during.isNew).toBe(false);
  expect(() => during.destroy()).toThrow(SessionUnavailableError);
  expect(handler.responseHeaders(during).setCookie).toBeUndefined();
});

test('once the ring can be loaded again, sessions work without a restart', async () => {
  const repository = new SwitchableRepository();
  repository.down = true;
  const { handler } = start(repository);
  await firstLoadSettled();
  expect((await handler.begin(request())).isAvailable).toBe(false);
  repository.down = false;
  let session = await handler.begin(request());
  const deadline = Date.now() + 5_000;
  while (!session.isAvailable && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    session = await handler.begin(request());
  }
  expect(session.isAvailable).toBe(true);
  session.setString('user', 'ada');
  expect(handler.responseHeaders(session).setCookie).toBeDefined();
});

test('while the first load runs, a request without a cookie does not wait; what it sets is saved once the ring loads, or fails as an outage', async () => {
  const repository = new SwitchableRepository();
  const { handler } = start(repository);
  const early = await handler.begin(request());
  expect(early.isAvailable).toBe(true);
  early.setString('user', 'ada');
  await handler.end(early);
  const cookie = cookieFrom(handler.responseHeaders(early).setCookie);
  expect((await handler.begin(request(cookie))).getString('user')).toBe('ada');

  const down = new SwitchableRepository();
  down.down = true;
  const { handler: failing } = start(down);
  const during = await failing.begin(request());
  during.setString('user', 'bob');
  const failure = await failing.end(during)!.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(SessionCommitError);
  expect((failure as SessionCommitError).statusCode).toBe(503);
});
