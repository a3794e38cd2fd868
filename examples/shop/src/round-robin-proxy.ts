import { createServer, request, type Server } from 'node:http';

/**
 * A tiny load balancer for the demo and the tests: each request goes to the next upstream in turn; an
 * upstream that refuses the connection is skipped, as a real balancer's health check would.
 */
export function startRoundRobinProxy(
  upstreams: readonly string[],
  port = 0,
  host = '127.0.0.1',
): Promise<Server> {
  let next = 0;
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => body.push(chunk));
    req.on('end', () => {
      const attempt = (tries: number) => {
        const target = new URL(upstreams[next++ % upstreams.length]!);
        const forward = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, 'x-forwarded-proto': 'http' },
          },
          (upstream) => {
            res.writeHead(upstream.statusCode ?? 502, upstream.headers);
            upstream.pipe(res);
          },
        );
        forward.on('error', () => {
          if (tries + 1 < upstreams.length) attempt(tries + 1);
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
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}
