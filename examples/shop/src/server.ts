// One shop instance: node --conditions=source src/server.ts [--framework express|koa|hono|fastify] [--port N] [--instance NAME]
// Prints "listening on http://127.0.0.1:PORT" once it accepts connections.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { getRequestListener } from '@hono/node-server';
import { backendFromEnv } from './backend.ts';
import { expressShop } from './express-shop.ts';
import { fastifyShop } from './fastify-shop.ts';
import { honoShop } from './hono-shop.ts';
import { koaShop } from './koa-shop.ts';

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'express' },
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    host: { type: 'string', default: '127.0.0.1' },
    instance: { type: 'string', default: `node-${process.pid}` },
  },
});

const backend = backendFromEnv();
const instance = values.instance!;
let server: Server;
switch (values.framework) {
  case 'express':
    server = createServer(expressShop(backend, instance));
    break;
  case 'koa':
    server = createServer(koaShop(backend, instance).callback());
    break;
  case 'hono':
    server = createServer(getRequestListener(honoShop(backend, instance).fetch));
    break;
  case 'fastify': {
    // Fastify makes its own server; it is handed requests once its plugins have loaded.
    const app = await fastifyShop(backend, instance);
    await app.ready();
    server = app.server;
    break;
  }
  default:
    throw new Error(`--framework must be express, koa, hono or fastify; got '${values.framework}'.`);
}
// Load (or create) the key ring before taking traffic, so a bad key store fails here, not on a request.
await backend.dataProtection.initialize();
server.listen(Number(values.port), values.host, () => {
  const { port } = server.address() as AddressInfo;
  console.log(
    `listening on http://${values.host}:${port} (${values.framework}, instance ${instance}, pid ${process.pid}; ${backend.description})`,
  );
});
const shutdown = () => server.close(() => void backend.close().then(() => process.exit(0)));
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
