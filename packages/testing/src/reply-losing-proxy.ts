import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server that can lose one reply the way a crash or a network cut loses it:
 * the server has run the command (it answered), the client never hears the answer, and its connection
 * drops. A client that resends unanswered commands after reconnecting (ioredis does by default) then sends
 * the same command a second time.
 */
export interface ReplyLosingProxy {
  /** Where clients connect: 127.0.0.1 on this port. */
  readonly port: number;
  /**
   * Arms the proxy: on the next connection that sends bytes containing `marker`, the server's first answer
   * after them is dropped and that connection closed. Resolves once that happened.
   */
  loseReplyTo(marker: string | Uint8Array): Promise<void>;
  /**
   * Arms the proxy: on the next connection that sends bytes containing `marker`, only the bytes up to the
   * marker's end reach the server (what follows in that write is lost, as in a cut mid-write); the server's
   * answer to them reaches the client, then that connection is closed. Resolves once that happened.
   */
  cutAfter(marker: string | Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export async function replyLosingProxy(target: { host: string; port: number }): Promise<ReplyLosingProxy> {
  const sockets = new Set<Socket>();
  let armed: { marker: Buffer; done: () => void; cut: boolean } | undefined;
  const server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client).add(upstream);
    let losing: (() => void) | undefined;
    let cutting: (() => void) | undefined;
    client.on('data', (chunk: Buffer) => {
      if (cutting) return;
      const at = armed && losing === undefined ? chunk.indexOf(armed.marker) : -1;
      if (armed && at >= 0) {
        if (armed.cut) {
          cutting = armed.done;
          upstream.write(chunk.subarray(0, at + armed.marker.length));
          armed = undefined;
          return;
        }
        losing = armed.done;
        armed = undefined;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutting) {
        const done = cutting;
        client.end(chunk, () => {
          upstream.destroy();
          done();
        });
        return;
      }
      if (losing) {
        const done = losing;
        losing = undefined;
        client.destroy();
        upstream.destroy();
        done();
        return;
      }
      client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('the proxy has no port');
  return {
    port: address.port,
    loseReplyTo(marker) {
      return new Promise((resolve) => {
        armed = { marker: Buffer.from(marker), done: resolve, cut: false };
      });
    },
    cutAfter(marker) {
      return new Promise((resolve) => {
        armed = { marker: Buffer.from(marker), done: resolve, cut: true };
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
