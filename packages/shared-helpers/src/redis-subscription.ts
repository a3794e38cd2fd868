import type { Socket } from 'node:net';
import { isNodeRedisCluster } from './node-redis-client.ts';

/** What this module uses of an ioredis client (Redis, or a Cluster's node), described here so no ioredis types are needed. */
interface IoredisConnection {
  on(event: string, listener: (...args: never[]) => void): unknown;
  duplicate(): IoredisConnection;
  subscribe(channel: string): Promise<unknown>;
  ping(): Promise<unknown>;
  disconnect(): void;
}

/** An ioredis Cluster: its masters' connections. */
interface IoredisCluster {
  nodes(role: 'master'): IoredisConnection[];
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

/** What a subscription tells its owner. */
export interface RedisSubscriptionHandlers {
  onMessage(message: string): void;
  /** The connection was lost (the client library reconnects by itself). */
  onLost?(error: unknown): void;
  /** Subscribed again after a loss: messages published meanwhile were missed. */
  onResubscribed?(): void;
}

/**
 * Subscribes to `channel` on a connection of its own, to one server (a Cluster's first master: a Cluster
 * delivers a plain PUBLISH on every node), made from the app's client with its options. The connection
 * never keeps a process alive (its socket is unreferenced), and it is closed when the returned function is
 * called or when the app's client (or cluster) is closed. Reconnections are the client library's; a loss and
 * the resubscription after it are reported. Resolves once subscribed; rejects when the first subscription
 * fails (the connection is closed then).
 */
export async function subscribeToRedisChannel(
  client: unknown,
  ioredis: boolean,
  channel: string,
  handlers: RedisSubscriptionHandlers,
): Promise<() => void> {
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
  try {
    close = ioredis
      ? await subscribeWithIoredis(client as IoredisConnection | IoredisCluster, channel, handlers)
      : await subscribeWithNodeRedis(client, channel, handlers);
  } catch (error) {
    for (const event of endings) app.off?.(event, stop);
    throw error;
  }
  if (stopped) close();
  return stop;
}

async function subscribeWithIoredis(
  client: IoredisConnection | IoredisCluster,
  channel: string,
  handlers: RedisSubscriptionHandlers,
): Promise<() => void> {
  const cluster = typeof (client as Partial<IoredisCluster>).nodes === 'function';
  const base = cluster ? (client as IoredisCluster).nodes('master')[0] : (client as IoredisConnection);
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
  subscriber.on('message', (from: string, message: string) => {
    if (from === channel) handlers.onMessage(message);
  });
  let lost = false;
  subscriber.on('close', () => {
    if (lost || closedByApp(subscriber)) return;
    lost = true;
    handlers.onLost?.(new Error('the subscription connection closed'));
  });
  // ioredis subscribes again before anything else it sends on the new connection: once a PING behind that
  // is answered, the subscription is back.
  subscriber.on('ready', () => {
    if (!lost) return;
    lost = false;
    subscriber.ping().then(() => handlers.onResubscribed?.(), ignore);
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
function closedByApp(client: IoredisConnection): boolean {
  const internals = client as unknown as IoredisInternals;
  return internals.status === 'end' || internals.manuallyClosing === true;
}

async function subscribeWithNodeRedis(
  client: unknown,
  channel: string,
  handlers: RedisSubscriptionHandlers,
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
  let lost = false;
  let closing = false;
  subscriber.on('error', (error: unknown) => {
    if (lost || closing) return;
    lost = true;
    handlers.onLost?.(error);
  });
  // node-redis subscribes again as it reconnects, before it is ready.
  subscriber.on('ready', () => {
    if (!lost) return;
    lost = false;
    handlers.onResubscribed?.();
  });
  const close = () => {
    closing = true;
    subscriber.destroy();
  };
  try {
    await subscriber.connect();
    subscriber.unref();
    await subscriber.subscribe(channel, (message) => handlers.onMessage(message));
  } catch (error) {
    close();
    throw error;
  }
  return close;
}
