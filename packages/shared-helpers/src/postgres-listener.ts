/** After a lost connection, the next LISTEN connection is tried this long after the last attempt. */
const RECONNECT_MS = 1_000;

/** What this module uses of a pg Client (described here, so no pg types are needed). */
interface ListeningClient {
  on(event: 'error' | 'end', listener: (error?: unknown) => void): unknown;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  end(): Promise<unknown>;
}

/** What pg's Pool keeps of its settings: the Client class it makes connections with, and their options. */
interface PoolSettings {
  readonly Client: new (config?: unknown) => ListeningClient;
  readonly options: unknown;
  readonly ending?: boolean;
  readonly ended?: boolean;
}

/** What a listener tells its owner. */
export interface PostgresListenerHandlers {
  /** A notification on the channel, with its payload ('' when none). */
  onMessage(payload: string): void;
  /** The connection was lost, or the first one could not be made (it is tried again every second). */
  onLost?(error: unknown): void;
  /** Listening again after a loss: notifications sent meanwhile were missed. */
  onResubscribed?(): void;
}

/**
 * Keeps one connection, made with the pool's own settings but outside it (so the pool's size and its
 * `end()` are unaffected), listening on `channel` (a plain identifier: quoted as it is). The connection is
 * made again a second after it is lost, and its socket is unreferenced: it never keeps a process alive. It
 * ends when the returned function is called or the pool is ended.
 */
export function listenToPostgresChannel(
  pool: unknown,
  channel: string,
  handlers: PostgresListenerHandlers,
): () => void {
  const settings = pool as PoolSettings;
  let stopped = false;
  let current: ListeningClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  let listenedBefore = false;
  let lost = false;

  const reportLoss = (error: unknown) => {
    if (lost || stopped) return;
    lost = true;
    handlers.onLost?.(error);
  };
  const retry = (error: unknown) => {
    current = undefined;
    if (stopped || settings.ending || settings.ended) return;
    reportLoss(error);
    timer = setTimeout(connect, RECONNECT_MS);
    timer.unref();
  };
  const connect = () => {
    if (stopped || settings.ending || settings.ended) return;
    const client = new settings.Client(settings.options);
    current = client;
    client.on('error', () => {});
    client.on('end', () => {
      if (current === client) retry(new Error('the LISTEN connection ended'));
    });
    client.on('notification', (message) => {
      if (message.channel === channel) handlers.onMessage(message.payload ?? '');
    });
    client
      .connect()
      .then(() => {
        (client as unknown as { connection?: { stream?: { unref?(): void } } }).connection?.stream?.unref?.();
        if (stopped || settings.ending || settings.ended) return client.end();
        return client.query(`LISTEN "${channel}"`).then(() => {
          lost = false;
          if (listenedBefore) handlers.onResubscribed?.();
          listenedBefore = true;
        });
      })
      .catch((error: unknown) => {
        void client.end().catch(() => {});
        if (current === client) retry(error);
      });
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    void current?.end().catch(() => {});
  };
}
