import { createRequire } from 'node:module';
import { CacheArgumentError } from '@sharedstate/caching-abstractions';

type IoredisModule = typeof import('ioredis');

let loaded: IoredisModule | undefined;

/**
 * The app's ioredis, loaded when first needed: both clients are optional peers, so an app that passes a
 * node-redis client need not install ioredis. Loaded only for an ioredis client, or to create one from
 * `connection`.
 */
export function ioredis(): IoredisModule {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('ioredis') as IoredisModule;
    } catch (error) {
      throw new CacheArgumentError(
        '`connection` needs ioredis installed (npm install ioredis); or pass your node-redis client as `redis`.',
        { cause: error },
      );
    }
  }
  return loaded;
}
