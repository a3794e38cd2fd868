import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';

export interface RoundRobinProxyOptions {
  port?: number;
  host?: string;
  /** Answers a request itself (the demo's control routes) instead of forwarding it; true when it did. */
  handle?(req: IncomingMessage, res: ServerResponse, body: Buffer): boolean;
  /** Headers added to every forwarded request. */
  headers?(): Record<string, string>;
}

/**
 * A tiny load balancer for the demo and the tests: each request goes to the next upstream in turn; an
 * upstream that refuses the connection is skipped, as a real balancer's health check would. `upstreams` may
 * be a function, read on every request, for a set of instances that changes while the proxy runs.
 */
export function startRoundRobinProxy(
  upstreams: readonly string[] | (() => readonly string[]),
  options: RoundRobinProxyOptions = {},
): Promise<Server> {
  const current = typeof upstreams === 'function' ? upstreams : () => upstreams;
  let next = 0;
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => body.push(chunk));
    req.on('end', () => {
      if (options.handle?.(req, res, Buffer.concat(body))) return;
      const targets = current();
      const attempt = (tries: number) => {
        if (targets.length === 0) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end('no instance is running');
          return;
        }
        const target = new URL(targets[next++ % targets.length]!);
        const forward = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, ...options.headers?.(), 'x-forwarded-proto': 'http' },
          },
          (upstream) => {
            res.writeHead(upstream.statusCode ?? 502, upstream.headers);
            upstream.pipe(res);
          },
        );
        forward.on('error', () => {
          if (tries + 1 < targets.length) attempt(tries + 1);
          else {
            res.writeHead(502, { 'content-type': 'text/plain' });
            res.end('no upstream answered');
          }
        });
        forward.end(Buffer.concat(body));
      };
      attempt(0);
    });
  });
  return new Promise((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(server)),
  );
}
