import { createHash } from 'node:crypto';
import type { Client, ClientConfig, Pool } from 'pg';

/**
 * The NOTIFY channel on which writers announce a change of the key ring in one table: a name of its own per
 * schema and table, within PostgreSQL's 63-byte identifiers whatever the table is called.
 */
export function keyRingChangeChannel(schemaName: string, tableName: string): string {
  const digest = createHash('sha256').update(`${schemaName}.${tableName}`).digest('hex').slice(0, 16);
  return `sharedstate_key_ring_${digest}`;
}

/** After a lost connection, the next LISTEN connection is tried this long after the last attempt. */
const RECONNECT_MS = 1_000;

/** What pg's Pool keeps of its settings: the Client class it makes connections with, and their options. */
interface PoolSettings {
  readonly Client: new (config?: ClientConfig) => Client;
  readonly options: ClientConfig;
  readonly ending?: boolean;
  readonly ended?: boolean;
}

/**
 * Keeps one connection, made with the pool's own settings but outside it (so the pool's size and its
 * `end()` are unaffected), listening on `channel`; calls `onChange` for every notification, and once after
 * each reconnection (a change made while the connection was down would otherwise wait for the periodic
 * check). The connection's socket is unreferenced: it never keeps a process alive.
 */
export function listenForKeyRingChanges(pool: Pool, channel: string, onChange: () => void): () => void {
  const settings = pool as unknown as PoolSettings;
  let stopped = false;
  let current: Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let connectedBefore = false;

  const retry = () => {
    current = undefined;
    if (stopped || settings.ending || settings.ended) return;
    timer = setTimeout(connect, RECONNECT_MS);
    timer.unref();
  };
  const connect = () => {
    if (stopped || settings.ending || settings.ended) return;
    const client = new settings.Client(settings.options);
    current = client;
    client.on('error', () => {});
    client.on('end', () => {
      if (current === client) retry();
    });
    client.on('notification', (message) => {
      if (message.channel === channel) onChange();
    });
    client
      .connect()
      .then(() => {
        (client as unknown as { connection?: { stream?: { unref?(): void } } }).connection?.stream?.unref?.();
        if (stopped || settings.ending || settings.ended) return client.end();
        return client.query(`LISTEN "${channel}"`).then(() => {
          if (connectedBefore) onChange();
          connectedBefore = true;
        });
      })
      .catch(() => {
        void client.end().catch(() => {});
        if (current === client) retry();
      });
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    void current?.end().catch(() => {});
  };
}
