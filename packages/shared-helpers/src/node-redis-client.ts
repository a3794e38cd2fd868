/**
 * What the Redis packages use of a node-redis (`redis` v5) client, by its shape: they import nothing of
 * `redis`, which stays an optional peer. A `createClient()` client (standalone or Sentinel) and a
 * `createCluster()` cluster both fit; the app connects it (`await client.connect()`) and closes it.
 */
export interface NodeRedisClient {
  sendCommand(args: readonly (string | Buffer)[], options?: NodeRedisCommandOptions): Promise<unknown>;
  readonly isOpen: boolean;
}

/** A node-redis cluster (`createCluster()`): commands are routed by their first key. */
export interface NodeRedisCluster {
  sendCommand(
    firstKey: string | Buffer | undefined,
    isReadonly: boolean | undefined,
    args: readonly (string | Buffer)[],
    options?: NodeRedisCommandOptions,
  ): Promise<unknown>;
  readonly masters: readonly unknown[];
}

/** The per-command options this package passes: bulk strings as Buffers when it reads bytes. */
export interface NodeRedisCommandOptions {
  typeMapping?: Record<number, unknown>;
}

/** node-redis's RESP type code for a bulk string (RESP_TYPES.BLOB_STRING): mapped to Buffer for byte replies. */
const BLOB_STRING = 36;
export const BUFFER_REPLIES: NodeRedisCommandOptions = Object.freeze({
  typeMapping: Object.freeze({ [BLOB_STRING]: Buffer }),
});

export function isNodeRedisCluster(client: unknown): client is NodeRedisCluster {
  return (
    typeof (client as Partial<NodeRedisCluster>)?.sendCommand === 'function' &&
    Array.isArray((client as Partial<NodeRedisCluster>).masters)
  );
}

export function isNodeRedisClient(client: unknown): client is NodeRedisClient | NodeRedisCluster {
  return (
    typeof (client as Partial<NodeRedisClient>)?.sendCommand === 'function' &&
    typeof (client as Partial<NodeRedisClient>).isOpen === 'boolean'
  );
}

/** A Redis error reply (WRONGTYPE, NOSCRIPT, NOPERM…) from ioredis (ReplyError) or node-redis (SimpleError, BlobError). */
export function isReplyError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ReplyError') return true;
  for (
    let proto = Object.getPrototypeOf(error);
    proto && proto !== Error.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    if (proto.constructor?.name === 'ErrorReply') return true;
  }
  return false;
}

/**
 * Sends one command on a node-redis client or cluster (a cluster routes it by `key`, the command's key),
 * with bulk-string replies as Buffers when `buffers` is set.
 */
export function sendNodeRedisCommand(
  client: NodeRedisClient | NodeRedisCluster,
  key: string | Buffer | undefined,
  args: (string | Buffer)[],
  buffers: boolean,
): Promise<unknown> {
  const options = buffers ? BUFFER_REPLIES : undefined;
  return isNodeRedisCluster(client)
    ? client.sendCommand(key, false, args, options)
    : (client as NodeRedisClient).sendCommand(args, options);
}
