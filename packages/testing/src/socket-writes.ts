import { Socket } from 'node:net';

type WriteMethod = (this: Socket, ...args: unknown[]) => unknown;

/**
 * Counts the writes Node hands to the operating system (each `_write` or `_writev` of a socket: one system
 * call, whatever it holds) on the sockets connected to `port` while `action` runs, through every client
 * alike: ioredis corked or not, node-redis. Commands batched in one turn of the event loop leave in one
 * write; commands written one by one take one write each. Counted on the real sockets, not a proxy, where
 * the receiving side would merge writes that follow each other closely.
 */
export async function socketWritesDuring<T>(
  port: number,
  action: () => Promise<T>,
): Promise<{ result: T; writes: number }> {
  const prototype = Socket.prototype as unknown as Record<'_write' | '_writev', WriteMethod>;
  const original = { _write: prototype._write, _writev: prototype._writev };
  let writes = 0;
  for (const name of ['_write', '_writev'] as const) {
    prototype[name] = function counted(this: Socket, ...args: unknown[]) {
      if (this.remotePort === port) writes++;
      return original[name].apply(this, args);
    };
  }
  try {
    const result = await action();
    return { result, writes };
  } finally {
    prototype._write = original._write;
    prototype._writev = original._writev;
  }
}
