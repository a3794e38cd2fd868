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

/** node-redis's MULTI builder, as used here: raw commands added, then EXEC. */
interface NodeRedisTransaction<AddArguments extends unknown[]> {
  addCommand(...args: AddArguments): NodeRedisTransaction<AddArguments>;
  exec(): Promise<unknown[]>;
}
type ClientTransaction = NodeRedisTransaction<[args: readonly (string | Buffer)[]]>;
type ClusterTransaction = NodeRedisTransaction<
  [firstKey: string, isReadonly: boolean, args: readonly (string | Buffer)[]]
>;

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

/**
 * Runs commands on one key as a MULTI/EXEC transaction through node-redis's own MULTI (a cluster sends it to
 * the master of `key`'s slot). node-redis rejects with a MultiErrorReply when a command failed.
 */
export function runNodeRedisTransaction(
  client: NodeRedisClient | NodeRedisCluster,
  key: string,
  commands: readonly (readonly (string | Buffer)[])[],
): Promise<unknown[]> {
  if (isNodeRedisCluster(client)) {
    const transaction = (client as unknown as { multi(routing: string): ClusterTransaction }).multi(key);
    for (const command of commands) transaction.addCommand(key, false, command);
    return transaction.exec();
  }
  const transaction = (client as unknown as { multi(): ClientTransaction }).multi();
  for (const command of commands) transaction.addCommand(command);
  return transaction.exec();
}

/** At most one rediscovery per cluster in this interval: an outage fails many commands at once. */
const REDISCOVER_INTERVAL_MS = 1_000;
const lastRediscovery = new WeakMap<object, number>();

/** What node-redis keeps of a cluster (not public API: looked up, never assumed). */
interface ClusterInternals {
  _options?: { rootNodes?: readonly unknown[] };
  _slots?: { rediscover?(startWith: { options: unknown }): Promise<unknown> };
}

/**
 * Asks a node-redis cluster to read its slot map again, starting from one of its root nodes, after a command
 * failed as an outage. node-redis refreshes the map only on MOVED or ASK replies (redis/node-redis#2806),
 * which a dead master never sends, so without this the slots of a master that failed over stay unusable
 * until a restart. Rate-limited per cluster; a no-op on a client that is not a cluster or on a node-redis
 * without these internals.
 */
export function rediscoverNodeRedisCluster(client: unknown): void {
  if (!isNodeRedisCluster(client)) return;
  const proxy = client as unknown as ClusterInternals & { _self?: ClusterInternals };
  const cluster = proxy._self ?? proxy;
  const rootNodes = cluster._options?.rootNodes ?? [];
  const slots = cluster._slots;
  if (typeof slots?.rediscover !== 'function' || rootNodes.length === 0) return;
  const now = performance.now();
  if (now - (lastRediscovery.get(client) ?? Number.NEGATIVE_INFINITY) < REDISCOVER_INTERVAL_MS) return;
  lastRediscovery.set(client, now);
  // From a root node, not the node the failed command went to, which may be the dead one; node-redis goes
  // on through the other root nodes if this one does not answer.
  const startWith = rootNodes[Math.floor(Math.random() * rootNodes.length)];
  void slots.rediscover({ options: startWith }).catch(() => {});
}
