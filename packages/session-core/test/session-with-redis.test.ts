// session-core on a real Redis: the ioTimeout bound and an outage while loading.

import { CacheUnavailableError, cacheKeyTag } from '@sharedstate/caching-abstractions';
import { RedisCache } from '@sharedstate/caching-redis';
import { createDataProtection, EphemeralXmlRepository } from '@sharedstate/dataprotection-core';
import { type Session, SessionCommitError } from '@sharedstate/session-core';
import {
  describeWithService,
  recordingLogger,
  redisCli,
  replyLosingProxy,
  services,
} from '@sharedstate/testing';
import { Redis } from 'ioredis';
import { cookieFrom, request } from './fixtures.ts';
import { SessionHandler } from './session-handler-for-tests.ts';

describeWithService(services.redis({ spawn: true }), 'sessions on a real Redis', (server) => {
  let client: Redis;
  beforeAll(() => {
    client = new Redis(server().url);
  });
  afterAll(() => client.quit());

  // Redis paused for 1.5 s: the load gives up after 300 ms, whichever bound says so, and the data is intact.
  test.each([
    // ioTimeout at its default (1m): the cache's own 300 ms bound is the one that applies.
    ['a cache that bounds its own calls more tightly than ioTimeout', '300ms', undefined],
    ['ioTimeout, when the cache allows longer', '10s', '300ms'],
  ] as const)(
    'a slow load is cut short by %s: the session is unavailable, not hanging',
    async (_name, cacheBound, ioTimeout) => {
      const handler = new SessionHandler({
        cache: new RedisCache({ redis: client, operationTimeout: cacheBound }),
        dataProtection: createDataProtection({
          applicationName: 'io',
          repository: new EphemeralXmlRepository(),
        }),
        ...(ioTimeout ? { ioTimeout } : {}),
      });
      const first = await handler.begin(request());
      first.setString('k', 'v');
      await handler.end(first);
      const setCookie = handler.responseHeaders(first).setCookie;
      await redisCli(server().port, ['client', 'pause', '1500', 'ALL']);
      const started = Date.now();
      const second = await handler.begin(request(cookieFrom(setCookie)));
      expect(Date.now() - started).toBeLessThan(1_200);
      expect(second.isAvailable).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      const third = await handler.begin(request(cookieFrom(setCookie)));
      expect(third.getString('k')).toBe('v');
    },
  );

  test('a save during an outage fails as 503 with Retry-After, and neither its message nor a log line holds the session key', async () => {
    const log = recordingLogger();
    const handler = new SessionHandler({
      cache: new RedisCache({ redis: client, instanceName: 'tagged:', operationTimeout: '300ms' }),
      dataProtection: createDataProtection({
        applicationName: 'tag',
        repository: new EphemeralXmlRepository(),
      }),
      logger: log.logger,
    });
    const first = await handler.begin(request());
    first.setString('k', 'v');
    await handler.end(first);
    const cookie = cookieFrom(handler.responseHeaders(first).setCookie);
    const [stored] = await client.keys('tagged:*');
    const sessionKey = stored!.slice('tagged:'.length);

    const second = await handler.begin(request(cookie));
    second.setString('k', 'w');
    await redisCli(server().port, ['client', 'pause', '1000', 'ALL']);
    const failure = (await handler.end(second)!.then(
      () => undefined,
      (error: unknown) => error,
    )) as SessionCommitError;
    expect(failure).toBeInstanceOf(SessionCommitError);
    expect(failure.cause).toBeInstanceOf(CacheUnavailableError);
    expect({ status: failure.status, statusCode: failure.statusCode, headers: failure.headers }).toEqual({
      status: 503,
      statusCode: 503,
      headers: { 'Retry-After': '5' },
    });
    expect(failure.getResponse!().status).toBe(503);
    const said = [failure.message, (failure.cause as Error).message, ...log.warnings, ...log.errors].join(
      '\n',
    );
    expect(said).toContain(cacheKeyTag(sessionKey));
    expect(said).not.toContain(sessionKey);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  });

  test('merge mode applies a save once when the reply is lost and ioredis resends it after reconnecting', async () => {
    const proxy = await replyLosingProxy(server());
    const viaProxy = new Redis({ host: '127.0.0.1', port: proxy.port });
    try {
      const handler = new SessionHandler({
        cache: new RedisCache({ redis: viaProxy, instanceName: 'once:' }),
        dataProtection: createDataProtection({
          applicationName: 'once',
          repository: new EphemeralXmlRepository(),
        }),
        concurrentUpdates: 'merge',
      });
      const first = await handler.begin(request());
      first.setJson('count', 0);
      await handler.end(first);
      const cookie = cookieFrom(handler.responseHeaders(first).setCookie);
      for (let i = 1; i <= 10; i++) {
        const session = (await handler.begin(request(cookie))) as unknown as Session<{ count: number }>;
        session.update('count', (n) => (n ?? 0) + 1);
        // The fifth save runs on the server, its reply is lost and the connection drops.
        const lost = i === 5 ? proxy.loseReplyTo('count') : undefined;
        await handler.end(session as unknown as Session<object>);
        await lost;
      }
      const last = await handler.begin(request(cookie));
      expect(last.getJson('count')).toBe(10);
    } finally {
      viaProxy.disconnect();
      await proxy.close();
    }
  });
});
