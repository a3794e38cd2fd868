// The Hono shop on whichever runtime runs this file, on that runtime's own HTTP server:
//   node --conditions=source src/hono-server.ts [--port N] [--instance NAME]   (@hono/node-server)
//   bun src/hono-server.ts …                                                    (Bun.serve)
//   deno run --allow-net --allow-env --allow-read src/hono-server.ts …           (Deno.serve)
// The same environment as server.ts chooses where sessions and keys live. Prints "listening on URL" once it
// accepts connections.
import process from 'node:process';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { backendFromEnv } from './backend.ts';
import { honoShop } from './hono-shop.ts';

type Fetch = (request: Request) => Response | Promise<Response>;
/** The parts of Bun's and Deno's globals this file uses (neither has types in this Node project). */
interface RuntimeGlobals {
  Bun?: { version: string; serve(options: { fetch: Fetch; port: number; hostname: string }): unknown };
  Deno?: {
    version: { deno: string };
    serve(options: { port: number; hostname: string; onListen(): void }, handler: Fetch): unknown;
  };
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    host: { type: 'string', default: '127.0.0.1' },
    instance: { type: 'string', default: `hono-${process.pid}` },
  },
});
const port = Number(values.port);
const hostname = values.host!;
const { Bun, Deno } = globalThis as RuntimeGlobals;
const runtime = Bun ? `Bun ${Bun.version}` : Deno ? `Deno ${Deno.version.deno}` : `Node ${process.version}`;

const backend = backendFromEnv();
const app = honoShop(backend, values.instance!);
// Load (or create) the key ring before taking traffic, so a bad key store fails here, not on a request.
await backend.dataProtection.initialize();
const listening = () =>
  console.log(
    `listening on http://${hostname}:${port} (hono on ${runtime}, instance ${values.instance}; ${backend.description})`,
  );
if (Bun) {
  Bun.serve({ fetch: app.fetch, port, hostname });
  listening();
} else if (Deno) {
  Deno.serve({ port, hostname, onListen: listening }, app.fetch);
} else {
  serve({ fetch: app.fetch, port, hostname }, listening);
}
