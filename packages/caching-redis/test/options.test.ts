import { CacheArgumentError } from '@sharedstate/caching-abstractions';
import { RedisCache, type RedisCacheOptions } from '@sharedstate/caching-redis';
import { freePort } from '@sharedstate/testing';
import type { Redis } from 'ioredis';

// As a JavaScript app, or a config object written for connect-redis's RedisStore, would pass them.
const withOptions = (options: object) => () => new RedisCache(options as RedisCacheOptions);

describe('RedisCache options', () => {
  test("connect-redis's options fail at construction with what to use instead", () => {
    expect(withOptions({ client: {}, prefix: 'sess:' })).toThrow(CacheArgumentError);
    expect(withOptions({ client: {} })).toThrow(
      "Unknown RedisCache option 'client': use `redis`: the ioredis client (new Redis(...) or new Cluster(...)).",
    );
    expect(withOptions({ connection: 'redis://127.0.0.1:1', prefix: 'sess:' })).toThrow(
      /'prefix': use `instanceName`/,
    );
    expect(withOptions({ connection: 'redis://127.0.0.1:1', ttl: 86_400 })).toThrow(
      /'ttl': remove it: each entry's lifetime comes from the options it is set with/,
    );
    expect(withOptions({ host: '127.0.0.1', port: 6379 })).toThrow(
      /'host': put connection settings in `connection`/,
    );
  });

  test('a misspelt option names the valid ones; a field present but undefined passes', () => {
    expect(withOptions({ connection: 'redis://127.0.0.1:1', instancename: 'shop:' })).toThrow(
      "Unknown RedisCache option 'instancename': the options are redis, connection, instanceName, useScripts, renewalSkipFraction, operationTimeout, logger, clock.",
    );
    // Constructing with a connection does not connect until the first command, so nothing to close here
    // beyond the client, which lazyConnect keeps idle.
    const cache = new RedisCache({
      connection: { host: '127.0.0.1', port: 1, lazyConnect: true },
      prefix: undefined,
    } as RedisCacheOptions);
    (cache.client as Redis).disconnect();
  });

  test('connection trouble of a client the cache owns is on the console without a logger; logger: false is silent; a logger without its methods fails', async () => {
    const printed = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      // Nothing listens on the port: the owned client's connection is refused.
      const refusedConnection = async (logger?: false) => {
        const cache = new RedisCache({
          connection: {
            host: '127.0.0.1',
            port: await freePort(),
            maxRetriesPerRequest: 0,
            retryStrategy: () => null,
          },
          ...(logger === undefined ? {} : { logger }),
        });
        await cache.get('k').catch(() => {});
        (cache.client as Redis).disconnect();
      };
      await refusedConnection(false);
      expect(printed).not.toHaveBeenCalled();
      await refusedConnection();
      expect(printed.mock.calls.map(([message]) => String(message))).toContainEqual(
        expect.stringMatching(/^RedisCache connection error: .*ECONNREFUSED/),
      );
    } finally {
      printed.mockRestore();
    }
    expect(withOptions({ connection: 'redis://127.0.0.1:1', logger: { warn() {} } })).toThrow(
      /logger must have debug, info, warn, error methods/,
    );
  });
});
