/**
 * An ioredis client (`new Redis(...)`, Sentinel included, or `new Cluster(...)`), by members both have and
 * nothing else has. The Redis packages' public types name this rather than ioredis's classes, so that an app
 * on node-redis alone compiles without ioredis installed, and a value that is neither client is a compile
 * error either way. Inside, the packages use ioredis's own types.
 */
export interface IoRedisClient {
  readonly status: string;
  readonly options: object;
  duplicate(...args: never[]): unknown;
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}
