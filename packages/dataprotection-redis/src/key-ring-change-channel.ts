import type { Socket } from 'node:net';
import { isNodeRedisCluster } from '@sharedstate/shared-helpers';
import type { Cluster, Redis } from 'ioredis';

/**
 * The pub/sub channel on which writers announce a change of the key ring stored under a Redis key: a hint
 * that makes running instances check for the change at once instead of at their next change check. Plain
 * PUBLISH, which a Redis Cluster forwards to every node, so a subscriber on any one node hears it.
 */
export function keyRingChangeChannel(key: string): string {
  return `sharedstate:key-ring-changed:${key}`;
}

/** What this module uses of a node-redis client (`duplicate()`, then `connect()`, `subscribe()`). */
interface NodeRedisConnection {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off?(event: string, listener: (...args: unknown[]) => void): unknown;
  duplicate(): NodeRedisConnection;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unref(): void;
  destroy(): void;
}

/** What it uses of a node-redis cluster: a client of one of its masters. */
interface NodeRedisClusterNodes {
  readonly masters: readonly unknown[];
  nodeClient(node: unknown): NodeRedisConnection | Promise<NodeRedisConnection>;
}

const ignore = () => {};

/**
 * Subscribes on a connection of its own, to one server (a Cluster's first master: a Cluster delivers a
 * PUBLISH on every node), made from the app's client with its options, and calls `onChange` for every
 * announcement. The connection never keeps a process alive (its socket is unreferenced), and it is closed
 * when the returned function is called or when the app's client (or cluster) is closed. Errors and
 * reconnections are left to the client library; the periodic change check covers any gap.
 */
export function subscribeToKeyRingChanges(
  client: unknown,
  ioredis: boolean,
  channel: string,
  onChange: () => void,
): () => void {
  let close: () => void = ignore;
  let stopped = false;
  const app = client as {
    on(event: string, listener: () => void): unknown;
    off?(event: string, listener: () => void): unknown;
  };
  // A client ends with 'end' (ioredis, node-redis), a node-redis cluster with 'disconnect'.
  const endings = ['end', 'disconnect'];
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const event of endings) app.off?.(event, stop);
    close();
  };
  for (const event of endings) app.on(event, stop);
  const started = ioredis
    ? subscribeWithIoredis(client as Redis | Cluster, channel, onChange)
    : subscribeWithNodeRedis(client, channel, onChange);
  void started.then((closer) => {
    close = closer;
    if (stopped) closer();
  }, ignore);
  return stop;
}

async function subscribeWithIoredis(
  client: Redis | Cluster,
  channel: string,
  onChange: () => void,
): Promise<() => void> {
  const cluster = typeof (client as Partial<Cluster>).nodes === 'function';
  const base = cluster ? (client as Cluster).nodes('master')[0] : (client as Redis);
  if (base === undefined) throw new Error('the cluster has no master to subscribe on');
  const subscriber = base.duplicate();
  subscriber.on('error', ignore);
  // On each (re)connection: the subscription must not keep the app's process alive.
  subscriber.on('connect', () => (subscriber as unknown as { stream?: Socket }).stream?.unref());
  // Nor between reconnection attempts, which ioredis waits for on a timer of its own. And an app that closes
  // its client while that client is reconnecting gets no 'end' from ioredis: the subscription ends here then.
  subscriber.on('reconnecting', () => {
    (subscriber as unknown as IoredisInternals).reconnectTimeout?.unref?.();
    if (closedByApp(base)) close();
  });
  subscriber.on('message', (from: string) => {
    if (from === channel) onChange();
  });
  const close = () => subscriber.disconnect();
  await subscriber.subscribe(channel).catch((error: unknown) => {
    close();
    throw error;
  });
  return close;
}

/** What ioredis keeps of a connection (not public API: looked up, never assumed). */
interface IoredisInternals {
  reconnectTimeout?: { unref?(): void } | null;
  manuallyClosing?: boolean;
  status?: string;
}

/** Whether the app has closed its ioredis client: ended, or closed while it was waiting to reconnect. */
function closedByApp(client: Redis): boolean {
  const internals = client as unknown as IoredisInternals;
  return internals.status === 'end' || internals.manuallyClosing === true;
}

async function subscribeWithNodeRedis(
  client: unknown,
  channel: string,
  onChange: () => void,
): Promise<() => void> {
  let base: NodeRedisConnection;
  if (isNodeRedisCluster(client)) {
    const nodes = client as unknown as NodeRedisClusterNodes;
    const [master] = nodes.masters;
    if (master === undefined) throw new Error('the cluster has no master to subscribe on');
    base = await nodes.nodeClient(master);
  } else {
    base = client as NodeRedisConnection;
  }
  const subscriber = base.duplicate();
  subscriber.on('error', ignore);
  const close = () => subscriber.destroy();
  try {
    await subscriber.connect();
    subscriber.unref();
    await subscriber.subscribe(channel, () => onChange());
  } catch (error) {
    close();
    throw error;
  }
  return close;
}
