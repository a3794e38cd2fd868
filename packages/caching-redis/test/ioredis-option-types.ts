// Compile-time checks, run by `pnpm typecheck` against ioredis 5 and (tsconfig.ioredis6.json) ioredis 6: the
// package's own description of ioredis's options names every option RedisOptions has and takes a RedisOptions
// value as it is, and the options' types refuse what is neither client nor option.
import { type IoRedisConnectionOptions, RedisCache } from '@sharedstate/caching-redis';
import type { RedisOptions } from 'ioredis';

type Missing = Exclude<keyof RedisOptions, keyof IoRedisConnectionOptions>;
export const everyOption: [Missing] extends [never] ? true : { missing: Missing } = true;
export const asTheyAre = (options: RedisOptions): IoRedisConnectionOptions => options;

export function misuses(): void {
  // @ts-expect-error a misspelt option
  new RedisCache({ connection: { hots: '127.0.0.1' } });
  // @ts-expect-error an option of the wrong type
  new RedisCache({ connection: { port: '6379' } });
  // @ts-expect-error neither an ioredis nor a node-redis client
  new RedisCache({ redis: { hello: 'world' } });
}
