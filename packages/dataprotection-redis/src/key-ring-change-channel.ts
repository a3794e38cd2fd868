import type { Cluster, Redis } from 'ioredis';

/**
 * The pub/sub channel on which writers announce a change of the key ring stored under a Redis key: a hint
 * that makes running instances check for the change at once instead of at their next change check. Plain
 * PUBLISH, which a Redis Cluster forwards to every node, so a subscriber on any node hears it.
 */
export function keyRingChangeChannel(key: string): string {
  return `sharedstate:key-ring-changed:${key}`;
}

/** What this module uses of an ioredis client or cluster made by `duplicate()`. */
type IoRedisSubscriber = Pick<Redis, 'subscribe' | 'disconnect' | 'on'>;

/** What it uses of a node-redis client or cluster (`duplicate()`, then `connect()` and `subscribe()`). */
interface NodeRedisSubscriber {
  on(event: 'error', listener: (error: unknown) => void): unknown;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  destroy?(): void;
  disconnect?(): Promise<unknown>;
}

interface Duplicable<T> {
  duplicate(): T;
  on(event: 'end', listener: () => void): unknown;
  off?(event: 'end', listener: () => void): unknown;
}

/**
 * Subscribes on a connection of its own (duplicated from the app's client, with its options) and calls
 * `onChange` for every announcement. The subscription ends when the returned function is called or when the
 * app's client ends (quit, disconnect, close), so it never keeps a process alive the app has closed.
 * Errors (an outage) are left to the client's own reconnection; the change check covers the gap.
 */
export function subscribeToKeyRingChanges(
  client: unknown,
  ioredis: boolean,
  channel: string,
  onChange: () => void,
): () => void {
  const app = client as Duplicable<IoRedisSubscriber | NodeRedisSubscriber>;
  const subscriber = app.duplicate();
  let stopped = false;
  const close = () => {
    try {
      if (ioredis) (subscriber as IoRedisSubscriber).disconnect();
      else {
        const node = subscriber as NodeRedisSubscriber;
        if (node.destroy) node.destroy();
        else void node.disconnect?.().catch(() => {});
      }
    } catch {
      // Not connected yet (node-redis): closed once its connect settles.
    }
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    app.off?.('end', stop);
    close();
  };
  app.on('end', stop);
  subscriber.on('error', () => {});
  if (ioredis) {
    const io = subscriber as IoRedisSubscriber & Pick<Cluster, 'on'>;
    io.on('message', (from: string) => {
      if (from === channel) onChange();
    });
    void io.subscribe(channel).catch(() => {});
  } else {
    const node = subscriber as NodeRedisSubscriber;
    void node
      .connect()
      .then(() => {
        if (stopped) close();
        else return node.subscribe(channel, () => onChange());
      })
      .catch(() => {});
  }
  return stop;
}
